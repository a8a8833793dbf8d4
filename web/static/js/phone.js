// The phone layout's column switcher: one column per screen (phone.css snaps the board's
// columns to its width), a select of the columns and ‹ › beside it. Choosing one scrolls the
// board to that column; swiping the board moves the switcher along. Hidden on wider screens.

import { h, icon, setAttr, setText } from "./dom.js";
import { M } from "./messages.js";

const TEXT = M.phone;

export class ColumnSwitcher {
  /** `board` = the board's element (#board), `store` = the state. */
  constructor(board, store) {
    this.board = board;
    this.store = store;
    this.signature = "";
    this.select = h("select", { id: "column-switch", class: "input column-switch", "aria-label": TEXT.column });
    this.select.addEventListener("change", () => this.show(Number(this.select.value)));
    this.prev = h("button", { type: "button", class: "icon-btn switch-step", "aria-label": TEXT.previous,
      title: TEXT.previous, onclick: () => this.step(-1) }, icon("chevron-left"));
    this.next = h("button", { type: "button", class: "icon-btn switch-step", "aria-label": TEXT.nextColumn,
      title: TEXT.nextColumn, onclick: () => this.step(1) }, icon("chevron-right"));
    this.position = h("span", { class: "switch-position", "aria-hidden": "true" });
    this.el = h("nav", { class: "column-switcher", "aria-label": TEXT.switcher },
      this.prev, this.select, this.position, this.next);
    let frame = 0;
    board.addEventListener("scroll", () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        this.follow();
      });
    }, { passive: true });
  }

  columnEls() {
    return [...this.board.querySelectorAll(":scope > [data-platform-id]")];
  }

  /** The column whose left edge is nearest the board's left edge (the one on screen). */
  inView() {
    const left = this.board.getBoundingClientRect().left;
    let best = null;
    let distance = Infinity;
    for (const el of this.columnEls()) {
      const d = Math.abs(el.getBoundingClientRect().left - left);
      if (d < distance) [best, distance] = [el, d];
    }
    return best ? Number(best.dataset.platformId) : null;
  }

  /** After each render: the columns' names, in board order. */
  render() {
    const columns = this.store.columns();
    const signature = JSON.stringify(columns.map((c) => [c.id, c.name]));
    this.el.hidden = columns.length === 0;
    if (signature !== this.signature) {
      this.signature = signature;
      this.select.replaceChildren(...columns.map((c) => h("option", { value: String(c.id) }, c.name)));
    }
    this.follow();
  }

  follow() {
    const ids = this.columnEls().map((el) => Number(el.dataset.platformId));
    const id = this.inView();
    if (id === null) return;
    if (this.select.value !== String(id)) this.select.value = String(id);
    const index = ids.indexOf(id);
    setText(this.position, TEXT.position(index + 1, ids.length));
    this.prev.disabled = index <= 0;
    this.next.disabled = index >= ids.length - 1;
    setAttr(this.el, "data-column", id);
  }

  step(by) {
    const ids = this.columnEls().map((el) => Number(el.dataset.platformId));
    const index = ids.indexOf(this.inView());
    const id = ids[index + by];
    if (id !== undefined) this.show(id);
  }

  /** Scroll the board to column `id` (at once: the snap would fight a smooth scroll). */
  show(id) {
    const el = this.board.querySelector(`:scope > [data-platform-id="${id}"]`);
    if (!el) return;
    this.board.scrollTo({ left: el.offsetLeft - this.board.firstElementChild.offsetLeft, behavior: "instant" });
    this.follow();
  }
}

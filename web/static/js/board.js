// The board: columns and cards kept by id and updated in place from the store.

import { h, reconcile, setText } from "./dom.js";
import { CardView, MarkerView } from "./card.js";
import { ColumnView } from "./column.js";
import { enableDragAndDrop } from "./dnd.js";
import { enableKeyboard } from "./keyboard.js";
import { relative } from "./time.js";
import { toast } from "./toasts.js";

export class Board {
  constructor(root, { store, actions, onMaterialDrop = null }) {
    this.root = root;
    this.store = store;
    this.columns = new Map();
    this.cards = new Map();
    this.ctx = { actions, canEdit: () => ["admin", "editor"].includes(store.me.role) };
    this.empty = h("div", { class: "board-empty" },
      h("h2", {}, "No columns yet"),
      h("p", {}, "An administrator adds a column for each network the newsroom publishes to."));
    const canEdit = this.ctx.canEdit;
    enableDragAndDrop(root, {
      columnAt: (el) => this.columnAt(el),
      onMove: (id, args) => actions.move(id, args),
      // A material from the materials panel: one snippet.create at the drop position.
      onCreate: (platformId, materialId, args) => canEdit() && onMaterialDrop?.(platformId, materialId, args),
    });
    enableKeyboard(root, {
      columns: () => this.orderedColumns(),
      onMove: (id, args) => canEdit() && actions.move(id, args),
      onEdit: (id) => this.cards.get(id)?.startEdit?.(),
      onDelete: (id) => canEdit() && actions.deleteCard(id),
    });
  }

  columnAt(el) {
    const section = el?.closest?.("[data-platform-id]");
    return section ? this.columns.get(Number(section.dataset.platformId)) ?? null : null;
  }

  orderedColumns() {
    return [...this.root.children].map((el) => this.columnAt(el)).filter(Boolean);
  }

  cardView(snippet) {
    let view = this.cards.get(snippet.id);
    const Kind = snippet.kind === "interval" ? MarkerView : CardView;
    if (!(view instanceof Kind)) {
      view = new Kind(snippet.id, this.ctx);
      this.cards.set(snippet.id, view);
    }
    return view;
  }

  render() {
    const active = document.activeElement;
    const fallback = this.root.contains(active) ? this.focusFallback(active) : [];
    const lanes = this.store.lanes();
    const held = this.store.heldColumns();
    const seenCards = new Set();
    const columnEls = [];
    for (const column of this.store.columns()) {
      // A held column's views see its holds as `platform.holds` (absent: not held).
      const platform = held.has(column.id) ? { ...column, holds: held.get(column.id) } : column;
      let columnView = this.columns.get(platform.id);
      if (!columnView) {
        columnView = new ColumnView(platform, this.ctx);
        this.columns.set(platform.id, columnView);
      }
      const lane = lanes.get(platform.id);
      const items = {};
      for (const part of ["queue", "sending", "attention", "history"]) {
        items[part] = lane[part].map((snippet) => {
          const view = this.cardView(snippet);
          view.update(snippet, platform);
          seenCards.add(snippet.id);
          return { snippet, view };
        });
      }
      columnView.update(platform, items);
      columnEls.push(columnView.el);
    }
    for (const [id, column] of this.columns) {
      if (!this.store.platform(id)) this.columns.delete(id);
      else if (!columnEls.includes(column.el)) this.columns.delete(id);
    }
    for (const [id, view] of [...this.cards]) {
      if (seenCards.has(id)) continue;
      if (view.editor) toast("The card you were editing was deleted.", { kind: "error" });
      view.el.remove();
      this.cards.delete(id);
    }
    reconcile(this.root, columnEls.length ? columnEls : [this.empty]);
    this.root.removeAttribute("aria-busy");
    this.restoreFocus(active, fallback);
  }

  /** Where focus should go if `active` disappears: the next card, the previous, the column. */
  focusFallback(active) {
    const card = active.closest("[data-snippet-id], [data-history-id]");
    if (!card) return [];
    return [card.nextElementSibling, card.previousElementSibling, card.closest(".column")?.querySelector(".column-tools button:not([hidden])")];
  }

  restoreFocus(active, fallback) {
    if (!active || active === document.body || document.activeElement === active) return;
    if (active.isConnected) {
      active.focus({ preventScroll: true });
      if (active.matches("[data-snippet-id]")) active.scrollIntoView({ block: "nearest", inline: "nearest" });
      return;
    }
    const next = fallback.find((el) => el?.isConnected && el.matches("[data-snippet-id], button"));
    next?.focus({ preventScroll: true });
  }

  /** Refresh every relative time ("in 12 min") without touching anything else. */
  tick() {
    const now = Date.now();
    for (const el of this.root.querySelectorAll(".rel[data-time]")) {
      setText(el, relative(el.dataset.time, now));
    }
  }
}

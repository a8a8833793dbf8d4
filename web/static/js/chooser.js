// Choosing columns for a breaking post: every column that publishes, the running ones ticked
// at first; whole networks at once, or one by one.

import { h, reconcile, setText } from "./dom.js";
import { isInbox, network, networkIcon } from "./networks.js";
import { M } from "./messages.js";

const TEXT = M.chooser;

/** A column whose queue runs: not paused, not stopped (held or not: a breaking post goes
 * past holds when it goes now). */
export function running(platform) {
  return !platform.paused && (platform.status ?? "ok") === "ok";
}

export class ColumnChooser {
  constructor({ store, onChange }) {
    this.store = store;
    this.onChange = onChange;
    this.rows = new Map(); // column id → {el, box, state}
    this.networks = h("div", { class: "preset-row", role: "group", "aria-label": TEXT.byNetwork });
    this.list = h("div", { class: "column-choices" });
    this.el = h("fieldset", { class: "field chooser" },
      h("legend", { class: "field-label" }, TEXT.columns), this.networks, this.list);
    this.refresh();
    for (const platform of this.columns()) this.rows.get(platform.id).box.checked = running(platform);
    this.paintNetworks();
  }

  columns() {
    return this.store.columns().filter((platform) => !isInbox(platform));
  }

  /** The ticked columns, in board order. */
  chosen() {
    return this.columns().filter((platform) => this.rows.get(platform.id)?.box.checked);
  }

  /** Columns added, removed or changed since: the list follows, ticks are kept. */
  refresh() {
    const held = this.store.heldColumns();
    const els = this.columns().map((platform) => {
      let row = this.rows.get(platform.id);
      if (!row) {
        const box = h("input", { type: "checkbox", value: String(platform.id), "aria-label": platform.name });
        box.addEventListener("change", () => this.changed());
        const state = h("small", { class: "choice-state" });
        row = { box, state, el: h("label", { class: "check column-choice" },
          box, networkIcon(platform.kind), h("span", { class: "choice-name" }, platform.name), state) };
        this.rows.set(platform.id, row);
      }
      const notes = [];
      if (platform.paused) notes.push(TEXT.paused);
      if (held.has(platform.id)) notes.push(TEXT.held);
      if ((platform.status ?? "ok") !== "ok") notes.push(TEXT.stopped);
      setText(row.state, notes.join(", "));
      return row.el;
    });
    reconcile(this.list, els);
    this.paintNetworks();
  }

  changed() {
    this.paintNetworks();
    this.onChange();
  }

  /** One chip per network (tick them all, or untick them all), then all running, none.
   * Chips are kept by network, so a pressed chip keeps the focus. */
  paintNetworks() {
    const kinds = new Map();
    for (const platform of this.columns()) kinds.set(platform.kind, [...(kinds.get(platform.kind) ?? []), platform]);
    this.chips ??= new Map();
    const chip = (key, label, title, onclick) => {
      let el = this.chips.get(key);
      if (!el) {
        el = h("button", { type: "button", class: "chip", title, onclick: () => onclick() });
        this.chips.set(key, el);
      }
      setText(el, label);
      return el;
    };
    const set = (platforms, checked) => {
      for (const platform of platforms) this.rows.get(platform.id).box.checked = checked;
      this.changed();
    };
    const ticked = (platforms) => platforms.every((p) => this.rows.get(p.id)?.box.checked);
    const chips = [...kinds].map(([kind, platforms]) => {
      const label = network(kind).label;
      const el = chip(kind, TEXT.network(label, platforms.length), TEXT.networkTitle(label), () => {
        const now = this.columns().filter((p) => p.kind === kind);
        set(now, !ticked(now));
      });
      el.setAttribute("aria-pressed", ticked(platforms) ? "true" : "false");
      return el;
    });
    chips.push(chip("*all", TEXT.all, null, () => {
      for (const platform of this.columns()) this.rows.get(platform.id).box.checked = running(platform);
      this.changed();
    }));
    chips.push(chip("*none", TEXT.none, null, () => set(this.columns(), false)));
    reconcile(this.networks, chips);
  }
}

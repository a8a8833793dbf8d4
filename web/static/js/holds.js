// The hold banner: while a hold is on, everyone sees why nothing goes out, who held it and
// since when; editors can release it (board.release).

import { h, icon, reconcile, setText } from "./dom.js";
import { clock, fullTime, relative } from "./time.js";
import { M } from "./messages.js";

const TEXT = M.holds;

/** One row of the banner, kept by hold id so a focused Release button survives patches. */
class HoldRow {
  constructor(id, { release }) {
    this.id = id;
    this.reason = h("strong", { class: "hold-reason" });
    this.details = h("span", { class: "hold-details" });
    this.button = h("button", { type: "button", class: "btn btn-small", onclick: () => release(this.id) },
      icon("play"), TEXT.release);
    this.el = h("div", { class: "hold", "data-hold-id": String(id) },
      icon("pause"), h("span", { class: "hold-label" }, TEXT.onHold), this.reason, this.details,
      h("span", { class: "spacer" }), this.button);
  }

  update(hold, { editable, publishing }) {
    setText(this.reason, hold.reason);
    const all = publishing > 0 && hold.platform_ids.length >= publishing;
    const parts = [TEXT.who(hold.user_email ?? TEXT.someone), TEXT.since(clock(hold.created_at))];
    if (hold.until) parts.push(TEXT.until(clock(hold.until)));
    parts.push(TEXT.columns(hold.platform_ids.length, all));
    setText(this.details, `— ${parts.join(" · ")}`);
    this.details.title = [fullTime(hold.created_at), relative(hold.created_at)].join(", ");
    this.button.hidden = !editable;
    this.button.setAttribute("aria-label", TEXT.releaseLabel(hold.reason));
  }
}

/** The banner under the top bar (`root`), drawn from the state's `holds`. */
export class HoldBanner {
  constructor(root, { store, actions, canEdit }) {
    this.root = root;
    this.store = store;
    this.canEdit = canEdit;
    this.rows = new Map();
    this.release = (id) => actions.release(id);
  }

  render() {
    const holds = this.store.holds();
    const editable = this.canEdit();
    const publishing = this.store.columns().filter((c) => c.kind !== "drafts").length;
    const els = holds.map((hold) => {
      let row = this.rows.get(hold.id);
      if (!row) {
        row = new HoldRow(hold.id, { release: this.release });
        this.rows.set(hold.id, row);
      }
      row.update(hold, { editable, publishing });
      return row.el;
    });
    for (const id of [...this.rows.keys()]) {
      if (!holds.some((hold) => hold.id === id)) this.rows.delete(id);
    }
    const hadFocus = this.root.contains(document.activeElement);
    reconcile(this.root, els);
    this.root.hidden = els.length === 0;
    // The released hold's button had the focus: keep the keyboard near.
    if (hadFocus && !this.root.contains(document.activeElement)) document.getElementById("breaking")?.focus();
  }
}

// The breaking post's outcome in each column, live: each column's card as the patches bring
// it (queued, sending, sent with its link, failed with why), one row per column.

import { h, icon, safeHref, setAttr, setText } from "./dom.js";
import { networkIcon } from "./networks.js";
import { clock } from "./time.js";
import { M } from "./messages.js";

const TEXT = M.outcomes;

/** [status key, words] for a column's card (undefined: not in the state yet, or gone). */
function describe(snippet, platform, held, seen) {
  if (!snippet) return seen ? ["removed", TEXT.removed] : ["waiting", TEXT.waiting];
  switch (snippet.status) {
    case "pending":
      if (snippet.eta) return ["pending", TEXT.queued(clock(snippet.eta))];
      if (platform?.paused) return ["pending", TEXT.queuedPaused];
      return ["pending", held ? TEXT.queuedHeld : TEXT.queuedNoSlot];
    case "sending": return ["sending", TEXT.sending];
    case "sent": return ["sent", TEXT.sent];
    case "failed": return ["failed", TEXT.failed(snippet.meta?.error ?? "")];
    case "needs_check": return ["needs_check", TEXT.needsCheck];
    case "expired": return ["expired", TEXT.expired];
    default: return ["removed", TEXT.removed];
  }
}

export class Outcomes {
  constructor({ store, onClose }) {
    this.store = store;
    this.ids = new Map(); // column id → card id
    this.seen = new Set();
    this.rows = new Map();
    this.hold = h("p", { class: "outcome-hold", hidden: true }, icon("pause"), h("span", {}));
    this.list = h("ul", { class: "outcomes", "aria-live": "polite" });
    this.closeButton = h("button", { type: "button", class: "btn btn-primary", onclick: onClose }, TEXT.close);
    this.el = h("div", { class: "breaking-step" }, h("h3", { class: "confirm-title" }, TEXT.title),
      this.list, this.hold, h("div", { class: "dialog-buttons" }, this.closeButton));
  }

  /** The reply of board.breaking: {ids: {column: card}, hold_id?}. */
  show(result, args) {
    this.ids = new Map(Object.entries(result.ids ?? {}).map(([pid, sid]) => [Number(pid), sid]));
    this.reason = result.hold_id ? args.hold?.reason : null;
    this.list.replaceChildren(...[...this.ids.keys()].map((pid) => this.row(pid).el));
    this.refresh();
  }

  row(pid) {
    let row = this.rows.get(pid);
    if (!row) {
      const status = h("span", { class: "outcome-status" });
      const link = h("a", { class: "outcome-link", target: "_blank", rel: "noopener noreferrer", hidden: true },
        icon("external"), TEXT.view);
      const name = h("span", { class: "outcome-name" });
      row = { status, link, name, el: h("li", { class: "outcome", "data-outcome-for": String(pid) },
        h("span", { class: "outcome-icon" }), name, status, link) };
      this.rows.set(pid, row);
    }
    return row;
  }

  refresh() {
    const held = this.store.heldColumns();
    for (const [pid, sid] of this.ids) {
      const row = this.row(pid);
      const platform = this.store.platform(pid);
      const snippet = this.store.state.snippets[sid];
      if (snippet) this.seen.add(sid);
      if (platform && row.el.firstChild.dataset.kind !== platform.kind) {
        row.el.firstChild.dataset.kind = platform.kind;
        row.el.firstChild.replaceChildren(networkIcon(platform.kind));
      }
      setText(row.name, platform?.name ?? `#${pid}`);
      const [key, words] = describe(snippet, platform, held.has(pid), this.seen.has(sid));
      setAttr(row.el, "data-status", key);
      setText(row.status, words);
      const url = key === "sent" ? safeHref(snippet.meta?.remote_url) : null;
      row.link.hidden = !url;
      setAttr(row.link, "href", url);
    }
    this.hold.hidden = !this.reason;
    setText(this.hold.lastChild, this.reason ? TEXT.held(this.reason) : "");
  }

  focus() {
    this.closeButton.focus();
  }
}

// Cards waiting for an editor's approval (CONTRACT §12): their mark, the Approve button, and
// the top bar's filter that shows only them. A waiting card keeps its place but takes no slot.

import { h, icon, setAttr, setText } from "./dom.js";
import { M } from "./messages.js";

// Its words are js/messages.js's M.approval.
export const TEXT = M.approval;

export function isWaiting(snippet) {
  return snippet?.approval === "pending" && snippet.status === "pending";
}

/**
 * The mark and (for editors) the Approve button of one card: {el, update(snippet, mayApprove)}.
 * Both are in the page only while the card waits (a card's buttons are the ones it offers).
 */
export function approvalRow(onApprove) {
  const mark = h("span", { class: "approval-mark" }, icon("hourglass"), TEXT.waiting);
  const button = h("button", { type: "button", class: "btn btn-small approve-button", title: TEXT.approveTitle,
    onclick: onApprove }, icon("check"), TEXT.approve);
  const el = h("div", { class: "card-approval" }, mark);
  return {
    el,
    /** Whether the row belongs on the card now. */
    update(snippet, mayApprove) {
      const waiting = isWaiting(snippet);
      if (waiting && mayApprove) {
        if (!button.isConnected) el.append(button);
      } else {
        button.remove();
      }
      return waiting;
    },
  };
}

/** The top bar's toggle: only the waiting cards on the board, with their count. */
export class WaitingFilter {
  constructor(button, store, onChange) {
    this.button = button;
    this.store = store;
    this.on = false;
    this.count = h("span", { class: "filter-count" });
    button.replaceChildren(icon("hourglass"), h("span", { class: "filter-label" }, TEXT.filter), this.count);
    button.addEventListener("click", () => {
      this.on = !this.on;
      this.render();
      onChange();
    });
  }

  render() {
    let n = 0;
    for (const snippet of Object.values(this.store.state.snippets)) if (isWaiting(snippet)) n += 1;
    setText(this.count, String(n));
    this.count.hidden = n === 0;
    // Nothing waits and the filter is off: no button (the top bar is full enough).
    this.button.hidden = n === 0 && !this.on;
    setAttr(this.button, "aria-pressed", this.on ? "true" : "false");
    setAttr(this.button, "aria-label", TEXT.filter);
    setAttr(this.button, "title", this.on ? TEXT.filterOn : TEXT.filterOff);
    this.button.classList.toggle("is-active", this.on);
    this.button.classList.toggle("has-waiting", n > 0);
    document.body.classList.toggle("only-waiting", this.on);
  }
}

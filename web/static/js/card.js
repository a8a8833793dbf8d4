// One card of a column, kept across patches: post cards and interval dividers.

import { h, icon, iconButton, setAttr, setText } from "./dom.js";
import { InPlaceEditor } from "./editor.js";
import { suggestTool } from "./suggest.js";
import { toast } from "./toasts.js";
import { isInbox } from "./networks.js";
import { clock, fullTime, interval, relative } from "./time.js";
import { clicksText, TEXT as CLICKS } from "./clicks.js";

const STATUS_LABEL = {
  pending: "Queued",
  sending: "Sending…",
  sent: "Sent",
  failed: "Failed",
  needs_check: "Did it go out?",
  expired: "Expired",
};

// The words of holds and expiry on a card (CONTRACT §7).
const TEXT = {
  held: "Held",
  notAfter: (when) => `Not after ${when}`,
  notAfterTitle: (when) => `Not published at or after ${when}: it then expires`,
  noSlot: (when) => `No slot before ${when}: it will expire`,
  expired: (when) => `Expired at ${when}: not published`,
  putBack: "Put back",
  putBackTitle: "Back to the top of the queue, with no time limit",
};

function initials(email) {
  const name = (email ?? "").split("@")[0];
  const parts = name.split(/[._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : name.slice(0, 2);
  return letters.toUpperCase() || "?";
}

function hue(text) {
  let n = 0;
  for (const ch of text ?? "") n = (n * 31 + ch.charCodeAt(0)) % 360;
  return n;
}

function linkLabel(snippet) {
  if (snippet.material?.title) return snippet.material.title;
  try {
    const url = new URL(snippet.url);
    const host = url.host.replace(/^www\./, "");
    // News links end in the story's slug: show that rather than the date folders before it.
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts.length === 0) return host;
    return parts.length === 1 ? `${host}/${parts[0]}` : `${host}/…/${parts.at(-1)}`;
  } catch {
    return snippet.url;
  }
}

/** meta.duplicate is {snippet_id, status} of the earlier card with the same link. */
function duplicateText(duplicate) {
  if (typeof duplicate === "string") return duplicate;
  const status = duplicate?.status;
  if (status === "sent" || status === "needs_check") return "This link already went out from this column";
  if (status) return "This link is already queued in this column";
  return "This link is already on the board";
}

/** Sets an element's relative-time text and keeps its timestamp for the 30 s refresh. */
export function setRelative(el, iso) {
  setAttr(el, "data-time", iso || null);
  setText(el, iso ? relative(iso) : "");
}

/** A post card. `ctx` = {actions, canEdit()}. */
export class CardView {
  constructor(id, ctx) {
    this.id = id;
    this.ctx = ctx;
    this.signature = "";
    this.editor = null;
    this.snippet = null;
    this.platform = null;
    this.clicks = null; // the count last shown, to mark a rise
    this.body = h("p", { class: "card-body" });
    this.link = h("a", { class: "card-link", target: "_blank", rel: "noopener noreferrer", draggable: "false" });
    this.notes = h("div", { class: "card-notes" });
    this.clock = h("time", { class: "card-clock" });
    this.rel = h("span", { class: "card-rel rel" });
    this.state = h("span", { class: "card-state" });
    this.avatar = h("span", { class: "avatar", "aria-hidden": "true" });
    this.editorLabel = h("span", { class: "visually-hidden" });
    this.actions = h("div", { class: "card-actions" });
    this.view = h("div", { class: "card-view" },
      this.body, this.link, this.notes,
      h("div", { class: "card-meta" }, this.state, this.clock, this.rel, h("span", { class: "spacer" }),
        this.editorLabel, this.avatar),
      this.actions);
    this.el = h("article", { class: "card", tabindex: "0" }, this.view);
    this.el.addEventListener("dblclick", (event) => {
      if (event.target.closest("a, button")) return;
      this.startEdit();
    });
  }

  update(snippet, platform) {
    this.snippet = snippet;
    this.platform = platform;
    const editable = this.ctx.canEdit();
    if (this.editor && snippet.status !== "pending") {
      this.stopEdit();
      toast("The card you were editing left the queue; your changes were not saved.", { kind: "error" });
      return;
    }
    if (this.editor) this.editor.seen(snippet, platform.text_limit ?? null);
    const signature = JSON.stringify([snippet, platform.paused, platform.holds, platform.kind, editable]);
    if (signature === this.signature) return;
    this.signature = signature;
    const { status } = snippet;
    const queued = status === "pending";
    const el = this.el;
    // Only queued cards carry data-snippet-id (CONTRACT §6); the rest are history.
    setAttr(el, "data-snippet-id", queued ? snippet.id : null);
    setAttr(el, "data-history-id", queued ? null : snippet.id);
    setAttr(el, "data-status", status);
    setAttr(el, "draggable", queued && editable && !this.editor ? "true" : null);
    el.classList.toggle("is-paused", queued && (!!platform.paused || !!platform.holds));

    setText(this.body, snippet.body ?? "");
    this.body.hidden = !snippet.body;
    if (snippet.url) {
      setAttr(this.link, "href", snippet.url);
      setAttr(this.link, "title", snippet.url);
      setText(this.link, linkLabel(snippet));
      this.link.hidden = false;
    } else {
      this.link.hidden = true;
    }
    this.renderNotes(snippet);
    this.renderMeta(snippet, platform);
    this.renderActions(snippet, platform, editable);
    setAttr(el, "aria-label", `${STATUS_LABEL[status] ?? status} card: ${(snippet.body ?? snippet.url ?? "").slice(0, 80)}`);
  }

  renderNotes(snippet) {
    const meta = snippet.meta ?? {};
    const notes = [];
    if (snippet.status === "sent" && meta.remote_url) {
      notes.push(h("a", { class: "note note-link", href: meta.remote_url, target: "_blank", rel: "noopener noreferrer", draggable: "false" },
        icon("external"), "View the post"));
    }
    if (snippet.status === "sent" && typeof snippet.clicks === "number") {
      const rising = typeof this.clicks === "number" && snippet.clicks > this.clicks;
      notes.push(h("p", {
        class: rising ? "note note-clicks is-rising" : "note note-clicks",
        "data-clicks": String(snippet.clicks), title: CLICKS.cardTitle,
      }, icon("click"), clicksText(snippet.clicks)));
    }
    this.clicks = snippet.clicks ?? null;
    if ((snippet.status === "failed" || snippet.status === "needs_check") && meta.error) {
      notes.push(h("p", { class: "note note-error" }, icon("warning"), String(meta.error)));
    }
    if (snippet.status === "needs_check") {
      notes.push(h("p", { class: "note note-warn" },
        "Not confirmed by the network. Check the channel."));
    }
    if (snippet.expires_at && (snippet.status === "pending" || snippet.status === "expired")) {
      const when = clock(snippet.expires_at);
      let text = TEXT.notAfter(when);
      if (snippet.status === "expired") text = TEXT.expired(when);
      else if (!snippet.eta && !this.platform?.paused && !this.platform?.holds) text = TEXT.noSlot(when);
      notes.push(h("p", { class: `note ${snippet.status === "expired" ? "note-error" : "note-muted"}`,
        title: TEXT.notAfterTitle(fullTime(snippet.expires_at)) }, icon("clock"), text));
    }
    if (meta.duplicate && snippet.status === "pending") {
      notes.push(h("p", { class: "note note-warn", title: duplicateText(meta.duplicate) }, icon("link"),
        duplicateText(meta.duplicate)));
    }
    this.notes.replaceChildren(...notes);
    this.notes.hidden = notes.length === 0;
  }

  renderMeta(snippet, platform) {
    const { status } = snippet;
    let when = null;
    let label = "";
    if (status === "pending") {
      if (isInbox(platform)) label = "Draft";
      else if (snippet.eta && snippet.meta?.send_now) when = snippet.eta;
      else if (platform.paused) label = "Paused";
      else if (platform.holds) label = TEXT.held;
      else if (snippet.eta) when = snippet.eta;
      else label = "Not scheduled";
    } else {
      label = STATUS_LABEL[status] ?? status;
      when = status === "sending" ? null : snippet.finished_at ?? snippet.updated_at ?? null;
    }
    setText(this.state, label);
    this.state.hidden = !label;
    setText(this.clock, when ? clock(when) : "");
    setAttr(this.clock, "datetime", when);
    setAttr(this.clock, "title", when ? fullTime(when) : null);
    setRelative(this.rel, when);
    const email = snippet.user_email ?? "";
    setText(this.avatar, email ? initials(email) : "");
    this.avatar.hidden = !email;
    this.avatar.style.setProperty("--avatar-hue", hue(email));
    const edited = snippet.updated_at ? ` at ${clock(snippet.updated_at)}` : "";
    setAttr(this.avatar, "title", email ? `Last edited by ${email}${edited}` : null);
    setText(this.editorLabel, email ? `Last edited by ${email}` : "");
  }

  renderActions(snippet, platform, editable) {
    // Rebuild the buttons only when the set changes, so a focused button survives patches.
    const key = `${snippet.status}:${editable}:${isInbox(platform)}`;
    if (key === this.actionsKey) return;
    this.actionsKey = key;
    const a = this.ctx.actions;
    const id = snippet.id;
    const buttons = [];
    if (editable && snippet.status === "pending") {
      buttons.push(iconButton("edit", "Edit (Enter)", () => this.startEdit()));
      if (!isInbox(platform)) {
        buttons.push(iconButton("send", "Send now", () => a.sendNow(id)));
        buttons.push(iconButton("clock", "Interval from here", () => a.intervalFromHere(id)));
      }
      buttons.push(iconButton("trash", "Delete (Del)", () => a.deleteCard(id)));
    } else if (editable && snippet.status === "failed") {
      buttons.push(h("button", { type: "button", class: "btn btn-small", onclick: () => a.retry(id) },
        icon("retry"), "Retry"));
    } else if (editable && snippet.status === "expired") {
      buttons.push(h("button", { type: "button", class: "btn btn-small", title: TEXT.putBackTitle,
        onclick: () => a.retry(id) }, icon("retry"), TEXT.putBack));
    } else if (editable && snippet.status === "needs_check") {
      buttons.push(h("button", { type: "button", class: "btn btn-small", onclick: () => a.markSent(id) },
        icon("check"), "It went out"));
      buttons.push(h("button", { type: "button", class: "btn btn-small", onclick: () => a.sendAgain(id) },
        icon("retry"), "Send again"));
    }
    const kind = snippet.status === "pending" ? "card-actions is-overlay" : "card-actions is-row";
    if (this.actions.className !== kind) this.actions.className = kind;
    this.actions.replaceChildren(...buttons);
    this.actions.hidden = buttons.length === 0;
  }

  startEdit() {
    if (this.editor || !this.snippet || this.snippet.status !== "pending" || !this.ctx.canEdit()) return;
    const finish = () => this.stopEdit();
    const suggest = suggestTool({
      actions: this.ctx.actions, snippetId: this.id, pick: (text) => this.editor?.useText(text),
    });
    this.editor = new InPlaceEditor(this.snippet, {
      limit: this.platform.text_limit ?? null,
      save: (values, version) => this.ctx.actions.updateCard(this.id, version, values),
      done: finish,
      tools: [suggest.button],
      below: suggest.panel,
    });
    this.el.classList.add("is-editing");
    this.el.removeAttribute("draggable");
    this.view.hidden = true;
    this.el.append(this.editor.el);
    this.editor.focus();
  }

  stopEdit() {
    if (!this.editor) return;
    this.editor.el.remove();
    this.editor = null;
    this.view.hidden = false;
    this.el.classList.remove("is-editing");
    this.signature = "";
    this.update(this.snippet, this.platform);
    this.el.focus();
  }
}

/** An interval card: a divider across the column, "from here: every 60 min". */
export class MarkerView {
  constructor(id, ctx) {
    this.id = id;
    this.ctx = ctx;
    this.signature = "";
    this.label = h("span", { class: "marker-label" });
    this.when = h("time", { class: "marker-when" });
    this.remove = iconButton("close", "Remove this interval change", () => ctx.actions.deleteCard(id),
      "icon-btn marker-remove");
    this.el = h("div", { class: "marker", tabindex: "0", "data-kind": "interval" },
      icon("clock"), this.label, this.when, h("span", { class: "spacer" }), this.remove);
  }

  update(snippet, platform) {
    const editable = this.ctx.canEdit();
    const signature = JSON.stringify([snippet, platform.paused, platform.holds, editable]);
    if (signature === this.signature) return;
    this.signature = signature;
    this.snippet = snippet;
    setAttr(this.el, "data-snippet-id", snippet.id);
    setAttr(this.el, "data-status", snippet.status);
    setAttr(this.el, "draggable", editable ? "true" : null);
    const text = `from here: every ${interval(snippet.interval_s)}`;
    setText(this.label, text);
    setAttr(this.el, "aria-label", `Interval change, ${text}`);
    const eta = platform.paused || platform.holds ? null : snippet.eta;
    setAttr(this.when, "datetime", eta);
    setAttr(this.when, "title", eta ? `Takes effect ${fullTime(eta)}` : null);
    setText(this.when, eta ? clock(eta) : "");
    this.remove.hidden = !editable;
  }
}

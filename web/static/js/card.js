// One card of a column, kept across patches: post cards and interval dividers.

import { approvalRow, isWaiting } from "./approval.js";
import { hasMenu } from "./cardmenu.js";
import { h, icon, iconButton, safeHref, setAttr, setText } from "./dom.js";
import { InPlaceEditor } from "./editor.js";
import { M } from "./messages.js";
import { editingNote, editingWarning, editorsOf, hue, initials, makeEditingNote } from "./presence.js";
import { storyPanel } from "./story.js";
import { isInbox } from "./networks.js";
import { suggestTool } from "./suggest.js";
import { clock, columnZone, countingDown, fullTime, interval, relative } from "./time.js";

const STATUS_LABEL = M.statusLabel;
// The words of holds and expiry on a card (CONTRACT §7).
const TEXT = M.cardHold;

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
  if (status === "sent" || status === "needs_check") return M.duplicateSent;
  if (status) return M.duplicateQueued;
  return M.duplicateOnBoard;
}

/** Sets an element's relative-time text and keeps its timestamp for the refresh (a countdown
within the minute, by the second). */
export function setRelative(el, iso, now = Date.now()) {
  setAttr(el, "data-time", iso || null);
  setText(el, iso ? relative(iso, now) : "");
  el.classList.toggle("is-countdown", !!iso && countingDown(iso, now));
}

/**
 * A card's button: no listener of its own. The board listens once for every card
 * (board.js) and calls the card's `act(action)`, so a thousand cards cost no listeners.
 */
function actionButton(name, label, action, className = "icon-btn") {
  const button = iconButton(name, label, null, className);
  button.dataset.cardAction = action;
  return button;
}

function textButton(name, label, action, title = null) {
  return h("button", { type: "button", class: "btn btn-small", title, "data-card-action": action }, icon(name), label);
}

/** A failure's plain words, with the network's own text one click away. */
export function failureNote(kind, status, raw) {
  const words = M.explain(kind, status, raw);
  return h("div", { class: "note note-error failure" }, icon("warning"),
    h("div", { class: "failure-text" }, h("p", { class: "failure-title" }, words.title),
      h("p", { class: "failure-hint" }, words.hint),
      raw ? h("details", { class: "raw" }, h("summary", {}, M.details), h("code", {}, String(raw))) : null));
}

/**
 * A post card. `ctx` = {actions, store, canEdit(), canWrite(), editing, columnName(id)}:
 * canWrite (authors and up) edits text; canEdit (editors and up) does the rest.
 */
export class CardView {
  constructor(id, ctx) {
    this.id = id;
    this.ctx = ctx;
    this.signature = "";
    this.editor = null;
    this.story = null;
    this.editors = "";
    this.presence = makeEditingNote();
    this.approval = approvalRow(() => this.ctx.actions.approve(this.id));
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
    // The card menu (cardmenu.js): moves and actions for touch and keys; roving.js puts the
    // focused card's button in the tab order.
    this.menuButton = menuButton();
    // The actions float over the meta line (times, who edited), never over the text.
    this.meta = h("div", { class: "card-meta" }, this.state, this.clock, this.rel, h("span", { class: "spacer" }),
      this.editorLabel, this.avatar);
    this.view = h("div", { class: "card-view" }, this.body, this.link, this.notes, this.meta, this.actions);
    // Outside the view: "‹name› is editing" shows above the editor too.
    this.el = h("div", { class: "card", tabindex: "-1" }, this.presence.el, this.view);
  }

  /** A button of the card was pressed (or the card double-clicked: "edit"); board.js delegates. */
  act(action) {
    const a = this.ctx.actions;
    const { id } = this;
    const run = {
      edit: () => this.startEdit(),
      send: () => a.sendNow(id),
      interval: () => a.intervalFromHere(id),
      delete: () => a.deleteCard(id),
      retry: () => a.retry(id),
      markSent: () => a.markSent(id),
      sendAgain: () => a.sendAgain(id),
      menu: () => this.ctx.openCardMenu?.(this, this.menuButton),
    }[action];
    run?.();
  }

  update(snippet, platform) {
    const before = this.snippet;
    this.snippet = snippet;
    this.platform = platform;
    const editable = this.ctx.canEdit();
    const writable = this.ctx.canWrite();
    this.showEditors();
    // An editor whose card left the queue was handed to the column by the board (board.js keep).
    if (this.editor) {
      this.editor.seen(snippet, platform.text_limit ?? null);
      if (before && (before.version !== snippet.version || before.approval !== snippet.approval
        || before.platform_id !== snippet.platform_id)) this.story?.changed();
    }
    const signature = JSON.stringify([snippet, platform.paused, platform.holds, platform.kind, editable, writable,
      platform.settings?.timezone]);
    if (signature === this.signature) return;
    this.signature = signature;
    const { status } = snippet;
    const queued = status === "pending";
    const el = this.el;
    // Only queued cards carry data-snippet-id (CONTRACT §6); the rest are history.
    setAttr(el, "data-snippet-id", queued ? snippet.id : null);
    setAttr(el, "data-history-id", queued ? null : snippet.id);
    setAttr(el, "data-status", status);
    // A queued card is an item of its queue's list with one tab stop per queue (roving.js);
    // the queue labels it with its place and time (cardplace.js). History cards keep theirs.
    setAttr(el, "role", queued ? "listitem" : null);
    if (!queued) {
      setAttr(el, "tabindex", "0");
      setAttr(el, "aria-posinset", null);
      setAttr(el, "aria-setsize", null);
    }
    setAttr(this.link, "tabindex", queued ? "-1" : null);
    setAttr(el, "draggable", queued && editable && !this.editor ? "true" : null);
    el.classList.toggle("is-paused", queued && (!!platform.paused || !!platform.holds));
    el.classList.toggle("is-waiting", isWaiting(snippet));
    if (this.approval.update(snippet, editable)) {
      if (!this.approval.el.isConnected) this.view.insertBefore(this.approval.el, this.meta);
    } else {
      this.approval.el.remove();
    }

    setText(this.body, snippet.body ?? "");
    this.body.hidden = !snippet.body;
    if (safeHref(snippet.url)) {
      setAttr(this.link, "href", snippet.url);
      setAttr(this.link, "title", snippet.url);
      setText(this.link, linkLabel(snippet));
      this.link.hidden = false;
    } else {
      this.link.hidden = true;
    }
    this.renderNotes(snippet);
    this.renderMeta(snippet, platform);
    this.renderActions(snippet, platform, editable, writable);
    if (!queued) setAttr(el, "aria-label", M.cardLabel(STATUS_LABEL[status] ?? status, (snippet.body ?? snippet.url ?? "").slice(0, 80)));
  }

  renderNotes(snippet) {
    const meta = snippet.meta ?? {};
    const notes = [];
    if (snippet.origin === "external") {
      notes.push(h("p", { class: "note note-muted note-external", "data-origin": "external", title: M.watch.externalTitle },
        icon("external"), M.watch.external));
    }
    if (snippet.status === "sent" && safeHref(meta.remote_url)) {
      notes.push(h("a", { class: "note note-link", href: meta.remote_url, target: "_blank", rel: "noopener noreferrer", draggable: "false" },
        icon("external"), M.viewPost));
    }
    if (snippet.status === "sent" && typeof snippet.clicks === "number") {
      const rising = typeof this.clicks === "number" && snippet.clicks > this.clicks;
      notes.push(h("p", {
        class: rising ? "note note-clicks is-rising" : "note note-clicks",
        "data-clicks": String(snippet.clicks), title: M.clicks.cardTitle,
      }, icon("click"), M.clicks.count(snippet.clicks)));
    }
    this.clicks = snippet.clicks ?? null;
    if (snippet.status === "failed" || snippet.status === "needs_check") {
      notes.push(failureNote(this.platform?.kind, snippet.status, meta.error));
    }
    if (snippet.expires_at && (snippet.status === "pending" || snippet.status === "expired")) {
      const when = clock(snippet.expires_at);
      let text = TEXT.notAfter(when);
      if (snippet.status === "expired") text = TEXT.expired(when);
      else if (!snippet.eta && !this.platform?.paused && !this.platform?.holds && !isWaiting(snippet)) {
        text = TEXT.noSlot(when);
      }
      notes.push(h("p", { class: `note ${snippet.status === "expired" ? "note-error" : "note-muted"}`,
        title: TEXT.notAfterTitle(fullTime(snippet.expires_at)) }, icon("clock"), text));
    }
    const quieted = snippet.status === "pending" && snippet.eta && snippet.eta_before_quiet
      && !this.platform?.paused && !this.platform?.holds;
    this.el.classList.toggle("is-after-quiet", !!quieted);
    if (quieted) {
      notes.push(h("p", { class: "note note-muted note-quiet",
        title: TEXT.afterQuietTitle(fullTime(snippet.eta_before_quiet), fullTime(snippet.eta)) },
      icon("moon"), TEXT.afterQuiet(clock(snippet.eta_before_quiet))));
    }
    if (meta.drafted_by && snippet.status === "pending") {
      notes.push(h("p", { class: "note note-ai", title: String(meta.drafted_by) }, icon("sparkle"),
        M.writtenByAI));
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
      if (isWaiting(snippet)) label = ""; // the approval row above says it
      else if (isInbox(platform)) label = M.draft;
      else if (snippet.eta && snippet.meta?.send_now) when = snippet.eta;
      else if (platform.paused) label = M.badgePaused;
      else if (platform.holds) label = TEXT.held;
      else if (snippet.eta) when = snippet.eta;
      else label = M.notScheduled;
    } else {
      label = STATUS_LABEL[status] ?? status;
      when = status === "sending" ? null : snippet.finished_at ?? snippet.updated_at ?? null;
    }
    setText(this.state, label);
    this.state.hidden = !label;
    const zone = columnZone(platform);
    setText(this.clock, when ? clock(when, Date.now(), zone) : "");
    setAttr(this.clock, "datetime", when);
    setAttr(this.clock, "title", when ? fullTime(when, zone) : null);
    setRelative(this.rel, when);
    const email = snippet.user_email ?? "";
    setText(this.avatar, email ? initials(email) : "");
    this.avatar.hidden = !email;
    this.avatar.style.setProperty("--avatar-hue", hue(email));
    const edited = snippet.updated_at ? M.editedAt(clock(snippet.updated_at)) : "";
    setAttr(this.avatar, "title", email ? `${M.lastEditedBy(email)}${edited}` : null);
    setText(this.editorLabel, email ? M.lastEditedBy(email) : "");
  }

  renderActions(snippet, platform, editable, writable) {
    // Rebuild the buttons only when the set changes, so a focused button survives patches.
    const waiting = isWaiting(snippet);
    const key = `${snippet.status}:${editable}:${writable}:${isInbox(platform)}:${waiting}`;
    if (key === this.actionsKey) return;
    this.actionsKey = key;
    const buttons = [];
    if (writable && snippet.status === "pending") {
      // Authors edit; the rest is an editor's (a waiting card is not sent before approval).
      buttons.push(actionButton("edit", M.editCard, "edit"));
      if (editable && !isInbox(platform) && !waiting) {
        buttons.push(actionButton("send", M.sendNow, "send"));
        buttons.push(actionButton("clock", M.intervalFromHere, "interval"));
      }
      if (editable) buttons.push(actionButton("trash", M.deleteCard, "delete"));
    } else if (editable && snippet.status === "failed") {
      buttons.push(textButton("retry", M.retry, "retry"));
    } else if (editable && snippet.status === "expired") {
      buttons.push(textButton("retry", TEXT.putBack, "retry", TEXT.putBackTitle));
    } else if (editable && snippet.status === "needs_check") {
      buttons.push(textButton("check", M.itWentOut, "markSent"));
      buttons.push(textButton("retry", M.sendAgain, "sendAgain"));
    }
    const overlay = snippet.status === "pending";
    // The card's own tab stops are the card and its menu: the rest is in the menu and the keys.
    if (overlay) for (const button of buttons) button.tabIndex = -1;
    if (hasMenu(snippet, this.ctx)) buttons.push(this.menuButton);
    const kind = overlay ? "card-actions is-overlay" : "card-actions is-row";
    if (this.actions.className !== kind) this.actions.className = kind;
    const home = overlay ? this.meta : this.view;
    if (this.actions.parentNode !== home) home.append(this.actions);
    this.actions.replaceChildren(...buttons);
    this.actions.hidden = buttons.length === 0;
  }

  /** "‹name› is editing" on the card, from the state's presence (every render). */
  showEditors() {
    const entries = editorsOf(this.ctx.store, this.id);
    const key = entries.map((e) => e.email).join(",");
    if (key === this.editors) return;
    this.editors = key;
    editingNote(this.presence, entries);
    this.el.classList.toggle("is-edited-elsewhere", entries.length > 0);
  }

  startEdit() {
    if (this.editor || !this.snippet || this.snippet.status !== "pending" || !this.ctx.canWrite()) return;
    const finish = () => this.stopEdit();
    const suggest = suggestTool({
      actions: this.ctx.actions, snippetId: this.id, pick: (text) => this.editor?.useText(text),
    });
    this.story = storyPanel(this.id, this.ctx.columnName);
    this.editor = new InPlaceEditor(this.snippet, {
      limit: this.platform.text_limit ?? null,
      save: (values, version) => this.ctx.actions.updateCard(this.id, version, values),
      done: finish,
      tools: [suggest.button],
      below: h("div", { class: "editor-below" }, suggest.panel, this.story.el),
    });
    this.el.classList.add("is-editing");
    this.el.removeAttribute("draggable");
    this.view.hidden = true;
    this.el.append(this.editor.el);
    this.ctx.editing.opened(this.id);
    // Someone else is in this card: say so before a keystroke can cross theirs.
    const others = editorsOf(this.ctx.store, this.id);
    if (others.length) this.editor.holdUntilConfirmed(editingWarning(others));
    else this.editor.focus();
  }

  stopEdit() {
    if (!this.dropEditor()) return;
    this.update(this.snippet, this.platform);
    this.el.focus();
  }

  /** Close the editor without saving or redrawing; returns what it held ({values, changed}). */
  dropEditor() {
    if (!this.editor) return null;
    this.ctx.editing.closed(this.id);
    const held = { values: this.editor.form.values(), changed: this.editor.changed() };
    this.editor.el.remove();
    this.editor = null;
    this.story = null;
    this.view.hidden = false;
    this.el.classList.remove("is-editing");
    this.signature = "";
    return held;
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
    this.remove = actionButton("close", M.removeMarker, "delete", "icon-btn marker-remove");
    this.remove.tabIndex = -1;
    this.menuButton = menuButton();
    this.el = h("div", { class: "marker", tabindex: "-1", role: "listitem", "data-kind": "interval" },
      icon("clock"), this.label, this.when, h("span", { class: "spacer" }), this.remove, this.menuButton);
  }

  act(action) {
    if (action === "delete") this.ctx.actions.deleteCard(this.id);
    else if (action === "menu") this.ctx.openCardMenu?.(this, this.menuButton);
  }

  update(snippet, platform) {
    const editable = this.ctx.canEdit();
    const ruled = !!platform.settings?.rhythm?.length;
    const signature = JSON.stringify([snippet, platform.paused, platform.holds, editable, ruled,
      platform.settings?.timezone]);
    if (signature === this.signature) return;
    this.signature = signature;
    this.snippet = snippet;
    setAttr(this.el, "data-snippet-id", snippet.id);
    setAttr(this.el, "data-status", snippet.status);
    setAttr(this.el, "draggable", editable ? "true" : null);
    // With rhythm rules a marker holds until the next rule begins (CONTRACT §8).
    const text = M.fromHere(interval(snippet.interval_s)) + (ruled ? TEXT.untilNextRule : "");
    setText(this.label, text);
    setAttr(this.el, "aria-label", M.markerLabel(text));
    const eta = platform.paused || platform.holds ? null : snippet.eta;
    setAttr(this.when, "datetime", eta);
    const zone = columnZone(platform);
    setAttr(this.when, "title", eta ? M.takesEffect(fullTime(eta, zone)) : null);
    setText(this.when, eta ? clock(eta, Date.now(), zone) : "");
    this.remove.hidden = !editable;
    this.menuButton.hidden = !editable;
  }
}

/** The "⋯" button of a card or marker: out of the tab order until its card is the queue's stop. */
function menuButton() {
  // Opened through the board's one click listener (board.js delegate → act("menu")).
  const button = actionButton("more", M.cardMenu.button, "menu", "icon-btn card-menu-btn");
  button.tabIndex = -1;
  button.setAttribute("aria-haspopup", "menu");
  return button;
}

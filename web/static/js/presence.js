// Who else has the board open (avatars in the top bar), who is editing which card, and what
// this tab edits, told to the server (`presence.editing`). Presence is part of the state
// (CONTRACT §12): `presence: {"<user id>": {id, email, editing}}`, on every instance.

import { h, reconcile, setAttr, setText } from "./dom.js";
import { M } from "./messages.js";

// Its words are js/messages.js's M.presence.
export const TEXT = M.presence;

// Avatars shown in the top bar; the rest are counted (the bar must fit 1280 px with an
// admin's buttons).
const MAX_AVATARS = 4;

/** What people are called on the board: their e-mail's local part ("ann.lee" of ann.lee@…). */
export function displayName(email) {
  return (email ?? "").split("@")[0] || email || "";
}

export function initials(email) {
  const name = (email ?? "").split("@")[0];
  const parts = name.split(/[._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : name.slice(0, 2);
  return letters.toUpperCase() || "?";
}

/** A stable colour per person, so the same face is the same colour everywhere. */
export function hue(text) {
  let n = 0;
  for (const ch of text ?? "") n = (n * 31 + ch.charCodeAt(0)) % 360;
  return n;
}

/** An avatar bubble for `email` (initials on its colour). */
export function avatar(email, className = "avatar") {
  const el = h("span", { class: className, "aria-hidden": "true" }, initials(email));
  el.style.setProperty("--avatar-hue", hue(email));
  return el;
}

/** Everyone but me with the board open, by e-mail. */
export function others(store) {
  const me = store.me.id;
  return Object.values(store.state.presence ?? {})
    .filter((entry) => entry && entry.id !== me)
    .sort((a, b) => (a.email ?? "").localeCompare(b.email ?? ""));
}

/** The others editing card `snippetId`. */
export function editorsOf(store, snippetId) {
  return others(store).filter((entry) => entry.editing === snippetId);
}

function names(entries) {
  return TEXT.and(entries.map((e) => displayName(e.email)));
}

/** "ann is editing", "ann and bob are editing"; "" for nobody. */
export function editingLine(entries) {
  return entries.length ? TEXT.isEditing(names(entries), entries.length) : "";
}

/** The warning before typing into a card others are editing. */
export function editingWarning(entries) {
  return `${TEXT.warnTitle(names(entries), entries.length)} ${TEXT.warnBody}`;
}

/** The avatars of the top bar: who else has the board open, each titled with what they edit. */
export class PresenceBar {
  constructor(root, store) {
    this.root = root;
    this.store = store;
    this.key = "";
    setAttr(root, "aria-label", TEXT.onBoard);
  }

  render() {
    const entries = others(this.store);
    const key = JSON.stringify(entries.map((e) => [e.id, e.email, e.editing ?? null,
      e.editing ? this.store.snippet(e.editing)?.body ?? "" : ""]));
    if (key === this.key) return;
    this.key = key;
    const shown = entries.slice(0, MAX_AVATARS).map((entry) => {
      const card = entry.editing ? this.store.snippet(entry.editing) : null;
      const what = card?.body ? `“${card.body.slice(0, 40)}”` : TEXT.aCard;
      const title = entry.editing ? TEXT.hereEditing(entry.email, what) : TEXT.here(entry.email);
      const el = avatar(entry.email, "avatar presence-avatar");
      el.removeAttribute("aria-hidden");
      setAttr(el, "role", "img");
      setAttr(el, "title", title);
      setAttr(el, "aria-label", title);
      setAttr(el, "data-user-id", entry.id);
      el.classList.toggle("is-editing", !!entry.editing);
      return el;
    });
    if (entries.length > MAX_AVATARS) {
      const rest = entries.slice(MAX_AVATARS);
      shown.push(h("span", { class: "presence-more", title: rest.map((e) => e.email).join("\n") },
        TEXT.more(rest.length)));
    }
    reconcile(this.root, shown);
    this.root.hidden = shown.length === 0;
  }
}

/**
 * What this tab edits, told to the server: the card whose editor opened last and is still
 * open (null: none). Said again after a reconnect, since a new connection starts editing nothing.
 */
export class EditingReporter {
  constructor(conn) {
    this.conn = conn;
    this.open = [];
    this.told = null;
  }

  opened(snippetId) {
    this.open = this.open.filter((id) => id !== snippetId);
    this.open.push(snippetId);
    this.tell();
  }

  closed(snippetId) {
    this.open = this.open.filter((id) => id !== snippetId);
    this.tell();
  }

  /** A new connection: it knows nothing of what this tab edits. */
  reconnected() {
    this.told = null;
    if (this.open.length) this.tell();
  }

  tell() {
    const editing = this.open.at(-1) ?? null;
    if (editing === this.told || !this.conn.ready) return;
    this.told = editing;
    // A refusal (the card was deleted meanwhile) or a lost connection changes nothing here.
    this.conn.command("presence.editing", { snippet_id: editing }).catch(() => {
      if (this.told === editing) this.told = undefined;
    });
  }
}

/** Text for a card others are editing, shown on the card (and above its editor). */
export function editingNote(note, entries) {
  const line = editingLine(entries);
  setText(note.label, line);
  reconcile(note.faces, entries.slice(0, 3).map((entry) => avatar(entry.email)));
  note.el.hidden = !line;
}

export function makeEditingNote() {
  const faces = h("span", { class: "card-presence-faces" });
  const label = h("span", { class: "card-presence-label" });
  return { el: h("p", { class: "card-presence", hidden: true }, faces, label), faces, label };
}

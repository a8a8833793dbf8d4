// The card form (new card and edit in place) and the conflict notice of an edit.

import { h } from "./dom.js";
import { expiryField } from "./expiry.js";
import { TEXT as PRESENCE } from "./presence.js";
import { relative } from "./time.js";
import { M } from "./messages.js";

function length(text) {
  return [...text].length;
}

/**
 * A text + link form with a counter against the column's text limit, and "don't publish
 * after…" (its expiry) unless `expiresAt` is undefined.
 * onSubmit({body, url, expires_at?}, button) may return a promise; the form is busy until it
 * settles. `expires_at` is there only when the editor changed it (null: no limit).
 */
export function cardForm({ limit = null, body = "", url = "", expiresAt = undefined, submitLabel,
  extraSubmit = null, onSubmit, onCancel, label, tools = [], below = null, cancelLabel = M.cancel }) {
  const textarea = h("textarea", {
    name: "body", class: "input card-text", rows: "4", placeholder: M.textPlaceholder,
    "aria-label": M.fieldText(label),
  });
  textarea.value = body;
  const link = h("input", {
    name: "url", type: "url", class: "input", placeholder: M.linkPlaceholder,
    "aria-label": M.fieldLink(label),
  });
  link.value = url ?? "";
  const expiry = expiresAt === undefined ? null : expiryField({ value: expiresAt });
  const counter = h("span", { class: "counter", "aria-live": "polite" });
  const notice = h("div", { class: "form-notice", hidden: true });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-small" }, submitLabel);
  const extra = extraSubmit && h("button", {
    type: "submit", class: "btn btn-small", value: "extra", title: extraSubmit.title,
  }, extraSubmit.label);
  const cancel = h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => onCancel() },
    cancelLabel);
  const form = h("form", { class: "card-form", novalidate: true },
    h("div", { class: "text-box" }, textarea, counter), link, expiry?.el, notice, below,
    h("div", { class: "form-footer" }, ...tools, tools.length ? h("span", { class: "spacer" }) : null,
      cancel, extra, submit));
  let currentLimit = limit;
  let busy = false;
  let locked = false;

  const refresh = () => {
    const n = length(textarea.value);
    counter.textContent = currentLimit ? `${n} / ${currentLimit}` : `${n}`;
    const over = currentLimit !== null && n > currentLimit;
    counter.classList.toggle("over", over);
    counter.title = over ? M.overLimit(n - currentLimit) : M.characters;
    const empty = !textarea.value.trim() && !link.value.trim();
    submit.disabled = busy || over || empty || locked;
    if (extra) extra.disabled = submit.disabled;
  };
  textarea.addEventListener("input", refresh);
  link.addEventListener("input", refresh);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onCancel();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit(submit);
    }
    // Keep the board's card shortcuts (Alt+arrows, Delete) away from the text fields.
    event.stopPropagation();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    if (link.value.trim() && !link.checkValidity()) {
      link.reportValidity();
      return;
    }
    if (expiry && !expiry.valid()) return;
    const values = { body: textarea.value.trim(), url: link.value.trim() || null };
    if (expiry?.changed()) values.expires_at = expiry.read();
    busy = true;
    refresh();
    try {
      await onSubmit(values, event.submitter?.value === "extra" ? "extra" : "submit");
    } finally {
      busy = false;
      refresh();
    }
  });
  refresh();
  return {
    el: form,
    focus: () => {
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    },
    /** What the form holds now, as typed. */
    values: () => ({ body: textarea.value, url: link.value }),
    setValues: (values) => {
      textarea.value = values.body ?? "";
      link.value = values.url ?? "";
      if ("expires_at" in values) expiry?.reset(values.expires_at);
      refresh();
    },
    /** Replace the text (keeping the link), as if typed. */
    setBody: (newBody) => {
      textarea.value = newBody ?? "";
      refresh();
    },
    setLimit: (newLimit) => {
      if (newLimit === currentLimit) return;
      currentLimit = newLimit;
      refresh();
    },
    setNotice: (content) => {
      notice.replaceChildren(...(content ? [content].flat() : []));
      notice.hidden = !content;
    },
    /** Read-only (and nothing to save) while `on`: someone else is in the card. */
    setLocked: (on) => {
      locked = on;
      textarea.readOnly = on;
      link.readOnly = on;
      refresh();
    },
  };
}

/**
 * Edit in place: holds the version the edit started from. When the card changes under the
 * editor (a patch, or a `conflict` reply) it says who changed it and offers their text.
 */
export class InPlaceEditor {
  constructor(snippet, { limit, save, done, tools = [], below = null }) {
    this.done = done;
    this.held = false;
    this.version = snippet.version;
    this.latest = snippet;
    this.original = { body: snippet.body ?? "", url: snippet.url ?? "" };
    this.conflicted = false;
    this.form = cardForm({
      limit, body: snippet.body ?? "", url: snippet.url ?? "", expiresAt: snippet.expires_at ?? null,
      submitLabel: M.save, label: M.editCardLabel,
      onCancel: done, tools, below,
      onSubmit: async (values) => {
        const saved = await save(values, this.version);
        if (saved === "conflict") {
          this.conflicted = true;
          this.showNotice();
        } else if (saved) {
          done();
        }
      },
    });
    this.el = this.form.el;
  }

  focus() {
    this.form.focus();
  }

  /**
   * Someone else is editing this card: the form stays read-only under `warning` until the
   * user chooses to edit anyway (or cancels).
   */
  holdUntilConfirmed(warning) {
    this.held = true;
    this.form.setLocked(true);
    const go = h("button", { type: "button", class: "btn btn-small", onclick: () => {
      this.held = false;
      this.form.setLocked(false);
      this.form.setNotice(null);
      this.form.focus();
    } }, PRESENCE.editAnyway);
    this.form.setNotice([
      h("span", { class: "notice-text" }, warning),
      h("span", { class: "notice-buttons" }, go,
        h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => this.done() },
          PRESENCE.cancel)),
    ]);
    go.focus();
  }

  /** Whether the editor holds text that was never saved. */
  changed() {
    const now = this.form.values();
    return now.body.trim() !== this.original.body.trim() || now.url.trim() !== this.original.url.trim();
  }

  /** Put `text` in the editor (an AI draft the editor picked); saving stays the editor's call. */
  useText(text) {
    this.form.setBody(text);
    this.form.focus();
  }

  /** The card as the server has it now; called on every patch while editing. */
  seen(snippet, limit) {
    this.latest = snippet;
    this.form.setLimit(limit);
    if (snippet.version === this.version) return;
    if (this.held) {
      // Nothing typed yet: show their latest text, and edit from that version.
      this.form.setValues({ body: snippet.body, url: snippet.url, expires_at: snippet.expires_at ?? null });
      this.original = { body: snippet.body ?? "", url: snippet.url ?? "" };
      this.version = snippet.version;
    } else {
      this.showNotice();
    }
  }

  showNotice() {
    const who = this.latest.user_email || M.someone;
    const changed = this.latest.version !== this.version;
    const when = changed && this.latest.updated_at ? ` ${relative(this.latest.updated_at)}` : "";
    const text = changed
      ? M.changedBy(who, when)
      : M.changedMeanwhile;
    this.form.setNotice([
      h("span", {}, text),
      h("span", { class: "notice-buttons" },
        h("button", { type: "button", class: "btn btn-small", disabled: !changed, onclick: () => this.loadTheirs() },
          M.loadTheirs),
        h("button", { type: "button", class: "btn btn-small btn-quiet", disabled: !changed, onclick: () => this.keepMine() },
          M.keepMine)),
    ]);
  }

  loadTheirs() {
    this.form.setValues({
      body: this.latest.body, url: this.latest.url, expires_at: this.latest.expires_at ?? null,
    });
    this.keepMine();
    this.form.focus();
  }

  /** Save over their change: the next save carries the version we have now seen. */
  keepMine() {
    this.version = this.latest.version;
    this.conflicted = false;
    this.form.setNotice(null);
  }
}

// The column's rhythm in a dialog of its own, opened from the column header (editors and
// admins): the rhythm editor (rhythm.js) with Save and Cancel. Save sends platform.update with
// the column's settings as they are and the rhythm's keys as edited; a refusal marks its field
// and keeps the dialog open.

import { h } from "./dom.js";
import { M } from "./messages.js";
import { mountRhythm, strip } from "./rhythm.js";
import { toast } from "./toasts.js";

const TEXT = M.rhythm;

/** Open the dialog for `platform`; resolves when it closes. */
export function openRhythmDialog({ platform, store, actions }) {
  return new Promise((resolve) => {
    const titleId = `rhythm-title-${platform.id}`;
    const slot = h("div", { class: "rhythm-slot-box" });
    const save = h("button", { type: "submit", class: "btn btn-primary" }, M.save);
    const cancel = h("button", { type: "button", class: "btn" }, M.cancel);
    const form = h("form", { class: "dialog-form", novalidate: true },
      h("h2", { class: "dialog-title", id: titleId }, TEXT.dialogTitle(platform.name)), slot,
      h("div", { class: "dialog-buttons" }, cancel, save));
    const dialog = h("dialog", { class: "dialog dialog-rhythm", "aria-labelledby": titleId }, form);
    const editor = mountRhythm(slot, {
      settings: platform.settings ?? {}, platformId: platform.id, preview: actions.preview, store,
    });
    cancel.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      save.disabled = true;
      try {
        const current = store.platform(platform.id) ?? platform;
        await actions.saveSettings(current, { ...strip(current.settings), ...editor.values() });
        toast(TEXT.saved(platform.name));
        dialog.close();
      } catch (error) {
        editor.showError(error.message ?? String(error));
      } finally {
        save.disabled = false;
      }
    });
    // The board's keys (arrows, B, /) are not for the dialog's fields.
    form.addEventListener("keydown", (event) => event.stopPropagation());
    dialog.addEventListener("close", () => {
      editor.destroy();
      dialog.remove();
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
    editor.focus();
  });
}

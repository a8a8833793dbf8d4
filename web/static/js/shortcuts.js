// The keyboard help (the "?" key or the Keyboard button).

import { infoDialog } from "./dialogs.js";
import { h } from "./dom.js";

const SHORTCUTS = [
  ["Tab", "Go to the next card or control"],
  ["↑ ↓ ← →", "Go to the card above, below, or in the next column"],
  ["Alt + ↑ / ↓", "Move the focused card one place up or down"],
  ["Alt + ← / →", "Move the focused card to the top of the neighbouring column"],
  ["Enter", "Edit the focused card"],
  ["Ctrl + Enter", "Save the card being edited"],
  ["Escape", "Stop editing without saving"],
  ["Delete", "Delete the focused card (with undo)"],
  ["/", "Search the materials"],
  ["B", "Breaking news: one post to many columns, and hold the rest"],
  ["Enter", "On a material: add it to a column"],
  ["?", "Show this list"],
];

let open = false;

export async function showShortcuts() {
  if (open) return;
  open = true;
  const rows = SHORTCUTS.map(([keys, what]) => h("tr", {}, h("th", { scope: "row" }, h("kbd", {}, keys)), h("td", {}, what)));
  try {
    await infoDialog({ title: "Keyboard", content: h("table", { class: "shortcuts" }, h("tbody", {}, rows)) });
  } finally {
    open = false;
  }
}

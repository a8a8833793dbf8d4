// The keyboard help (the "?" key or the Keyboard button).

import { infoDialog } from "./dialogs.js";
import { h } from "./dom.js";
import { M } from "./messages.js";

// The board's keys, then those of issue 21 (boardkeys.js, cardmenu.js, keyboard.js, finder.js).
const SHORTCUTS = [...M.shortcuts, ...M.moreShortcuts, ...M.bigBoard.shortcuts];

let open = false;

export async function showShortcuts() {
  if (open) return;
  open = true;
  const rows = SHORTCUTS.map(([keys, what]) => h("tr", {}, h("th", { scope: "row" }, h("kbd", {}, keys)), h("td", {}, what)));
  try {
    await infoDialog({ title: M.keyboard, content: h("table", { class: "shortcuts" }, h("tbody", {}, rows)) });
  } finally {
    open = false;
  }
}

// Single-key shortcuts on the board (listed in the keyboard help, shortcuts.js):
//   M, Shift+F10 or the menu key — the focused card's menu (cardmenu.js)
//   N — a new card in the focused column     P — pause or resume it
//   C — clear its queue (asks first)         S — send the focused card now (asks first)
// "The focused column" is the one holding the focus; with the focus elsewhere (the page, the
// phone's column switcher) it is the column in view at the board's left edge — on a phone,
// the one on screen. B (breaking news), / and ? live in app.js.

import { isWaiting } from "./approval.js";
import { M } from "./messages.js";
import { isInbox } from "./networks.js";
import { openedMenu } from "./popmenu.js";
import { toast } from "./toasts.js";

const TYPING = "input, textarea, select, [contenteditable], dialog, [role=menu]";

/** The column in view at the board's left edge (the phone's one column). */
function columnInView(root) {
  const left = root.getBoundingClientRect().left;
  let best = null;
  for (const el of root.querySelectorAll(":scope > [data-platform-id]")) {
    const r = el.getBoundingClientRect();
    if (r.right > left + 1 && r.width > 0) {
      best = el;
      break;
    }
  }
  return best;
}

/**
 * `columnAt(el)` → the ColumnView holding el; `cardView(id)` → the card's view; `openCardMenu`
 * (view, anchor); `canEdit()`, `canWrite()`; `actions`; `store`.
 */
export function enableBoardKeys(root, { columnAt, cardView, openCardMenu, canEdit, canWrite, actions, store }) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest(TYPING) || openedMenu()) return;
    // Keys work on the board, and on the page itself (nothing focused); not inside the top
    // bar's or the materials panel's own controls.
    const inBoard = target && root.contains(target);
    const onPage = !target || target === document.body || target.closest(".column-switcher");
    if (!inBoard && !onPage) return;
    const card = inBoard ? target.closest("[data-snippet-id]") : null;
    const key = event.key;

    if ((key === "F10" && event.shiftKey) || key === "ContextMenu" || ((key === "m" || key === "M") && !event.shiftKey)) {
      if (!card) return;
      const view = cardView(Number(card.dataset.snippetId));
      if (view && openCardMenu(view, view.menuButton?.isConnected ? view.menuButton : card)) event.preventDefault();
      return;
    }
    if (event.shiftKey) return;
    const lower = key.length === 1 ? key.toLowerCase() : key;
    if (!["n", "p", "c", "s"].includes(lower)) return;
    event.preventDefault();
    if (lower === "s") {
      const snippet = card && store.snippet(Number(card.dataset.snippetId));
      const platform = snippet && store.platform(snippet.platform_id);
      // As the card offers it: not a marker, not a card waiting for approval, not a drafts inbox.
      if (canEdit() && snippet?.kind === "post" && !isWaiting(snippet) && !isInbox(platform)) actions.sendNow(snippet.id);
      return;
    }
    const column = columnAt((inBoard && target.closest("[data-platform-id]")) || columnInView(root));
    if (!column) {
      toast(M.noColumnFocused);
      return;
    }
    if (lower === "n" && canWrite() && !column.add.hidden) column.openComposer();
    else if (lower === "p" && canEdit() && !column.pause.hidden) column.togglePause();
    else if (lower === "c" && canEdit() && !column.clear.hidden && !column.clear.disabled) actions.clearColumn(column.id);
  });
}

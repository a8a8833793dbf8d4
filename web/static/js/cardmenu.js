// The card menu ("⋯" on a queued card, or M / Shift+F10 with the card focused): everything a
// drag does, for fingers and keys — up, down, to the top or the end, to another column — and
// the card's own actions (edit, send now, interval from here, delete).
//
// Moves are one `snippet.move` each, through actions.move (the same optimistic path as a
// drop). Neighbours come from the store's queue order, not from the page, so a board that
// leaves far cards out of the page moves cards the same.

import { isWaiting } from "./approval.js";
import { M } from "./messages.js";
import { isInbox } from "./networks.js";
import { openMenu } from "./popmenu.js";

const TEXT = M.cardMenu;

/** The moves of a card at `index` of `queue` (snippets in order), as snippet.move targets. */
export function moveTargets(queue, index, platformId) {
  const before = queue[index - 1];
  const after = queue[index + 1];
  return {
    up: before ? { platform_id: platformId, before_id: before.id } : null,
    down: after ? { platform_id: platformId, after_id: after.id } : null,
    top: index > 0 ? { platform_id: platformId, after_id: null } : null,
    bottom: index < queue.length - 1 ? { platform_id: platformId, after_id: queue.at(-1).id } : null,
  };
}

/**
 * `ctx` = the board's card context ({store, actions, canEdit(), canWrite()}). Returns
 * open(view, anchor): the menu of that CardView or MarkerView, beside `anchor`.
 */
export function cardMenu(ctx) {
  const { store, actions } = ctx;

  function items(view) {
    const snippet = store.snippet(view.id) ?? view.snippet;
    if (!snippet || snippet.status !== "pending") return [];
    const platform = store.platform(snippet.platform_id);
    const editable = ctx.canEdit();
    const list = [];
    if (editable) {
      const queue = store.queue(snippet.platform_id);
      const index = queue.findIndex((s) => s.id === snippet.id);
      const moves = moveTargets(queue, index, snippet.platform_id);
      const move = (target) => ({ disabled: !target, run: () => actions.move(snippet.id, target) });
      list.push({ label: TEXT.up, ...move(moves.up) }, { label: TEXT.down, ...move(moves.down) },
        { label: TEXT.top, ...move(moves.top) }, { label: TEXT.bottom, ...move(moves.bottom) });
      const others = store.columns().filter((column) => column.id !== snippet.platform_id);
      list.push({
        label: TEXT.toColumn,
        title: TEXT.toColumnTitle,
        disabled: others.length === 0,
        items: () => others.map((column) => ({
          label: column.name,
          run: () => actions.move(snippet.id, { platform_id: column.id, after_id: null }),
        })),
      });
    }
    if (snippet.kind === "interval") {
      if (editable) list.push({ label: TEXT.removeMarker, run: () => actions.deleteCard(snippet.id) });
      return list;
    }
    if (ctx.canWrite()) list.push({ label: TEXT.edit, run: () => view.startEdit?.() });
    if (editable && isWaiting(snippet)) list.push({ label: TEXT.approve, run: () => actions.approve(snippet.id) });
    if (editable && platform && !isInbox(platform) && !isWaiting(snippet)) {
      list.push({ label: TEXT.sendNow, run: () => actions.sendNow(snippet.id) },
        { label: TEXT.intervalFromHere, run: () => actions.intervalFromHere(snippet.id) });
    }
    if (snippet.url) {
      list.push({ label: TEXT.openLink, run: () => window.open(snippet.url, "_blank", "noopener,noreferrer") });
    }
    if (editable) list.push({ label: TEXT.delete, run: () => actions.deleteCard(snippet.id) });
    return list;
  }

  return function open(view, anchor = view.menuButton) {
    const list = items(view);
    if (!list.length) return null;
    const words = (view.snippet?.body ?? view.snippet?.url ?? "").slice(0, 40);
    return openMenu(anchor ?? view.el, { label: TEXT.label(words), items: list, returnTo: view.el });
  };
}

/** Does anything of the card menu apply to a card for this user? (the button shows only then) */
export function hasMenu(snippet, ctx) {
  return snippet?.status === "pending" && (ctx.canEdit() || (ctx.canWrite() && snippet.kind !== "interval"));
}

// Which queued cards a column draws: those near the visible part of its scroll box, with
// spacers standing in for the rest, so that a queue of a thousand cards costs the page a
// screenful of elements. Heights come from a ResizeObserver (no layout is forced to read
// them); a card not drawn yet counts as the column's typical card.

import { h, reconcile } from "./dom.js";

export const GAP = 6; // the queue's row gap (board.css .queue)
// A queue this short is drawn whole: small boards keep every card in the page.
export const ALL_UP_TO = 40;
// Cards drawn above and below the visible part, as a share of the visible height: enough that
// a wheel turn or a dragged card meets drawn cards, while the page stays small.
const OVERSCAN = 0.5;
// A card's height before it has been drawn: the median of the cards seen, else these.
const POST_GUESS = 96;
const MARKER_GUESS = 30;

/** The first and last index of the items whose boxes meet [top, bottom], or null. */
export function visibleRange(heights, top, bottom, gap = GAP) {
  let pos = 0;
  let first = -1;
  let last = -1;
  for (let i = 0; i < heights.length; i += 1) {
    if (pos > bottom) break;
    const end = pos + heights[i];
    if (end >= top) {
      if (first < 0) first = i;
      last = i;
    }
    pos = end + gap;
  }
  return first < 0 ? null : [first, last];
}

/** The distance from the queue's top to item `index`'s top. */
export function offsetOf(heights, index, gap = GAP) {
  let pos = 0;
  for (let i = 0; i < index && i < heights.length; i += 1) pos += heights[i] + gap;
  return pos;
}

/**
 * The height a run of skipped items takes (from `from` to `to`, inclusive), as one grid item:
 * their heights and the gaps between them (the spacer's own gaps stand for the outer two).
 */
export function spanHeight(heights, from, to, gap = GAP) {
  let sum = 0;
  for (let i = from; i <= to; i += 1) sum += heights[i];
  return Math.max(0, sum + (to - from) * gap);
}

/** The indices to draw: the window and the pinned ones, ascending. */
export function drawnIndices(count, range, pinned) {
  const set = new Set(pinned.filter((i) => i >= 0 && i < count));
  if (range) for (let i = range[0]; i <= range[1]; i += 1) set.add(i);
  return [...set].sort((a, b) => a - b);
}

/** A column's queue: what is drawn of it, and the heights of its cards. */
export class QueueWindow {
  constructor(queue) {
    this.queue = queue;
    this.heights = new Map(); // snippet id → px, as last drawn
    this.spacers = [];
    this.typical = POST_GUESS;
    this.version = 0; // moves with every height that changes, so a redraw knows it must
  }

  guess(snippet) {
    return this.heights.get(snippet.id) ?? (snippet.kind === "interval" ? MARKER_GUESS : this.typical);
  }

  /** A drawn card's height (from the board's ResizeObserver); true when it changed. */
  measured(id, px) {
    const before = this.heights.get(id);
    if (before !== undefined && Math.abs(before - px) < 1) return false;
    this.heights.set(id, px);
    this.version += 1;
    return true;
  }

  /** Forget the heights of cards that left the queue, and settle on a typical height. */
  prune(items) {
    const ids = new Set(items.map((s) => s.id));
    for (const id of this.heights.keys()) if (!ids.has(id)) this.heights.delete(id);
    const posts = items.filter((s) => s.kind !== "interval").map((s) => this.heights.get(s.id)).filter(Boolean);
    const typical = posts.length ? posts.sort((a, b) => a - b)[Math.floor(posts.length / 2)] : this.typical;
    if (typical !== this.typical) this.version += 1;
    this.typical = typical;
  }

  /**
   * Which items to draw. `view` = {near, top, height, overscan?}: whether the column is near
   * the board's visible width, and its queue's visible band (px from the queue's top); `all`
   * draws everything (a short queue, or a filter that shows only some cards).
   */
  pick(items, view, pinned, all = false) {
    if (all && view.near) return items.map((_, i) => i);
    let range = null;
    if (view.near) {
      const heights = items.map((s) => this.guess(s));
      const extra = view.height * (view.overscan ?? OVERSCAN);
      range = visibleRange(heights, view.top - extra, view.top + view.height + extra);
    }
    return drawnIndices(items.length, range, pinned);
  }

  /** Put `drawn` (indices into `items`) in the queue, with spacers for the gaps. */
  draw(items, drawn, elementOf, keep) {
    const heights = items.map((s) => this.guess(s));
    const nodes = [];
    let used = 0;
    const spacer = (px) => {
      let el = this.spacers[used];
      if (!el) {
        el = h("div", { class: "queue-spacer", "aria-hidden": "true" });
        this.spacers.push(el);
      }
      used += 1;
      const value = `${Math.round(px)}px`;
      if (el.style.height !== value) el.style.height = value;
      nodes.push(el);
    };
    let next = 0;
    for (const index of drawn) {
      if (index > next) spacer(spanHeight(heights, next, index - 1));
      nodes.push(elementOf(items[index]));
      next = index + 1;
    }
    if (next < items.length) spacer(spanHeight(heights, next, items.length - 1));
    reconcile(this.queue, nodes, { keep });
  }

  /** Where item `index` starts, from the queue's top (estimated for cards not drawn). */
  offset(items, index) {
    return offsetOf(items.map((s) => this.guess(s)), index);
  }
}

// What a queued card says to a screen reader: its place in the queue, when it goes, and its
// first words ("2 of 7, at 10:30, The mayor resigns…"). aria-posinset and aria-setsize carry
// the place too, so it holds even when a big board leaves far cards out of the page.

import { isWaiting } from "./approval.js";
import { setAttr } from "./dom.js";
import { M } from "./messages.js";
import { isInbox } from "./networks.js";
import { clock, interval } from "./time.js";

const WORDS = 60;

/** When a queued card goes, in words: "at 10:30", "Paused", "Held", "waiting for approval"… */
export function cardWhen(snippet, platform) {
  if (isWaiting(snippet)) return M.cardWaiting;
  if (isInbox(platform)) return M.draft;
  if (snippet.eta && (snippet.meta?.send_now || !(platform.paused || platform.holds))) return M.cardAt(clock(snippet.eta));
  if (platform.paused) return M.badgePaused;
  if (platform.holds) return M.cardHold.held;
  return M.notScheduled;
}

/** The label of the card at `index` (from 1) of `count` queued cards of `platform`. */
export function placeLabel(snippet, platform, index, count) {
  if (snippet.kind === "interval") {
    const ruled = platform.settings?.rhythm?.length ? M.cardHold.untilNextRule : "";
    return M.markerPlace(index, count, M.fromHere(interval(snippet.interval_s)) + ruled);
  }
  const words = (snippet.body || snippet.url || "").replace(/\s+/g, " ").trim();
  const short = words.length > WORDS ? `${words.slice(0, WORDS).trimEnd()}…` : words;
  return M.cardPlace(index, count, cardWhen(snippet, platform), short);
}

/**
 * Label the drawn cards of a column's queue: `items` = its snippets in queue order, `drawn` =
 * the indexes of those in the page (a long queue draws only those near sight, virtual.js).
 */
export function labelQueue(platform, items, drawn, elFor) {
  const count = items.length;
  for (const i of drawn) {
    const el = elFor(items[i]);
    setAttr(el, "aria-posinset", i + 1);
    setAttr(el, "aria-setsize", count);
    setAttr(el, "aria-label", placeLabel(items[i], platform, i + 1, count));
  }
}

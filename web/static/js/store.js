// The board's state (as the server sends it) and the views the page draws from it.

import { applyMergePatch } from "./patch.js";

// An optimistic move is dropped once the server's own patch for the card arrives, or after
// this long at the latest (the patch normally lands within milliseconds of the reply).
const OVERRIDE_GRACE_MS = 3000;

const HISTORY = new Set(["sent", "failed", "expired"]);

function byOrd(a, b) {
  return (a.ord ?? 0) - (b.ord ?? 0) || a.id - b.id;
}

function newestFirst(a, b) {
  const ta = Date.parse(a.finished_at ?? a.updated_at ?? "") || 0;
  const tb = Date.parse(b.finished_at ?? b.updated_at ?? "") || 0;
  return tb - ta || b.id - a.id;
}

export class Store {
  constructor() {
    this.state = { me: null, platforms: {}, snippets: {} };
    // id → {platform_id, ord, base, timer}: where a card was moved before the server said so;
    // `base` is where the server had it then, so its own move is recognised whichever of
    // reply and patch comes first.
    this.overrides = new Map();
  }

  /** Start over from a full state (the first frame of every connection). */
  reset(full) {
    this.state = applyMergePatch({ me: null, platforms: {}, snippets: {} }, full);
    this.state.platforms ??= {};
    this.state.snippets ??= {};
    this.clearOverrides();
  }

  apply(patch) {
    this.state = applyMergePatch(this.state, patch);
    this.state.platforms ??= {};
    this.state.snippets ??= {};
    for (const id of Object.keys(patch.snippets ?? {})) {
      if (this.serverMoved(Number(id))) this.dropOverride(Number(id));
    }
  }

  get me() {
    return this.state.me ?? {};
  }

  platform(id) {
    return this.state.platforms[id] ?? null;
  }

  /**
   * A snippet as the page should show it: with an optimistic move applied, and its
   * material (title, url) when the state holds that material.
   */
  snippet(id) {
    let snippet = this.state.snippets[id];
    if (!snippet) return null;
    const override = this.overrides.get(Number(id));
    if (override) snippet = { ...snippet, platform_id: override.platform_id, ord: override.ord };
    const material = snippet.material_id && this.state.materials?.[snippet.material_id];
    if (material && !snippet.material) snippet = { ...snippet, material };
    return snippet;
  }

  /** The holds in force (CONTRACT §7), oldest first. */
  holds() {
    return Object.values(this.state.holds ?? {}).sort((a, b) => a.id - b.id);
  }

  /** column id → the holds on it. */
  heldColumns() {
    const held = new Map();
    for (const hold of this.holds()) {
      for (const id of hold.platform_ids ?? []) held.set(id, [...(held.get(id) ?? []), hold]);
    }
    return held;
  }

  columns() {
    return Object.values(this.state.platforms)
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id - b.id);
  }

  /**
   * Every snippet of the board grouped per column: {queue, sending, attention, history}
   * (`only`: a set of column ids, to group just those).
   */
  lanes(only = null) {
    const lanes = new Map();
    for (const platform of Object.values(this.state.platforms)) {
      if (!only || only.has(platform.id)) lanes.set(platform.id, { queue: [], sending: [], attention: [], history: [] });
    }
    for (const [key, raw] of Object.entries(this.state.snippets)) {
      // Another column's card is skipped unless a local move may bring it here.
      if (only && !lanes.has(raw.platform_id) && !this.overrides.has(Number(key))) continue;
      const snippet = this.snippet(key);
      const lane = lanes.get(snippet.platform_id);
      if (!lane) continue;
      if (snippet.status === "pending") lane.queue.push(snippet);
      else if (snippet.status === "sending") lane.sending.push(snippet);
      else if (snippet.status === "needs_check") lane.attention.push(snippet);
      else if (HISTORY.has(snippet.status) && snippet.kind !== "interval") lane.history.push(snippet);
    }
    for (const lane of lanes.values()) {
      lane.queue.sort(byOrd);
      lane.sending.sort(byOrd);
      lane.attention.sort(newestFirst);
      lane.history.sort(newestFirst);
    }
    return lanes;
  }

  queue(platformId) {
    return this.lanes(new Set([platformId])).get(platformId)?.queue ?? [];
  }

  /**
   * Show `id` at its new place at once. `target` is {platform_id, before_id} or
   * {platform_id, after_id} (after_id null: the top), as sent in snippet.move.
   */
  moveLocally(id, target) {
    const queue = this.queue(target.platform_id).filter((s) => s.id !== id);
    let index;
    if ("before_id" in target) {
      index = queue.findIndex((s) => s.id === target.before_id);
      if (index < 0) index = queue.length;
    } else if (target.after_id === null) {
      index = 0;
    } else {
      index = queue.findIndex((s) => s.id === target.after_id) + 1;
      if (index <= 0) index = queue.length;
    }
    const prev = queue[index - 1]?.ord;
    const next = queue[index]?.ord;
    let ord;
    if (prev === undefined && next === undefined) ord = 0;
    else if (prev === undefined) ord = next - 1;
    else if (next === undefined) ord = prev + 1;
    else ord = (prev + next) / 2;
    this.dropOverride(id);
    const server = this.state.snippets[id];
    const base = { platform_id: server?.platform_id, ord: server?.ord, status: server?.status };
    this.overrides.set(id, { platform_id: target.platform_id, ord, base, timer: null });
  }

  serverMoved(id) {
    const override = this.overrides.get(id);
    const server = this.state.snippets[id];
    if (!override) return false;
    if (!server) return true;
    const { base } = override;
    return server.platform_id !== base.platform_id || server.ord !== base.ord
      || server.status !== base.status;
  }

  /** The server accepted the move: forget ours when its patch arrives (or soon anyway). */
  confirmMove(id, onExpire) {
    const override = this.overrides.get(id);
    if (!override) return;
    if (this.serverMoved(id)) {
      this.dropOverride(id);
      onExpire();
      return;
    }
    override.timer = setTimeout(() => {
      this.dropOverride(id);
      onExpire();
    }, OVERRIDE_GRACE_MS);
  }

  dropOverride(id) {
    const override = this.overrides.get(id);
    if (!override) return;
    clearTimeout(override.timer);
    this.overrides.delete(id);
  }

  clearOverrides() {
    for (const id of [...this.overrides.keys()]) this.dropOverride(id);
  }
}

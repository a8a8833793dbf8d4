// Failures nobody can miss: a card that fails or needs a decision, and a column whose
// credentials are refused, raise a notice on every open board. The notice stays until it is
// dismissed or the card is dealt with (retried, marked sent); "Show" brings the card into view.

import { h } from "./dom.js";
import { M } from "./messages.js";
import { toast } from "./toasts.js";

const TROUBLE = new Set(["failed", "needs_check"]);

function excerpt(text, length = 60) {
  const flat = String(text ?? "").replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/**
 * watchFailures(store, {show}) → before(patch): call it before the patch is applied; it
 * returns a function to call after, which raises the notices. Only changes seen live count:
 * a card already failed when the page loaded (or after a resync) is in its column's badge.
 */
export function watchFailures(store, { show }) {
  const open = new Map(); // "snippet:ID" / "platform:ID" -> close()

  function closeIfResolved(key, stillBad) {
    if (!stillBad && open.has(key)) {
      open.get(key)();
      open.delete(key);
    }
  }

  function raise(key, message, details, target) {
    open.get(key)?.();
    const button = h("button", { type: "button", class: "toast-action", onclick: () => show(target) }, M.show);
    open.set(key, toast(message, { kind: "error", sticky: true, details, extra: [button] }));
  }

  return function before(patch) {
    const cards = [];
    const columns = [];
    for (const [id, change] of Object.entries(patch.snippets ?? {})) {
      const old = store.state.snippets[id];
      if (change && "status" in change && old && old.status !== change.status && TROUBLE.has(change.status)) cards.push(id);
    }
    for (const [id, change] of Object.entries(patch.platforms ?? {})) {
      const old = store.state.platforms[id];
      if (change?.status === "auth_rejected" && old && old.status !== "auth_rejected") columns.push(id);
    }
    return function after() {
      for (const id of cards) {
        const snippet = store.state.snippets[id];
        const platform = snippet && store.platform(snippet.platform_id);
        if (!platform) continue;
        const words = M.explain(platform.kind, snippet.status, snippet.meta?.error);
        const head = snippet.status === "failed" ? M.cardFailed(platform.name, excerpt(snippet.body))
          : M.cardUnsure(platform.name, excerpt(snippet.body));
        raise(`snippet:${id}`, `${head} ${words.title}`, snippet.meta?.error ?? null, { snippetId: Number(id) });
      }
      for (const id of columns) {
        const platform = store.platform(id);
        if (!platform) continue;
        const words = M.explain(platform.kind, "auth_rejected", platform.status_message);
        raise(`platform:${id}`, `${M.columnStopped(platform.name)} ${words.title}`, platform.status_message ?? null,
          { platformId: Number(id) });
      }
      for (const key of [...open.keys()]) {
        const [what, id] = key.split(":");
        if (what === "snippet") closeIfResolved(key, TROUBLE.has(store.state.snippets[id]?.status));
        else closeIfResolved(key, store.platform(id)?.status === "auth_rejected");
      }
    };
  };
}

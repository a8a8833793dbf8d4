// A card's story in its editor: the recorded events that changed it (created, edited, moved,
// approved, held, sent…), by whom and when, from GET /api/snippets/{id}/history.

import { h, icon, setText } from "./dom.js";
import { displayName } from "./presence.js";
import { clock, fullTime, relative } from "./time.js";

// Every user-visible string of this module, in one place (a later issue translates them).
export const TEXT = {
  title: "History of this card",
  loading: "Loading…",
  failed: "The history could not be loaded",
  empty: "Nothing recorded yet",
  older: "Older events are not shown",
  server: "Metronome",
  what: {
    "snippet.create": () => "created it",
    "snippet.draft": () => "had the AI draft it",
    "snippet.update": (args) => {
      if ("interval_s" in args) return "changed the interval";
      if ("body" in args) return "edited the text";
      if ("url" in args) return "changed the link";
      if ("media_ids" in args) return "changed the pictures";
      return "edited it";
    },
    "snippet.move": (args, columnName) =>
      (args.platform_id !== undefined && columnName(args.platform_id)
        ? `moved it to ${columnName(args.platform_id)}` : "moved it in the queue"),
    "snippet.approve": () => "approved it",
    "snippet.delete": () => "deleted it",
    "snippet.restore": () => "restored it",
    "snippet.send_now": () => "asked to send it now",
    "snippet.retry": () => "put it back to be sent again",
    "snippet.mark_sent": () => "marked it as sent",
    "platform.clear": () => "cleared its column",
    "platform.restore": () => "restored its column's cards",
    "poster.take": () => "started publishing it",
    "poster.finish": (args) => ({
      sent: "published it",
      failed: "could not publish it",
      needs_check: "could not tell whether it went out",
      pending: "put it back in the queue",
    }[args.status] ?? `marked it ${args.status}`),
    "poster.hold": (args) => `was told to wait by the network (${Math.round(args.retry_after_s ?? 0)} s)`,
    "poster.abandon": () => "stopped while publishing it",
    "feed.poll": () => "brought it from a feed",
    "materials.upsert": () => "updated it from the CMS",
  },
};

function sentence(event, columnName) {
  const describe = TEXT.what[event.op];
  const args = event.args && typeof event.args === "object" ? event.args : {};
  return describe ? describe(args, columnName) : event.op;
}

/**
 * The story of card `snippetId` as a folded section: loaded when opened, and again when the
 * card changes while it is open. `columnName(id)` names a column. Returns {el, changed()}.
 */
export function storyPanel(snippetId, columnName) {
  const list = h("ol", { class: "story-list" });
  const note = h("p", { class: "story-note" });
  const el = h("details", { class: "story" },
    h("summary", {}, icon("history"), TEXT.title), note, list);
  let loading = null;
  let again = false;

  const load = async () => {
    if (loading) {
      again = true;
      return;
    }
    if (!list.childElementCount) setText(note, TEXT.loading);
    loading = fetch(`/api/snippets/${snippetId}/history`, { cache: "no-store" });
    try {
      const response = await loading;
      if (!response.ok) throw new Error(String(response.status));
      show(await response.json());
    } catch {
      setText(note, TEXT.failed);
    } finally {
      loading = null;
      if (again) {
        again = false;
        load();
      }
    }
  };

  const show = ({ events = [], more = false }) => {
    setText(note, events.length ? (more ? TEXT.older : "") : TEXT.empty);
    note.hidden = !note.textContent;
    list.replaceChildren(...events.map((event) => {
      const who = event.user_email ? displayName(event.user_email) : TEXT.server;
      return h("li", { class: "story-event", "data-op": event.op },
        h("time", { datetime: event.at, title: fullTime(event.at) }, clock(event.at)),
        h("span", { class: "story-what" },
          h("strong", { title: event.user_email ?? "" }, who), " ", sentence(event, columnName)),
        h("span", { class: "story-rel" }, relative(event.at)));
    }));
  };

  el.addEventListener("toggle", () => {
    if (el.open) load();
  });
  return {
    el,
    changed() {
      if (el.open) load();
    },
  };
}

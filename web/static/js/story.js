// A card's story in its editor: the recorded events that changed it (created, edited, moved,
// approved, held, sent…), by whom and when, from GET /api/snippets/{id}/history.

import { h, icon, setText } from "./dom.js";
import { displayName } from "./presence.js";
import { clock, fullTime, relative } from "./time.js";
import { M } from "./messages.js";

// Its words are js/messages.js's M.story.
export const TEXT = M.story;

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

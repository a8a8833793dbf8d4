// The RSS/Atom sources (state `feeds`): their health, "Poll now", and for admins adding and
// removing one. The dialog follows the state live while it is open.

import { confirmDialog } from "./dialogs.js";
import { h, icon, iconButton } from "./dom.js";
import { clock, fullTime, interval, relative } from "./time.js";
import { M } from "./messages.js";

const TEXT = M.feeds;

const INTERVALS = [5, 15, 30, 60, 180].map((minutes) => minutes * 60);
const STATUS = TEXT.status;

let current = null; // {dialog, render} of the open dialog

function host(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function feedRow(feed, { canPoll, isAdmin, actions }) {
  const status = feed.status ?? "new";
  const polled = feed.last_polled_at;
  const tone = { ok: "ok", failing: "danger" }[status] ?? "muted";
  const problem = status === "failing" && feed.error
    ? h("p", { class: "feed-error" }, icon("warning"),
      `${feed.error}${feed.failures > 1 ? TEXT.failuresInARow(feed.failures) : ""}`)
    : null;
  const buttons = [];
  if (canPoll) {
    buttons.push(h("button", { type: "button", class: "btn btn-small", onclick: () => actions.pollFeed(feed.id) },
      icon("retry"), TEXT.pollNow));
  }
  if (isAdmin) {
    buttons.push(iconButton("trash", TEXT.removeLabel(feed.title || host(feed.url)), async () => {
      const ok = await confirmDialog({
        title: TEXT.removeTitle,
        message: TEXT.removeMessage(feed.title || feed.url),
        okLabel: TEXT.remove,
        danger: true,
      });
      if (ok) await actions.removeFeed(feed.id);
    }));
  }
  return h("li", { class: "feed", "data-feed-id": String(feed.id), "data-status": status },
    h("div", { class: "feed-head" },
      h("a", { class: "feed-title", href: feed.url, target: "_blank", rel: "noopener noreferrer", title: feed.url },
        feed.title || host(feed.url)),
      h("span", { class: `badge badge-${tone}` }, STATUS[status] ?? status)),
    h("p", { class: "feed-meta" },
      TEXT.every(interval(feed.interval_s)),
      feed.section ? ` · ${feed.section}` : "",
      polled ? h("span", { title: fullTime(polled) }, TEXT.polled(relative(polled))) : "",
      feed.next_poll_at ? h("span", { title: fullTime(feed.next_poll_at) }, TEXT.next(clock(feed.next_poll_at))) : ""),
    problem,
    buttons.length ? h("div", { class: "feed-buttons" }, buttons) : null);
}

function addForm({ store, actions }) {
  const url = h("input", { type: "url", name: "url", class: "input input-wide", required: true,
    placeholder: "https://news.example/rss.xml", "aria-label": TEXT.url });
  const every = h("select", { name: "interval", class: "input", "aria-label": TEXT.pollEvery },
    INTERVALS.map((s) => h("option", { value: String(s), selected: s === 900 }, interval(s))));
  const section = h("input", { type: "text", name: "section", class: "input", placeholder: TEXT.sectionPlaceholder,
    "aria-label": TEXT.section });
  const inbox = h("select", { name: "inbox", class: "input", "aria-label": TEXT.inboxLabel },
    h("option", { value: "" }, TEXT.noInbox),
    store.columns().filter((c) => c.kind === "drafts").map((c) => h("option", { value: String(c.id) }, c.name)));
  const form = h("form", { class: "feed-add", novalidate: true },
    h("h3", { class: "field-label" }, TEXT.addTitle),
    url,
    h("div", { class: "field-row" }, h("span", {}, TEXT.everyWord), every, section),
    h("div", { class: "field-row" }, h("span", {}, TEXT.itemsTo), inbox,
      h("span", { class: "spacer" }),
      h("button", { type: "submit", class: "btn btn-small btn-primary" }, icon("plus"), TEXT.add)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!url.reportValidity()) return;
    const args = { url: url.value.trim(), interval_s: Number(every.value) };
    if (section.value.trim()) args.section = section.value.trim();
    if (inbox.value) args.drafts_platform_id = Number(inbox.value);
    if (await actions.addFeed(args)) {
      url.value = "";
      section.value = "";
      url.focus();
    }
  });
  return form;
}

/** The Feeds dialog; `refreshFeeds()` redraws it when the state's feeds change. */
export function showFeeds({ store, actions }) {
  if (current) return;
  const list = h("ul", { class: "feeds-list", "aria-label": TEXT.title });
  const empty = h("p", { class: "dialog-message" }, TEXT.none);
  const role = store.me.role;
  const isAdmin = role === "admin";
  const canPoll = isAdmin || role === "editor";
  const render = () => {
    const feeds = Object.values(store.state.feeds ?? {}).sort((a, b) => a.id - b.id);
    const focused = document.activeElement?.closest?.("[data-feed-id]")?.dataset.feedId;
    const label = document.activeElement?.textContent;
    list.replaceChildren(...feeds.map((feed) => feedRow(feed, { canPoll, isAdmin, actions })));
    empty.hidden = feeds.length > 0;
    // Keep the focus on the same button of the same feed across redraws.
    if (focused) {
      const row = list.querySelector(`[data-feed-id="${focused}"]`);
      [...(row?.querySelectorAll("button") ?? [])].find((b) => b.textContent === label)?.focus();
    }
  };
  const dialog = h("dialog", { class: "dialog dialog-wide", "aria-label": TEXT.title },
    h("div", { class: "dialog-form" },
      h("h2", { class: "dialog-title" }, TEXT.dialogTitle),
      h("p", { class: "dialog-message" }, TEXT.intro),
      empty, list,
      isAdmin ? addForm({ store, actions }) : null,
      h("div", { class: "dialog-buttons" },
        h("button", { type: "button", class: "btn btn-primary", autofocus: true, onclick: () => dialog.close() },
          TEXT.close))));
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    current = null;
  });
  current = { dialog, render };
  render();
  document.body.append(dialog);
  dialog.showModal();
}

export function refreshFeeds() {
  current?.render();
}

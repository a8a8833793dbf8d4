// Clicks on tracked links (CONTRACT §11): a column's last 24 hours as a small chart, the best
// posts of the day, where readers came from, and the CSV export. Cards show their own count
// (js/card.js); this view reads GET /api/stats and reloads while patches bring new counts
// for its column.

import { h, icon, setText } from "./dom.js";
import { infoDialog } from "./dialogs.js";
import { M } from "./messages.js";
import { clock, fullTime } from "./time.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const HOUR_MS = 3_600_000;
const HOURS = 24; // the chart: this hour and the 23 before it
const BEST = 5;
const REFERRERS = 5;
const EXPORT_DAYS = 30;
// While the view is open, patches with new counts reload it at most this often; it also
// reloads on its own now and then, so the hours move on.
const RELOAD_MS = 2000;
const IDLE_RELOAD_MS = 60_000;

// Its words are js/messages.js's M.clicks.
const TEXT = M.clicks;

let current = null; // the open view: {platformId, soon()}

/** Open the clicks view of a column (a dialog); resolves when it is closed. */
export async function showClicks(platform) {
  current?.close();
  const summary = h("p", { class: "clicks-summary", role: "status" }, TEXT.loading);
  const chart = h("figure", { class: "clicks-chart" });
  const best = h("ol", { class: "clicks-best" });
  const referrers = h("ul", { class: "clicks-referrers" });
  const since = new Date(Date.now() - EXPORT_DAYS * 24 * HOUR_MS).toISOString();
  const csv = h("a", {
    class: "btn btn-small", download: "",
    href: `/api/stats?${new URLSearchParams({ platform_id: platform.id, since, format: "csv" })}`,
  }, icon("external"), TEXT.csv(EXPORT_DAYS));
  const content = h("div", { class: "clicks-view", "data-platform": String(platform.id) },
    summary, chart,
    h("h3", { class: "clicks-heading" }, TEXT.best), best,
    h("h3", { class: "clicks-heading" }, TEXT.from), referrers,
    h("p", { class: "clicks-export" }, csv));

  let timer = null;
  let idle = null;
  let loading = false;
  let again = false;
  const load = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const stats = await fetchStats(platform.id);
      if (view !== current) return;
      render(stats, { summary, chart, best, referrers });
    } catch (error) {
      if (view === current) setText(summary, TEXT.failed(error.message));
    } finally {
      loading = false;
      if (again && view === current) {
        again = false;
        soon();
      }
    }
  };
  const soon = () => {
    if (timer === null) timer = setTimeout(() => {
      timer = null;
      load();
    }, RELOAD_MS);
  };
  const view = {
    platformId: platform.id,
    soon,
    close: () => content.closest("dialog")?.close("cancel"),
  };
  current = view;
  idle = setInterval(load, IDLE_RELOAD_MS);
  load();
  try {
    await infoDialog({ title: TEXT.title(platform.name), content });
  } finally {
    clearTimeout(timer);
    clearInterval(idle);
    if (current === view) current = null;
  }
}

/** A patch arrived: reload the open view if it names new counts of its column's cards. */
export function clicksPatched(patch, store) {
  if (!current || !patch.snippets) return;
  for (const [id, change] of Object.entries(patch.snippets)) {
    if (change && "clicks" in change && store.state.snippets[id]?.platform_id === current.platformId) {
      current.soon();
      return;
    }
  }
}

async function fetchStats(platformId) {
  const since = new Date(Date.now() - (HOURS - 1) * HOUR_MS).toISOString();
  const response = await fetch(`/api/stats?${new URLSearchParams({ platform_id: platformId, since })}`,
    { headers: { accept: "application/json" }, cache: "no-store" });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      message = (await response.json()).error?.message ?? message;
    } catch {
      // not JSON: the status says enough
    }
    throw new Error(message);
  }
  return response.json();
}

function render(stats, { summary, chart, best, referrers }) {
  setText(summary, TEXT.total(TEXT.count(stats.total)));
  chart.replaceChildren(...barChart(stats.hours.slice(-HOURS), stats.total));
  const items = bestToday(stats.cards);
  best.replaceChildren(...(items.length
    ? items.map(({ card, today }) => h("li", { class: "clicks-card", "data-card-id": String(card.id) },
      h("span", { class: "clicks-card-text", title: card.body || card.url || "" },
        (card.body || card.url || "").slice(0, 120)),
      h("span", { class: "clicks-card-meta" },
        h("strong", { class: "clicks-count", "data-clicks": String(today) }, TEXT.count(today)),
        card.finished_at
          ? h("time", { datetime: card.finished_at, title: fullTime(card.finished_at) },
            ` · ${TEXT.sent(clock(card.finished_at))}`)
          : null)))
    : [h("li", { class: "clicks-none" }, TEXT.noneToday)]));
  referrers.replaceChildren(...stats.referrers.slice(0, REFERRERS).map(({ domain, clicks }) =>
    h("li", {}, h("span", {}, domain ?? TEXT.direct), h("span", { class: "clicks-n" }, TEXT.count(clicks)))));
  referrers.hidden = stats.referrers.length === 0;
}

/** Cards with clicks today (local midnight on), most first. */
function bestToday(cards) {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  return cards
    .map((card) => ({
      card,
      today: card.hours
        .filter(({ hour }) => Date.parse(hour) + HOUR_MS > midnight.getTime())
        .reduce((sum, { clicks }) => sum + clicks, 0),
    }))
    .filter(({ today }) => today > 0)
    .sort((a, b) => b.today - a.today || b.card.id - a.card.id)
    .slice(0, BEST);
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  el.append(...children);
  return el;
}

/** One bar per hour, scaled to the busiest; each bar names its hour and count on hover. */
function barChart(hours, total) {
  const width = 12 * hours.length;
  const height = 64;
  const most = Math.max(1, ...hours.map((hour) => hour.clicks));
  const bars = hours.map(({ hour, clicks }, i) => {
    const tall = clicks ? Math.max(2, Math.round((clicks / most) * (height - 4))) : 1;
    return svg("rect", {
      x: i * 12 + 1, y: height - tall, width: 10, height: tall, rx: 1.5,
      class: clicks ? "bar" : "bar is-empty", "data-clicks": clicks,
    }, svg("title", {}, TEXT.bar(clock(hour), TEXT.count(clicks))));
  });
  const graphic = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img",
    "aria-label": TEXT.chart(TEXT.count(total)), "data-total": total,
  }, ...bars);
  const first = hours[0]?.hour;
  return [graphic, h("figcaption", { class: "clicks-axis" },
    h("span", {}, first ? TEXT.since(clock(first)) : ""), h("span", {}, TEXT.now))];
}

// A column's rhythm (CONTRACT §8) for people: the header's words, and the interval in force
// now. Times are computed by the server (every eta, the preview's slots); this only reads the
// settings back in words (M.rhythm's).

import { M } from "./messages.js";
import { interval } from "./time.js";

export const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const W = M.rhythm;
const every = (seconds) => W.every(seconds, interval(seconds));

function dayWords(days) {
  const key = [...days].sort((a, b) => DAY_NAMES.indexOf(a) - DAY_NAMES.indexOf(b)).join(",");
  return W.dayGroups[key] ?? days.map((day) => W.dayLabel[day] ?? day).join(", ");
}

function byFrom(a, b) {
  return a.from < b.from ? -1 : a.from > b.from ? 1 : 0;
}

/** "every 30 min until 23:00, then hourly" for one group of rules. */
function sequence(rules) {
  const sorted = [...rules].sort(byFrom);
  return sorted.map((rule, i) => {
    const text = i === 0 ? every(rule.interval_s) : W.then(every(rule.interval_s));
    return i + 1 < sorted.length ? W.until(text, sorted[i + 1].from) : text;
  }).join(", ");
}

function groups(items) {
  const found = new Map();
  for (const item of items) {
    const key = item.days ? [...item.days].sort().join(",") : "";
    if (!found.has(key)) found.set(key, []);
    found.get(key).push(item);
  }
  return [...found.entries()].sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : 0));
}

function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The header's words, e.g. "every 30 min until 23:00, then hourly; quiet 02:00–06:00"; "" when
 * the column has no rhythm. */
export function describeRhythm(settings = {}) {
  const parts = [];
  for (const [key, rules] of groups(settings.rhythm ?? [])) {
    const text = sequence(rules);
    parts.push(key ? W.onDays(dayWords(rules[0].days), text) : text);
  }
  for (const [key, windows] of groups(settings.quiet ?? [])) {
    const spans = [...windows].sort(byFrom).map((w) => W.span(w.from, w.to)).join(", ");
    parts.push(key ? W.onDays(dayWords(windows[0].days), W.quietSpan(spans)) : W.quietSpan(spans));
  }
  if (!parts.length) return "";
  const zone = settings.timezone ?? "UTC";
  if (zone !== browserZone()) parts.push(W.zoneWords(zone));
  return parts.join("; ");
}

/** The tooltip: every rule and window with its start, and the zone. */
export function rhythmTitle(settings = {}) {
  const withDays = (text, item) => (item.days ? W.titleDays(text, dayWords(item.days)) : text);
  const lines = [...(settings.rhythm ?? [])].sort(byFrom)
    .map((rule) => withDays(W.titleRule(rule.from, every(rule.interval_s)), rule));
  for (const w of settings.quiet ?? []) lines.push(withDays(W.quietSpan(W.span(w.from, w.to)), w));
  lines.push(W.titleZone(settings.timezone ?? "UTC"));
  return lines.join("\n");
}

const formats = new Map();

/** {weekday: "mon"…, hhmm: "07:30"} of a moment in a time zone. */
export function localParts(ms, zone) {
  if (!formats.has(zone)) {
    formats.set(zone, new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }));
  }
  const parts = Object.fromEntries(formats.get(zone).formatToParts(ms).map((p) => [p.type, p.value]));
  return { weekday: parts.weekday.toLowerCase().slice(0, 3), hhmm: `${parts.hour}:${parts.minute}` };
}

function rulesOn(rules, weekday) {
  const named = rules.filter((rule) => rule.days?.includes(weekday));
  return named.length ? named : rules.filter((rule) => !rule.days);
}

/** The interval (s) in force now: an override of the rules until its end, else the rule's of
 * this local time (else the last rule of an earlier day), else the column's. */
export function intervalNow(platform, now = Date.now()) {
  const rules = platform.settings?.rhythm ?? [];
  const until = platform.interval_until ? Date.parse(platform.interval_until) : null;
  if (!rules.length || (until !== null && now < until)) return platform.interval_s;
  const zone = platform.settings.timezone ?? "UTC";
  const { weekday, hhmm } = localParts(now, zone);
  let day = DAY_NAMES.indexOf(weekday);
  let upTo = hhmm;
  for (let back = 0; back < 8; back += 1) {
    const fitting = rulesOn(rules, DAY_NAMES[day]).filter((rule) => rule.from <= upTo).sort(byFrom);
    if (fitting.length) return fitting.at(-1).interval_s;
    day = (day + 6) % 7;
    upTo = "24:00";
  }
  return platform.interval_s;
}

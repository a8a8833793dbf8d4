// Formatting times for people: clock times, "in 12 min", intervals. Never schedules anything.

import { locale } from "./i18n.js";
import { M } from "./messages.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Formatters by time zone (undefined: the browser's), in the page's language (js/i18n.js).
const formatters = new Map();

function formatter(kind, zone) {
  const key = `${kind} ${zone ?? ""}`;
  let format = formatters.get(key);
  if (!format) {
    const options = {
      clock: { hour: "2-digit", minute: "2-digit" },
      dayClock: { weekday: "short", hour: "2-digit", minute: "2-digit" },
      dateClock: { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" },
      full: { dateStyle: "full", timeStyle: "long" },
      day: { year: "numeric", month: "2-digit", day: "2-digit" },
    }[kind];
    format = new Intl.DateTimeFormat(kind === "day" ? "en-CA" : locale, { ...options, timeZone: zone });
    formatters.set(key, format);
  }
  return format;
}

export function parseTime(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

function sameDay(a, b, zone) {
  const day = formatter("day", zone);
  return day.format(a) === day.format(b);
}

/**
 * "10:30" today, "Tue 10:30" within a week, "23 Nov 10:30" further away; in the page's
 * language, and in `zone` (an IANA name: a column's time zone) when given.
 */
export function clock(iso, now = Date.now(), zone = undefined) {
  const ms = parseTime(iso);
  if (ms === null) return "";
  if (sameDay(ms, now, zone)) return formatter("clock", zone).format(ms);
  if (Math.abs(ms - now) < 6 * DAY) return formatter("dayClock", zone).format(ms);
  return formatter("dateClock", zone).format(ms);
}

/** The full date and time with its zone, for tooltips (in `zone` when given). */
export function fullTime(iso, zone = undefined) {
  const ms = parseTime(iso);
  return ms === null ? "" : formatter("full", zone).format(ms);
}

/** A column's time zone, when it has one other than the browser's (else undefined). */
export function columnZone(platform) {
  const zone = platform?.settings?.timezone;
  if (!zone) return undefined;
  try {
    return zone === Intl.DateTimeFormat().resolvedOptions().timeZone ? undefined
      : formatter("clock", zone).resolvedOptions().timeZone;
  } catch {
    return undefined; // a zone this browser does not know: the browser's own
  }
}

function span(ms) {
  if (ms < HOUR) return M.minutesSpan(Math.max(1, Math.round(ms / MINUTE)));
  if (ms < DAY) {
    const hours = Math.floor(ms / HOUR);
    const minutes = Math.round((ms - hours * HOUR) / MINUTE);
    if (minutes === 60) return M.hoursSpan(hours + 1, 0);
    return M.hoursSpan(hours, minutes);
  }
  return M.daysSpan(Math.round(ms / DAY));
}

// Within this much of a time, "in 12 min" becomes a countdown by the second ("in 0:27").
export const COUNTDOWN_MS = 60_000;

/** Whether `iso` is close enough to count down to (and so to refresh every second). */
export function countingDown(iso, now = Date.now()) {
  const ms = parseTime(iso);
  return ms !== null && ms - now > 0 && ms - now < COUNTDOWN_MS;
}

/**
 * "in 12 min", "in 1h 5m", "in 0:27" within the minute, "now", "3 min ago": short enough for a
 * 200 px column.
 */
export function relative(iso, now = Date.now()) {
  const ms = parseTime(iso);
  if (ms === null) return "";
  const delta = ms - now;
  if (delta > 0 && delta < COUNTDOWN_MS) return M.dueIn(Math.ceil(delta / 1000));
  if (Math.abs(delta) < 45_000) return M.now;
  return delta > 0 ? M.inTime(span(delta)) : M.ago(span(-delta));
}

/** 3600 → "60 min", 7200 → "2 h", 5400 → "90 min", 45 → "45 s". */
export function interval(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60 || seconds % 60) return M.intervalWords.seconds(seconds);
  const minutes = seconds / 60;
  if (minutes <= 90 || minutes % 60) return M.intervalWords.minutes(minutes);
  return M.intervalWords.hours(minutes / 60);
}

/** Calls `fn` every second, on the second, so countdowns tick together. */
export function everySecond(fn) {
  setTimeout(() => {
    fn();
    setInterval(fn, 1000);
  }, 1000 - (Date.now() % 1000));
}

/** Calls `fn` every 30 s, on the half minute, so relative times move together. */
export function everyHalfMinute(fn) {
  const first = 30_000 - (Date.now() % 30_000);
  setTimeout(() => {
    fn();
    setInterval(fn, 30_000);
  }, first);
}

// Formatting times for people: clock times, "in 12 min", intervals. Never schedules anything.

import { M } from "./messages.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayClockFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short", hour: "2-digit", minute: "2-digit",
});
const dateClockFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

export function parseTime(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

function sameDay(a, b) {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth()
    && x.getDate() === y.getDate();
}

/** "10:30" today, "Tue 10:30" within a week, "23 Nov 10:30" further away. */
export function clock(iso, now = Date.now()) {
  const ms = parseTime(iso);
  if (ms === null) return "";
  if (sameDay(ms, now)) return clockFormat.format(ms);
  if (Math.abs(ms - now) < 6 * DAY) return dayClockFormat.format(ms);
  return dateClockFormat.format(ms);
}

/** The full local date and time, for tooltips. */
export function fullTime(iso) {
  const ms = parseTime(iso);
  return ms === null ? "" : fullFormat.format(ms);
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

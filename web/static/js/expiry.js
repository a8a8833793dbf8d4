// "Don't publish after…": a card's expires_at, chosen as 1 h, 3 h, the end of the day or a time.

import { h } from "./dom.js";
import { clock } from "./time.js";
import { M } from "./messages.js";

const TEXT = M.expiry;

const HOUR_MS = 3600_000;

/** The local end of today (23:59), as an ISO time. */
function endOfDay(now = new Date()) {
  const end = new Date(now);
  end.setHours(23, 59, 0, 0);
  return end.toISOString();
}

/** "2026-11-22T14:30" in local time, for a datetime-local input. */
function localInput(iso) {
  const at = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/**
 * The expiry control: expiryField({value: iso|null, label}) →
 * {el, read(): iso|null (worked out now, so "1 h" counts from the moment of saving),
 *  changed(): bool, valid(): bool, reset(iso)}.
 */
export function expiryField({ value = null, label = TEXT.label } = {}) {
  let initial = value;
  const select = h("select", { class: "input expiry-select", "aria-label": label });
  const time = h("input", {
    type: "datetime-local", class: "input expiry-time", "aria-label": TEXT.time, hidden: true,
  });
  const fill = () => {
    const options = [["none", TEXT.none], ["1h", TEXT.hour], ["3h", TEXT.threeHours],
      ["eod", TEXT.endOfDay], ["at", TEXT.at]];
    if (initial) options.splice(1, 0, ["kept", TEXT.kept(clock(initial))]);
    select.replaceChildren(...options.map(([key, text]) => h("option", { value: key }, text)));
    select.value = initial ? "kept" : "none";
    time.value = initial ? localInput(initial) : "";
    time.hidden = true;
  };
  select.addEventListener("change", () => {
    time.hidden = select.value !== "at";
    if (select.value === "at") {
      if (!time.value) time.value = localInput(new Date(Date.now() + HOUR_MS).toISOString());
      time.focus();
    }
  });
  time.addEventListener("input", () => time.setCustomValidity(""));
  fill();
  const read = () => {
    switch (select.value) {
      case "kept": return initial;
      case "1h": return new Date(Date.now() + HOUR_MS).toISOString();
      case "3h": return new Date(Date.now() + 3 * HOUR_MS).toISOString();
      case "eod": return endOfDay();
      case "at": return time.value ? new Date(time.value).toISOString() : null;
      default: return null;
    }
  };
  const el = h("div", { class: "expiry-field" },
    h("span", { class: "expiry-label" }, label), select, time);
  return {
    el,
    read,
    changed: () => select.value !== (initial ? "kept" : "none"),
    /** False (and the time input says why) when the chosen time has passed. */
    valid: () => {
      const at = read();
      const ok = select.value !== "at" || (at !== null && Date.parse(at) > Date.now());
      time.setCustomValidity(ok ? "" : TEXT.past);
      if (!ok) time.reportValidity();
      return ok;
    },
    reset: (iso) => {
      initial = iso ?? null;
      fill();
    },
  };
}

// The rhythm editor (CONTRACT §8): a column's time zone, its intervals by the time of day and its
// quiet hours, with a live preview of the next ten slots. The preview is the server's own walk
// (platform.preview), so what it shows is what saving gives. The column settings UI mounts it:
//   const rhythm = mountRhythm(container, {settings, platformId, preview, store});
//   ... {...settings, ...rhythm.values()} is what to save; rhythm.showError(message) after a
//   bad_request marks the field it names.

import { UNITS, splitSeconds } from "./dialogs.js";
import { h, icon, iconButton } from "./dom.js";
import { M } from "./messages.js";
import { DAY_NAMES, localParts } from "./rhythmwords.js";
import { interval } from "./time.js";

export const RHYTHM_KEYS = ["timezone", "rhythm", "quiet"];

const TEXT = M.rhythm;

const DAY_CHOICES = [
  ["", TEXT.everyDay],
  ["mon,tue,wed,thu,fri", TEXT.weekdays],
  ["sat,sun", TEXT.weekends],
  ...DAY_NAMES.map((day) => [day, day[0].toUpperCase() + day.slice(1)]),
];
const PREVIEW_DELAY_MS = 250;

let zoneList = null;

/** A datalist of every IANA zone the browser knows, made once per page. */
function zoneOptions() {
  if (!zoneList) {
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    zoneList = h("datalist", { id: "rhythm-zones" }, ["UTC", ...zones].map((zone) => h("option", { value: zone })));
    document.body.append(zoneList);
  }
  return zoneList.id;
}

function daysSelect(field, label, days) {
  const value = days ? [...days].sort((a, b) => DAY_NAMES.indexOf(a) - DAY_NAMES.indexOf(b)).join(",") : "";
  const choices = DAY_CHOICES.some(([key]) => key === value) ? DAY_CHOICES : [...DAY_CHOICES, [value, value]];
  return h("select", { class: "input", "data-field": field, "aria-label": label },
    choices.map(([key, text]) => h("option", { value: key, selected: key === value }, text)));
}

function readDays(select) {
  return select.value ? { days: select.value.split(",") } : {};
}

function timeInput(field, label, value) {
  return h("input", { type: "time", class: "input input-time", step: "60", required: true, value: value ?? "",
    "data-field": field, "aria-label": label });
}

/** One rule: from HH:MM, every N unit, on which days. */
function ruleRow(index, rule, onRemove) {
  const name = TEXT.rule(index + 1);
  const [amount, unit] = splitSeconds(rule.interval_s ?? 1800);
  const from = timeInput(`rhythm[${index}].from`, `${name} ${TEXT.from}`, rule.from ?? "07:00");
  const every = h("input", { type: "number", class: "input input-amount", min: "1", step: "any", value: String(amount),
    "data-field": `rhythm[${index}].interval_s`, "aria-label": TEXT.interval(name) });
  const units = h("select", { class: "input", "aria-label": TEXT.unit(name) },
    UNITS.map(([text, factor]) => h("option", { value: String(factor), selected: factor === unit }, text)));
  const days = daysSelect(`rhythm[${index}].days`, `${name} ${TEXT.days}`, rule.days);
  return {
    el: h("div", { class: "rhythm-row", "data-field": `rhythm[${index}]` },
      h("span", { class: "rhythm-word" }, TEXT.from), from,
      h("span", { class: "rhythm-word" }, TEXT.everyWord), every, units, days,
      iconButton("trash", TEXT.remove(name), onRemove)),
    read: () => ({ from: from.value, interval_s: Math.round(Number(every.value) * Number(units.value)), ...readDays(days) }),
  };
}

/** One quiet window: from HH:MM to HH:MM (may wrap past midnight), on which days it starts. */
function windowRow(index, window, onRemove) {
  const name = TEXT.window(index + 1);
  const from = timeInput(`quiet[${index}].from`, `${name} ${TEXT.from}`, window.from ?? "02:00");
  const to = timeInput(`quiet[${index}].to`, `${name} ${TEXT.to}`, window.to ?? "06:00");
  const days = daysSelect(`quiet[${index}].days`, `${name} ${TEXT.days}`, window.days);
  return {
    el: h("div", { class: "rhythm-row", "data-field": `quiet[${index}]` },
      h("span", { class: "rhythm-word" }, TEXT.from), from, h("span", { class: "rhythm-word" }, TEXT.to), to, days,
      iconButton("trash", TEXT.remove(name), onRemove)),
    read: () => ({ from: from.value, to: to.value, ...readDays(days) }),
  };
}

/** A list of rows with an Add button; rows are rebuilt from their values when one goes. */
function rowList({ title, help, empty, addLabel, items, makeRow, fresh, onChange }) {
  const list = h("div", { class: "rhythm-rows" });
  const none = h("p", { class: "field-help" }, empty);
  let rows = [];
  const render = (values) => {
    rows = values.map((value, i) => makeRow(i, value, () => {
      render(rows.map((row) => row.read()).filter((_, j) => j !== i));
      onChange();
    }));
    list.replaceChildren(...rows.map((row) => row.el));
    none.hidden = rows.length > 0;
  };
  render(items);
  const add = h("button", { type: "button", class: "btn btn-small" }, icon("plus"), addLabel);
  add.addEventListener("click", () => {
    const values = rows.map((row) => row.read());
    render([...values, fresh(values)]);
    rows.at(-1).el.querySelector("input")?.focus();
    onChange();
  });
  const el = h("fieldset", { class: "rhythm-section" }, h("legend", { class: "field-label" }, title),
    h("p", { class: "field-help" }, help), none, list, add);
  return { el, read: () => rows.map((row) => row.read()) };
}

/**
 * Mount the editor in `container`. `settings`: the column's settings as they are; `platformId`:
 * the column (null for a new one, previewed from now); `intervalS`: the column's interval as
 * being edited (a number or a function; absent: the stored one); `preview(args)` resolves with
 * platform.preview's result or rejects with its error; `store` names the queued cards.
 */
export function mountRhythm(container, { settings = {}, platformId = null, intervalS = null, preview, store = null }) {
  const zone = h("input", { name: "timezone", class: "input input-wide", list: zoneOptions(), autocomplete: "off",
    value: settings.timezone ?? "UTC", "data-field": "timezone", "aria-label": TEXT.zone, spellcheck: "false" });
  const errorLine = h("p", { class: "form-error", role: "alert", hidden: true });
  const slotsTitle = h("h3", { class: "field-label" });
  const slots = h("ol", { class: "rhythm-preview", "aria-label": TEXT.previewTitle(10) });
  const status = h("p", { class: "field-help", role: "status" });
  let timer = null;
  let asked = 0;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, PREVIEW_DELAY_MS);
  };
  const rules = rowList({
    title: TEXT.rules, help: TEXT.rulesHelp, empty: TEXT.noRules, addLabel: TEXT.addRule,
    items: settings.rhythm ?? [], makeRow: (i, value, remove) => ruleRow(i, value, remove), onChange: changed,
    fresh: (values) => ({ from: values.length ? "23:00" : "07:00", interval_s: 3600 }),
  });
  const quiet = rowList({
    title: TEXT.quiet, help: TEXT.quietHelp, empty: TEXT.noQuiet, addLabel: TEXT.addQuiet,
    items: settings.quiet ?? [], makeRow: (i, value, remove) => windowRow(i, value, remove), onChange: changed,
    fresh: () => ({ from: "02:00", to: "06:00" }),
  });
  const el = h("div", { class: "rhythm-editor" },
    h("label", { class: "field" }, h("span", { class: "field-label" }, TEXT.zone), zone,
      h("span", { class: "field-help" }, TEXT.zoneHelp)),
    rules.el, quiet.el, errorLine,
    h("section", { class: "rhythm-preview-box", "aria-label": TEXT.previewTitle(10) }, slotsTitle, status, slots));
  el.addEventListener("input", changed);
  el.addEventListener("change", changed);
  container.append(el);

  function values() {
    const found = {};
    const timezone = zone.value.trim() || "UTC";
    if (timezone !== "UTC" || settings.timezone) found.timezone = timezone;
    const ruleValues = rules.read();
    const windows = quiet.read();
    if (ruleValues.length) found.rhythm = ruleValues;
    if (windows.length) found.quiet = windows;
    return found;
  }

  function clearError() {
    errorLine.hidden = true;
    for (const marked of el.querySelectorAll("[aria-invalid]")) marked.removeAttribute("aria-invalid");
  }

  /** Show a refusal; marks the field it names (settings.rhythm[1].from…). True when it named one. */
  function showError(message) {
    clearError();
    errorLine.textContent = message;
    errorLine.hidden = false;
    const match = /settings\.([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?)/.exec(message ?? "");
    const field = match && (el.querySelector(`[data-field="${match[1]}"]`)
      ?? el.querySelector(`[data-field="${match[1].split(".")[0]}"]`));
    if (!field) return false;
    field.setAttribute("aria-invalid", "true");
    return true;
  }

  function slotItem(slot, previous, zoneName) {
    const ms = Date.parse(slot.at);
    const { weekday, hhmm } = localParts(ms, zoneName);
    const card = slot.snippet_id ? store?.snippet(slot.snippet_id) : null;
    const what = card ? (card.body || card.url || "").slice(0, 40) : TEXT.newCard;
    const moved = slot.eta_before_quiet ? localParts(Date.parse(slot.eta_before_quiet), zoneName).hhmm : null;
    return h("li", { class: `rhythm-slot${moved ? " is-quiet" : ""}`, "data-at": slot.at },
      h("time", { datetime: slot.at, class: "rhythm-slot-time" }, `${weekday[0].toUpperCase()}${weekday.slice(1)} ${hhmm}`),
      h("span", { class: "rhythm-slot-gap" }, previous === null ? "" : TEXT.gap(interval(Math.round((ms - previous) / 1000)))),
      moved ? h("span", { class: "rhythm-slot-quiet", title: TEXT.afterQuietTitle(moved) }, TEXT.afterQuiet) : null,
      h("span", { class: `rhythm-slot-card${card ? "" : " is-new"}` }, what));
  }

  async function refresh() {
    const ask = ++asked;
    const wanted = values();
    status.textContent = TEXT.previewBusy;
    const args = { settings: { ...strip(settings), ...wanted }, count: 10 };
    if (platformId !== null) args.id = platformId;
    const every = typeof intervalS === "function" ? intervalS() : intervalS;
    if (every > 0) args.interval_s = every;
    try {
      const result = await preview(args);
      if (ask !== asked) return;
      clearError();
      status.textContent = "";
      slotsTitle.textContent = `${TEXT.previewTitle(result.slots.length)} ${TEXT.previewZone(result.timezone)}`;
      let previous = null;
      slots.replaceChildren(...result.slots.map((slot) => {
        const item = slotItem(slot, previous, result.timezone);
        previous = Date.parse(slot.at);
        return item;
      }));
    } catch (error) {
      if (ask !== asked) return;
      showError(error.message);
      status.textContent = TEXT.previewError;
      slots.replaceChildren();
    }
  }

  refresh();
  return {
    el,
    values,
    showError,
    refresh: changed,
    focus: () => zone.focus(),
    destroy: () => clearTimeout(timer),
  };
}

/** Settings without the rhythm's keys (the rest are the column's account: kept as they are). */
export function strip(settings = {}) {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !RHYTHM_KEYS.includes(key)));
}

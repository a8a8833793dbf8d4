// Which language the page speaks: the one chosen in the page (kept in localStorage), else the
// browser's first language we have, else English. Switching reloads the page, so every module
// reads its words once, at load, from the table chosen here (js/messages.js `M`).
// A language is one line in LANGUAGES plus a table js/messages.<code>.js (docs/ui.md).

export const LANGUAGES = {
  en: "English",
  ru: "Русский",
};

const STORAGE_KEY = "metronome.lang";
const FALLBACK = "en";

function stored() {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null; // storage refused (a privacy mode): the browser's language decides
  }
}

function browserTags() {
  const nav = globalThis.navigator;
  return nav?.languages?.length ? [...nav.languages] : [nav?.language ?? FALLBACK];
}

/** The language code for a BCP 47 tag ("ru-RU" → "ru"), or null when we have no table for it. */
export function known(tag) {
  const code = String(tag ?? "").toLowerCase().split("-")[0];
  return Object.hasOwn(LANGUAGES, code) ? code : null;
}

function choose() {
  const chosen = known(stored());
  if (chosen) return chosen;
  for (const tag of browserTags()) {
    const code = known(tag);
    if (code) return code;
  }
  return FALLBACK;
}

/** The page's language code ("en", "ru"). */
export const lang = choose();

/** The locale for Intl formatters: the browser's own tag when it is of the page's language (so
 * "en-GB" keeps its day-month order), else the bare language. */
export const locale = browserTags().find((tag) => known(tag) === lang) ?? lang;

/**
 * plurals("ru") → plural(n, forms): the form of `n` by that language's CLDR rules (Intl.PluralRules);
 * forms maps categories (one, few, many, other) to words, a missing one falls back to `other`.
 * Each table takes its own language's rules, whatever the page speaks.
 */
export function plurals(code) {
  const rules = new Intl.PluralRules(code);
  return (n, forms) => forms[rules.select(n)] ?? forms.other;
}

/** Choose a language (null: the browser's again) and reload, so the page is rebuilt in it. */
export function switchLanguage(code) {
  try {
    if (code) globalThis.localStorage?.setItem(STORAGE_KEY, code);
    else globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Not stored: the choice holds for this load only.
  }
  location.reload();
}

/**
 * Translate the static page: `data-m="key"` sets an element's text, `data-m-title`,
 * `data-m-placeholder`, `data-m-aria-label` and `data-m-alt` set those attributes; a key may
 * be a path ("liveState.connecting"). Also sets <html lang>.
 */
export function localize(root, table) {
  document.documentElement.lang = lang;
  const look = (path) => path.split(".").reduce((value, key) => value?.[key], table);
  for (const el of root.querySelectorAll("[data-m]")) {
    const text = look(el.dataset.m);
    if (typeof text !== "string") continue;
    // Keep an icon that leads the label: only the text node changes.
    const node = [...el.childNodes].find((child) => child.nodeType === Node.TEXT_NODE && child.textContent.trim());
    if (node) node.textContent = text;
    else el.append(text);
  }
  for (const attr of ["title", "placeholder", "aria-label", "alt"]) {
    for (const el of root.querySelectorAll(`[data-m-${attr}]`)) {
      const text = look(el.getAttribute(`data-m-${attr}`));
      if (typeof text === "string") el.setAttribute(attr, text);
    }
  }
  const title = root.querySelector("title[data-m]");
  if (title) document.title = title.textContent;
}

/** A <select> of the languages, in their own names, that switches on change. */
export function languageSelect(label) {
  const select = document.createElement("select");
  select.className = "input lang-select";
  select.name = "lang";
  select.setAttribute("aria-label", label);
  select.title = label;
  for (const [code, name] of Object.entries(LANGUAGES)) {
    const option = new Option(name, code, false, code === lang);
    option.lang = code;
    select.append(option);
  }
  select.addEventListener("change", () => switchLanguage(select.value));
  return select;
}

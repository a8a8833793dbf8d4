// The column finder: type a few letters of a column's name (or its network) and jump to it,
// on a board of forty columns. Opened from the top bar, with G or Ctrl+K.

import { h } from "./dom.js";
import { M } from "./messages.js";
import { network, networkIcon } from "./networks.js";

const TEXT = M.bigBoard;

/** Columns matching `query`: every word found in the name or the network, names that start with it first. */
export function matchColumns(columns, query) {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return columns;
  const hay = (c) => `${c.name} ${network(c.kind).label}`.toLowerCase();
  const found = columns.filter((c) => words.every((word) => hay(c).includes(word)));
  const starts = (c) => (c.name.toLowerCase().startsWith(words[0]) ? 0 : 1);
  return found.map((c, i) => [c, i]).sort((a, b) => starts(a[0]) - starts(b[0]) || a[1] - b[1]).map(([c]) => c);
}

/**
 * `columns()` lists {id, name, kind, paused, count, collapsed} left to right; `jump(id)`
 * brings one into sight. Returns {open()}.
 */
export function columnFinder({ columns, jump }) {
  let dialog = null;

  function open() {
    if (dialog) return;
    const input = h("input", {
      type: "search", class: "input finder-input", role: "combobox", "aria-label": TEXT.finderLabel,
      placeholder: TEXT.finderPlaceholder, "aria-expanded": "true", "aria-controls": "finder-list",
      "aria-autocomplete": "list", autocomplete: "off",
    });
    const list = h("ul", { id: "finder-list", class: "finder-list", role: "listbox", "aria-label": TEXT.finder });
    const empty = h("p", { class: "finder-empty", hidden: true }, TEXT.finderNone);
    let shown = [];
    let active = 0;

    const choose = (id) => {
      dialog.close();
      jump(id);
    };
    const paint = () => {
      shown = matchColumns(columns(), input.value);
      active = Math.min(active, Math.max(0, shown.length - 1));
      list.replaceChildren(...shown.map((c, i) => h("li", {
        id: `finder-${c.id}`, role: "option", class: "finder-option", "aria-selected": i === active ? "true" : "false",
        "data-platform-ref": String(c.id),
      }, networkIcon(c.kind), h("span", { class: "finder-name" }, c.name),
      h("span", { class: "finder-meta" }, [c.collapsed && TEXT.finderFolded, c.status, TEXT.finderCount(c.count)]
        .filter(Boolean).join(" · ")))));
      empty.hidden = shown.length > 0;
      if (shown.length) input.setAttribute("aria-activedescendant", `finder-${shown[active].id}`);
      else input.removeAttribute("aria-activedescendant");
      list.children[active]?.scrollIntoView({ block: "nearest" });
    };
    input.addEventListener("input", () => {
      active = 0;
      paint();
    });
    input.addEventListener("keydown", (event) => {
      const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
      if (step && shown.length) {
        event.preventDefault();
        active = (active + step + shown.length) % shown.length;
        paint();
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (shown[active]) choose(shown[active].id);
      }
    });
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[data-platform-ref]");
      if (option) choose(Number(option.dataset.platformRef));
    });
    dialog = h("dialog", { class: "dialog finder", "aria-label": TEXT.finder },
      h("h2", { class: "dialog-title" }, TEXT.finder), input, list, empty);
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      dialog = null;
    });
    document.body.append(dialog);
    dialog.showModal();
    paint();
    input.focus();
  }

  return { open };
}

/** G (outside a text field) or Ctrl+K / Cmd+K anywhere opens the finder. */
export function finderKeys(open) {
  document.addEventListener("keydown", (event) => {
    const ctrlK = (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k";
    const g = !event.ctrlKey && !event.metaKey && !event.altKey && (event.key === "g" || event.key === "G");
    if (!ctrlK && !g) return;
    if (g && event.target.closest?.("input, textarea, select, [contenteditable], dialog")) return;
    if (ctrlK && event.target.closest?.("dialog")) return;
    event.preventDefault();
    open();
  });
}

// A small pop-up menu (role "menu"): the card menu's and anyone else's.
//
// It opens beside the button that asked for it (on a phone, as a sheet at the bottom of the
// screen, by CSS), takes the focus, walks with the arrows, Home and End, closes on Escape,
// Tab, a click outside or a choice, and gives the focus back.

import { h } from "./dom.js";
import { M } from "./messages.js";

let current = null;

/** The open menu, if any (tests and the keys module ask). */
export function openedMenu() {
  return current;
}

export function closeMenu() {
  current?.close();
}

/**
 * Open a menu next to `anchor`. `items`: [{label, run?, items?, disabled?}] — an entry with
 * `items` (a list, or a function returning one) opens that list in place, with "Back".
 * `returnTo`: where the focus goes when the menu closes (default: the anchor).
 */
export function openMenu(anchor, { label, items, returnTo = anchor }) {
  closeMenu();
  const el = h("div", { class: "popmenu", role: "menu", "aria-label": label, tabindex: "-1" });
  const stack = [];
  let closed = false;

  const buttons = () => [...el.querySelectorAll("[role=menuitem]:not([aria-disabled=true])")];
  const focusAt = (index) => {
    const all = buttons();
    if (all.length) all[(index + all.length) % all.length].focus();
  };

  const show = (list, title = null) => {
    const entries = typeof list === "function" ? list() : list;
    const rows = [];
    if (title) rows.push(h("p", { class: "popmenu-title", role: "presentation" }, title));
    if (stack.length) {
      rows.push(h("button", { type: "button", role: "menuitem", class: "popmenu-item popmenu-back", tabindex: "-1",
        onclick: () => show(...stack.pop()) }, `‹ ${M.cardMenu.back}`));
    }
    for (const entry of entries) {
      const item = h("button", {
        type: "button", role: "menuitem", class: "popmenu-item", tabindex: "-1",
        "aria-disabled": entry.disabled ? "true" : null,
        "aria-haspopup": entry.items ? "menu" : null,
      }, entry.label);
      item.addEventListener("click", () => {
        if (entry.disabled) return;
        if (entry.items) {
          stack.push([list, title]);
          show(entry.items, entry.title ?? null);
          return;
        }
        close();
        entry.run?.();
      });
      rows.push(item);
    }
    el.replaceChildren(...rows);
    focusAt(0);
  };

  const onKey = (event) => {
    const all = buttons();
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown") focusAt(at + 1);
    else if (event.key === "ArrowUp") focusAt(at - 1);
    else if (event.key === "Home") focusAt(0);
    else if (event.key === "End") focusAt(all.length - 1);
    else if (event.key === "Escape" || (event.key === "ArrowLeft" && stack.length === 0)) close();
    else if (event.key === "ArrowLeft" && stack.length) show(...stack.pop());
    else if (event.key === "Tab") close();
    else return;
    if (event.key !== "Tab") event.preventDefault();
    event.stopPropagation();
  };
  const onOutside = (event) => {
    if (!el.contains(event.target) && !anchor.contains(event.target)) close(false);
  };

  function close(giveBack = true) {
    if (closed) return;
    closed = true;
    el.remove();
    document.removeEventListener("pointerdown", onOutside, true);
    window.removeEventListener("resize", place);
    anchor.setAttribute("aria-expanded", "false");
    if (current?.el === el) current = null;
    if (giveBack && returnTo?.isConnected) returnTo.focus({ preventScroll: true });
  }

  function place() {
    // Below the anchor, its right edge on the anchor's; above it when there is no room.
    // A phone's sheet ignores these (phone.css places it at the bottom).
    const r = anchor.getBoundingClientRect();
    const width = el.offsetWidth;
    const height = el.offsetHeight;
    const left = Math.max(4, Math.min(r.right - width, innerWidth - width - 4));
    const below = r.bottom + 4 + height <= innerHeight;
    el.style.left = `${left}px`;
    el.style.top = `${below ? r.bottom + 4 : Math.max(4, r.top - height - 4)}px`;
  }

  el.addEventListener("keydown", onKey);
  document.body.append(el);
  anchor.setAttribute("aria-haspopup", "menu");
  anchor.setAttribute("aria-expanded", "true");
  show(items);
  place();
  window.addEventListener("resize", place);
  // Capture: a press anywhere else closes the menu before that press does its own thing.
  document.addEventListener("pointerdown", onOutside, true);
  current = { el, close, anchor };
  return current;
}

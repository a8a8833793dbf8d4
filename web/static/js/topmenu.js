// The top bar on a phone: the brand, the connection and a Menu button; everything else of the
// bar (materials, breaking news, add column, users, the filter, who is here, the keyboard
// help, your account, log out, and whatever joins the bar later) folds into a panel that the
// button opens (phone.css lays it out). A disclosure, not a menu: the panel holds the bar's
// own controls, so each keeps its behaviour and its label.

const FOLDED_OPEN = "is-open";

/** `bar` = the top bar; `button` = its Menu button (shown only on narrow screens). */
export function foldTopBar(bar, button) {
  const isOpen = () => bar.classList.contains(FOLDED_OPEN);
  const set = (open, { focus = true } = {}) => {
    bar.classList.toggle(FOLDED_OPEN, open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && focus) {
      const first = [...bar.children].find((el) => el.matches(".topbar > button:not([hidden]):not(#top-menu)"));
      first?.focus();
    }
  };
  button.addEventListener("click", () => set(!isOpen()));
  // A choice in the panel closes it (the dialog it opens takes the focus).
  bar.addEventListener("click", (event) => {
    if (isOpen() && event.target.closest("button") && !event.target.closest("#top-menu")) set(false, { focus: false });
  });
  bar.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen()) {
      set(false);
      button.focus();
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (isOpen() && !bar.contains(event.target)) set(false, { focus: false });
  }, true);
  // Back on a wide screen nothing is folded.
  matchMedia("(max-width: 640px)").addEventListener("change", (event) => {
    if (!event.matches) set(false, { focus: false });
  });
}

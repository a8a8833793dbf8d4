// "Suggest" in the card editor: two or three AI-written texts for the card's network
// (`snippet.suggest`). Picking one puts it in the editor; nothing is saved until Save.

import { describe } from "./actions.js";
import { h, icon, iconButton } from "./dom.js";
import { M } from "./messages.js";

const TEXT = M.suggest;
const OFF = TEXT.off;
const READY = TEXT.ready;

// Whether the server drafts at all: true, false, or null until someone asks.
let drafting = null;
let probing = null;

/** Whether the server drafts at all (asked once per page): resolves true, false or null. */
export function draftingAvailable(actions) {
  if (drafting !== null) return Promise.resolve(drafting);
  probing ??= actions.draftingOn().then((on) => {
    drafting = on;
    probing = null;
    return on;
  });
  return probing;
}

function sentence(text) {
  const plain = String(text).replace(/^snippet\.suggest:\s*/, "");
  return plain.charAt(0).toUpperCase() + plain.slice(1);
}

/**
 * The Suggest button and the place its drafts show, for the card `snippetId`.
 * `pick(text)` puts a draft in the editor. Returns {button, panel}.
 */
export function suggestTool({ actions, snippetId, pick }) {
  const label = h("span", {}, TEXT.button);
  const button = h("button", { type: "button", class: "btn btn-small btn-quiet suggest-button", title: READY },
    icon("sparkle"), label);
  const panel = h("div", { class: "suggestions", "aria-live": "polite", hidden: true });

  const turnOff = () => {
    button.disabled = true;
    button.title = OFF;
    button.setAttribute("aria-label", TEXT.buttonOff);
  };
  const note = (text, kind = "") => {
    panel.replaceChildren(h("p", { class: `suggest-note ${kind}`.trim() }, text,
      iconButton("close", TEXT.hide, hide, "icon-btn suggest-close")));
    panel.hidden = false;
  };
  const hide = () => {
    panel.hidden = true;
    panel.replaceChildren();
    if (!button.disabled) button.focus();
  };
  const show = (texts) => {
    const options = texts.map((text) => h("button", {
      type: "button",
      class: "suggestion",
      "aria-pressed": "false",
      onclick: (event) => {
        for (const other of options) other.setAttribute("aria-pressed", String(other === event.currentTarget));
        pick(text);
      },
    }, text));
    panel.replaceChildren(
      h("div", { class: "suggest-head" }, icon("sparkle"), h("span", {}, TEXT.pick),
        h("span", { class: "spacer" }), iconButton("close", TEXT.hideDrafts, hide, "icon-btn suggest-close")),
      h("div", { class: "suggest-list", role: "group", "aria-label": TEXT.drafts }, options));
    panel.hidden = false;
    options[0]?.focus();
  };

  if (drafting === false) {
    turnOff();
  } else if (drafting === null) {
    draftingAvailable(actions).then((on) => {
      if (on === false) turnOff();
    });
  }

  let busy = false;
  button.addEventListener("click", async () => {
    if (button.disabled || busy) return;
    // Busy, not disabled: a disabled button would drop the keyboard focus.
    busy = true;
    button.setAttribute("aria-disabled", "true");
    button.setAttribute("aria-busy", "true");
    label.textContent = TEXT.busy;
    note(TEXT.writing, "is-busy");
    try {
      const { texts = [] } = await actions.suggest(snippetId);
      if (texts.length) show(texts);
      else note(TEXT.nothing, "is-error");
    } catch (error) {
      if (error.code === "drafting_off") {
        drafting = false;
        note(TEXT.offHere, "is-error");
      } else {
        note(sentence(describe(error)), "is-error");
      }
    } finally {
      busy = false;
      button.removeAttribute("aria-busy");
      button.removeAttribute("aria-disabled");
      label.textContent = TEXT.button;
      if (drafting === false) {
        turnOff(); // a disabled button loses the focus: hand it to the note
        panel.querySelector("button")?.focus();
      }
    }
  });
  return { button, panel };
}

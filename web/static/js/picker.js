// Start a breaking post from a material: search the newsroom's materials (materials.search)
// and pick one; its status text and link fill the form.

import { describe } from "./actions.js";
import { h, iconButton, setText } from "./dom.js";
import { clock } from "./time.js";
import { M } from "./messages.js";

const TEXT = M.picker;

// Typing pauses this long before a search goes out.
const DEBOUNCE_MS = 200;
const SHOWN = 5;

export class MaterialPicker {
  constructor({ actions, onPick }) {
    this.actions = actions;
    this.onPick = onPick;
    this.token = 0;
    this.timer = null;
    this.input = h("input", { type: "search", class: "input input-wide", placeholder: TEXT.placeholder,
      "aria-label": TEXT.search, autocomplete: "off" });
    this.input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.search(this.input.value.trim()), DEBOUNCE_MS);
    });
    this.list = h("div", { class: "picker-list", role: "list" });
    this.status = h("p", { class: "picker-status", role: "status" });
    this.chosenTitle = h("span", { class: "picker-title" });
    this.chosen = h("p", { class: "picker-chosen", hidden: true }, this.chosenTitle,
      iconButton("close", TEXT.clear, () => this.pick(null)));
    this.el = h("div", { class: "picker" }, this.input, this.status, this.list, this.chosen);
  }

  async search(q) {
    const token = ++this.token;
    if (!q) {
      this.list.replaceChildren();
      setText(this.status, "");
      return;
    }
    let items;
    try {
      ({ items = [] } = await this.actions.searchMaterials({ q, limit: SHOWN }));
    } catch (error) {
      if (token === this.token) setText(this.status, TEXT.failed(describe(error)));
      return;
    }
    if (token !== this.token) return; // a newer search owns the list
    setText(this.status, items.length ? "" : TEXT.nothing(q));
    this.list.replaceChildren(...items.slice(0, SHOWN).map((material) => h("button", {
      type: "button", class: "picker-item", role: "listitem", onclick: () => this.pick(material),
    }, h("strong", {}, material.title), h("small", {}, clock(material.published_at ?? material.updated_at)))));
  }

  pick(material) {
    this.token += 1;
    this.list.replaceChildren();
    setText(this.status, "");
    this.input.value = "";
    this.input.hidden = !!material;
    this.chosen.hidden = !material;
    setText(this.chosenTitle, material ? TEXT.from(material.title) : "");
    this.onPick(material);
    if (!material) this.input.focus();
  }
}

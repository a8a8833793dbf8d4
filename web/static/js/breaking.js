// The Breaking news dialog (the top bar's button, or B): write the story once (or start from
// a material), per-network texts with each network's counter, the columns, now or on top,
// and "hold the rest"; one confirmation sends one board.breaking; then each column's outcome
// shows live (js/outcomes.js).

import { describe } from "./actions.js";
import { h, icon } from "./dom.js";
import { expiryField } from "./expiry.js";
import { MaterialPicker } from "./picker.js";
import { ColumnChooser } from "./chooser.js";
import { network } from "./networks.js";
import { Outcomes } from "./outcomes.js";
import { clock } from "./time.js";
import { M } from "./messages.js";

const TEXT = M.breaking;

const REASON_MAX = 200;

function length(text) {
  return [...text].length;
}

function field(label, control) {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), control);
}

export class BreakingDialog {
  constructor({ store, actions }) {
    this.store = store;
    this.actions = actions;
    this.dialog = null;
  }

  get isOpen() {
    return this.dialog !== null;
  }

  /** Open the dialog (or bring the open one to the front). */
  open() {
    if (this.dialog) return;
    this.build();
    document.body.append(this.dialog);
    this.dialog.showModal();
    this.text.focus();
  }

  build() {
    const store = this.store;
    this.text = h("textarea", { class: "input card-text", rows: "4", name: "body",
      placeholder: TEXT.textPlaceholder, "aria-label": TEXT.text });
    this.counters = h("p", { class: "counters", "aria-live": "polite" });
    this.link = h("input", { type: "url", class: "input", name: "url", placeholder: "https://…",
      "aria-label": TEXT.link });
    this.picker = new MaterialPicker({ actions: this.actions, onPick: (m) => this.useMaterial(m) });
    this.variantList = h("div", { class: "variants" });
    this.variantBox = h("details", { class: "variant-box" }, h("summary", {}, TEXT.variants), this.variantList);
    this.variants = new Map(); // network kind → its textarea and counter
    this.chooser = new ColumnChooser({ store, onChange: () => this.refreshCompose() });
    this.when = h("fieldset", { class: "field radio-row" }, h("legend", { class: "field-label" }, TEXT.when),
      this.radio("now", TEXT.now, TEXT.nowHint, true), this.radio("top", TEXT.top, TEXT.topHint, false));
    this.expiry = expiryField();
    this.holdBox = h("input", { type: "checkbox", name: "hold" });
    this.reason = h("input", { class: "input input-wide", name: "reason", maxlength: String(REASON_MAX) });
    this.reasonEdited = false;
    this.reason.addEventListener("input", () => { this.reasonEdited = true; });
    this.until = h("input", { type: "datetime-local", class: "input", name: "until" });
    this.holdHint = h("p", { class: "field-hint" });
    this.holdFields = h("div", { class: "hold-fields", hidden: true },
      field(TEXT.reason, this.reason), field(TEXT.until, this.until), this.holdHint);
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    this.compose = h("div", { class: "breaking-step" },
      this.picker.el,
      h("div", { class: "text-box" }, this.text), this.counters,
      field(TEXT.link, this.link),
      this.variantBox,
      this.chooser.el,
      this.when,
      this.expiry.el,
      h("div", { class: "hold-box" },
        h("label", { class: "check" }, this.holdBox, h("strong", {}, TEXT.hold)), this.holdFields),
      this.error,
      h("div", { class: "dialog-buttons" },
        h("button", { type: "button", class: "btn", onclick: () => this.close() }, TEXT.cancel),
        h("button", { type: "button", class: "btn btn-danger", onclick: () => this.review() },
          icon("bolt"), TEXT.next)));
    this.confirm = h("div", { class: "breaking-step", hidden: true });
    this.outcomes = new Outcomes({ store, onClose: () => this.close() });
    this.outcomes.el.hidden = true;
    this.dialog = h("dialog", { class: "dialog breaking", "aria-label": TEXT.title },
      h("h2", { class: "dialog-title" }, icon("bolt"), TEXT.title),
      this.compose, this.confirm, this.outcomes.el);
    this.text.addEventListener("input", () => this.refreshCompose());
    this.holdBox.addEventListener("change", () => this.refreshCompose());
    this.when.addEventListener("change", () => this.refreshCompose());
    this.dialog.addEventListener("keydown", (event) => event.stopPropagation());
    this.dialog.addEventListener("close", () => {
      this.dialog?.remove();
      this.dialog = null;
    });
    this.refreshCompose();
  }

  radio(value, label, hint, checked) {
    return h("label", { class: "radio" }, h("input", { type: "radio", name: "when", value, checked }),
      h("span", {}, label, h("small", { class: "radio-hint" }, ` ${hint}`)));
  }

  close() {
    this.dialog?.close();
  }

  useMaterial(material) {
    this.material = material;
    if (material) {
      this.text.value = material.social_text || material.title || "";
      this.link.value = material.url ?? "";
    }
    this.refreshCompose();
    this.text.focus();
  }

  get now() {
    return this.when.querySelector("input:checked")?.value !== "top";
  }

  /** The variant textarea of a network kind, made on first need and kept while open. */
  variant(kind) {
    let entry = this.variants.get(kind);
    if (!entry) {
      const label = network(kind).label;
      const area = h("textarea", { class: "input variant-text", rows: "2", placeholder: TEXT.sameAsAbove,
        "aria-label": TEXT.variantFor(label) });
      const counter = h("span", { class: "counter" });
      area.addEventListener("input", () => this.refreshCompose());
      entry = { area, counter, el: h("div", { class: "variant" }, field(label, area), counter) };
      this.variants.set(kind, entry);
    }
    return entry;
  }

  /** Each chosen network's length check: [{kind, label, n, limit, variant}]. */
  lengths() {
    const kinds = new Map();
    for (const platform of this.chooser.chosen()) {
      const limit = platform.text_limit ?? null;
      const known = kinds.get(platform.kind);
      if (!known || (limit && (!known.limit || limit < known.limit))) kinds.set(platform.kind, { limit });
    }
    return [...kinds].map(([kind, { limit }]) => {
      const own = this.variant(kind).area.value.trim();
      const text = own || this.text.value.trim();
      return { kind, label: network(kind).label, n: length(text), limit, variant: !!own };
    });
  }

  refreshCompose() {
    if (!this.reasonEdited) {
      // The reason follows the text's first line until the editor writes one.
      const first = this.text.value.trim().split("\n")[0];
      this.reason.value = first ? TEXT.reasonFrom(first).slice(0, REASON_MAX) : "";
    }
    const lengths = this.lengths();
    this.counters.replaceChildren(...lengths.filter((l) => !l.variant).map((l) => h("span", {
      class: l.limit && l.n > l.limit ? "counter-chip over" : "counter-chip",
    }, TEXT.counter(l.label, l.n, l.limit))));
    this.variantList.replaceChildren(...lengths.map((l) => {
      const entry = this.variant(l.kind);
      entry.counter.textContent = l.limit ? `${l.n} / ${l.limit}` : `${l.n}`;
      entry.counter.classList.toggle("over", !!l.limit && l.n > l.limit);
      return entry.el;
    }));
    this.variantBox.hidden = lengths.length === 0;
    this.holdFields.hidden = !this.holdBox.checked;
    this.holdHint.textContent = this.now ? TEXT.holdHint : `${TEXT.holdHint} ${TEXT.holdTopHint}`;
  }

  /** What is wrong with the form, or null. */
  problem() {
    const chosen = this.chooser.chosen();
    if (chosen.length === 0) return TEXT.noColumns;
    if (!this.text.value.trim() && !this.link.value.trim()) return TEXT.empty;
    const over = this.lengths().find((l) => l.limit && l.n > l.limit);
    if (over) return TEXT.tooLong(over.label, over.n, over.limit);
    if (this.holdBox.checked && !this.reason.value.trim()) return TEXT.noReason;
    if (this.holdBox.checked && this.until.value && new Date(this.until.value).getTime() <= Date.now()) {
      return TEXT.pastUntil;
    }
    return null;
  }

  showError(message) {
    this.error.textContent = message ?? "";
    this.error.hidden = !message;
  }

  /** The command, from the form. */
  args() {
    const chosen = this.chooser.chosen();
    const args = { platform_ids: chosen.map((p) => p.id), body: this.text.value.trim(), now: this.now };
    if (this.link.value.trim()) args.url = this.link.value.trim();
    if (this.material) args.material_id = this.material.id;
    const bodies = {};
    for (const platform of chosen) {
      const own = this.variants.get(platform.kind)?.area.value.trim();
      if (own) bodies[String(platform.id)] = own;
    }
    if (Object.keys(bodies).length) args.bodies = bodies;
    const expires = this.expiry.read();
    if (expires) args.expires_at = expires;
    if (this.holdBox.checked) {
      args.hold = { reason: this.reason.value.trim() };
      if (this.until.value) args.hold.until = new Date(this.until.value).toISOString();
    }
    return args;
  }

  /** Step two: the one confirmation. */
  review() {
    const problem = this.problem() ?? (this.expiry.valid() ? null : "");
    this.showError(problem);
    if (problem !== null) return;
    const args = this.args();
    const n = args.platform_ids.length;
    const names = this.chooser.chosen().map((p) => p.name).join(", ");
    const lines = [h("p", {}, h("strong", {}, this.now ? TEXT.confirmNow(n) : TEXT.confirmTop(n)),
      args.hold ? ` ${TEXT.confirmHold(args.hold.reason, args.hold.until && clock(args.hold.until))}` : "", ".")];
    lines.push(h("p", { class: "dialog-message" }, names));
    const go = h("button", { type: "button", class: "btn btn-danger", onclick: () => this.send(args) },
      icon("bolt"), this.now ? TEXT.now : TEXT.top);
    this.confirm.replaceChildren(h("h3", { class: "confirm-title" }, TEXT.confirmTitle), ...lines,
      h("div", { class: "dialog-buttons" },
        h("button", { type: "button", class: "btn", onclick: () => this.step("compose") }, TEXT.back), go));
    this.step("confirm");
    go.focus();
  }

  step(name) {
    this.compose.hidden = name !== "compose";
    this.confirm.hidden = name !== "confirm";
    this.outcomes.el.hidden = name !== "results";
  }

  async send(args) {
    for (const button of this.confirm.querySelectorAll("button")) button.disabled = true;
    try {
      const result = await this.actions.breaking(args);
      this.outcomes.show(result, args);
      this.step("results");
      this.outcomes.focus();
    } catch (error) {
      this.step("compose");
      this.showError(TEXT.failed(describe(error)));
    }
  }

  /** The state changed: the columns, and the outcomes shown. */
  refresh() {
    if (!this.dialog) return;
    this.chooser.refresh();
    this.outcomes.refresh();
  }
}

// The materials panel: search the newsroom's materials and turn them into cards, by dragging
// one into a column (dnd.js places it) or with "Add to a column…" (Enter on a focused item).

import { describe } from "./actions.js";
import { ask } from "./dialogs.js";
import { MATERIAL_MIME } from "./dnd.js";
import { h, icon, iconButton, reconcile, setAttr, setText } from "./dom.js";
import { showFeeds } from "./feeds.js";
import { isInbox, network, networkIcon } from "./networks.js";
import { draftingAvailable } from "./suggest.js";
import { clock, fullTime, parseTime, relative } from "./time.js";
import { M } from "./messages.js";

const TEXT = M.materials;

// Typing pauses this long before a search goes out: one command per word, not per letter.
const DEBOUNCE_MS = 200;
const PAGE = 20;
const MAX_OFFSET = 1000; // the server's limit on `offset`
const OPEN_KEY = "metronome.materials.open";
const COLUMN_KEY = "metronome.materials.column";
const AI_DRAFT = TEXT.aiDraft;

function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private windows may refuse storage: the panel just forgets.
  }
}

/** Newest first: published_at, else when the material arrived or changed. */
function when(material) {
  return parseTime(material.published_at) ?? parseTime(material.updated_at) ?? 0;
}

function newestFirst(a, b) {
  return when(b) - when(a) || b.id - a.id;
}

/** What a card made from it would say: the author's status text, else the lead. */
function preview(material) {
  return material.social_text || material.lead || "";
}

/** One material of the list, kept by id so focus and drags survive redraws. */
class MaterialItem {
  constructor(id, panel) {
    this.id = id;
    this.panel = panel;
    this.material = null;
    this.signature = "";
    this.title = h("h3", { class: "material-title" });
    this.text = h("p", { class: "material-text" });
    this.section = h("span", { class: "material-section" });
    this.time = h("time", { class: "material-time" });
    this.rel = h("span", { class: "material-rel rel" });
    this.media = h("span", { class: "material-media" });
    this.used = h("span", { class: "material-used" });
    this.link = h("a", {
      class: "icon-btn material-open", target: "_blank", rel: "noopener noreferrer", draggable: "false",
      "aria-label": TEXT.open, title: TEXT.open,
    }, icon("external"));
    this.add = iconButton("plus", TEXT.addTo, () => panel.addToColumn(this.material),
      "icon-btn material-add");
    this.el = h("article", { class: "material", tabindex: "0", role: "listitem", "data-material-id": String(id) },
      h("div", { class: "material-head" }, this.title, this.add),
      this.text,
      h("div", { class: "material-meta" }, this.section, this.time, this.rel, this.media,
        h("span", { class: "spacer" }), this.used, this.link));
  }

  update(material, used, editable) {
    this.material = material;
    const signature = JSON.stringify([material, used, editable]);
    if (signature === this.signature) return;
    this.signature = signature;
    const el = this.el;
    setAttr(el, "draggable", editable ? "true" : null);
    setAttr(el, "aria-label", material.title);
    setText(this.title, material.title);
    setAttr(this.title, "title", material.title);
    const text = preview(material);
    setText(this.text, text);
    this.text.hidden = !text;
    setText(this.section, material.section ?? "");
    this.section.hidden = !material.section;
    const at = material.published_at ?? material.updated_at ?? null;
    setText(this.time, at ? clock(at) : "");
    setAttr(this.time, "datetime", at);
    setAttr(this.time, "title", at ? (material.published_at ? TEXT.published : TEXT.arrived)(fullTime(at)) : null);
    setAttr(this.rel, "data-time", at);
    setText(this.rel, at ? relative(at) : "");
    const media = [];
    if (material.image_url) media.push(h("span", { title: TEXT.hasImage }, icon("image")));
    if (material.video_url) media.push(h("span", { title: TEXT.hasVideo }, icon("video")));
    this.media.replaceChildren(...media);
    this.media.hidden = media.length === 0;
    this.used.replaceChildren(...used.map(({ platform, sent }) => {
      const mark = networkIcon(platform.kind);
      mark.setAttribute("aria-label", (sent ? TEXT.sentOn : TEXT.queuedIn)(platform.name));
      return h("span", { class: sent ? "used is-sent" : "used", title: (sent ? TEXT.sentOn : TEXT.queuedIn)(platform.name) }, mark);
    }));
    this.used.hidden = used.length === 0;
    setAttr(this.link, "href", material.url);
    this.add.hidden = !editable;
  }
}

/**
 * The panel beside the board (`root`, an <aside>), opened and closed by `toggle` in the top
 * bar. With an empty box it lists the state's materials, newest first; typing searches
 * (`materials.search`). `refresh()` redraws it after the state changed.
 */
export class MaterialsPanel {
  constructor(root, toggle, { store: state, actions, canEdit }) {
    this.root = root;
    this.toggleButton = toggle;
    this.state = state;
    this.actions = actions;
    this.canEdit = canEdit;
    this.items = new Map();
    this.query = "";
    this.results = null; // null: no search, the state's newest materials are shown
    this.more = false;
    this.searching = 0; // the token of the search in flight (0: none)
    this.token = 0;
    this.timer = null;
    this.error = "";

    this.input = h("input", {
      type: "search", class: "input materials-search", placeholder: TEXT.searchPlaceholder,
      "aria-label": TEXT.search, autocomplete: "off", spellcheck: "false",
    });
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("keydown", (event) => this.searchKey(event));
    this.status = h("p", { class: "materials-status", role: "status", "aria-live": "polite" });
    this.list = h("div", { class: "materials-list", role: "list", "aria-label": TEXT.title });
    this.list.addEventListener("keydown", (event) => this.itemKey(event));
    this.list.addEventListener("dragstart", (event) => this.dragStart(event));
    this.list.addEventListener("dragend", (event) => event.target.classList?.remove("is-dragging"));
    this.list.addEventListener("dblclick", (event) => {
      const item = this.itemOf(event.target);
      if (item && !event.target.closest("a, button")) this.addToColumn(item.material);
    });
    this.moreButton = h("button", { type: "button", class: "btn btn-small materials-more", onclick: () => this.loadMore() },
      TEXT.more);
    this.feeds = h("button", { type: "button", class: "btn btn-small btn-quiet", title: TEXT.feedsTitle,
      onclick: () => showFeeds({ store: state, actions }) }, icon("rss"), TEXT.feeds);
    this.hint = h("p", { class: "materials-hint" },
      TEXT.hint);
    root.replaceChildren(
      h("div", { class: "materials-header" },
        h("h2", { class: "materials-heading" }, icon("newspaper"), TEXT.title),
        h("span", { class: "spacer" }),
        this.feeds,
        iconButton("close", TEXT.close, () => this.close())),
      h("div", { class: "materials-searchbar" }, icon("search", "ui", "icon materials-search-icon"), this.input),
      this.status,
      h("div", { class: "materials-scroll" }, this.list, this.moreButton),
      this.hint);
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented && !event.target.closest("input")) {
        event.preventDefault();
        this.close();
      }
    });
    toggle.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    if (stored(OPEN_KEY) === "1") this.open({ focus: false });
  }

  get isOpen() {
    return !this.root.hidden;
  }

  open({ focus = true } = {}) {
    this.root.hidden = false;
    this.toggleButton.setAttribute("aria-expanded", "true");
    this.toggleButton.classList.add("is-active");
    store(OPEN_KEY, "1");
    this.refresh();
    if (focus) this.input.focus();
  }

  close() {
    const hadFocus = this.root.contains(document.activeElement);
    this.root.hidden = true;
    this.toggleButton.setAttribute("aria-expanded", "false");
    this.toggleButton.classList.remove("is-active");
    store(OPEN_KEY, "0");
    if (hadFocus) this.toggleButton.focus();
  }

  /** A new connection (a full state): a search shown from before is asked again. */
  resync() {
    if (this.isOpen && this.query && this.results !== null) this.search(this.query);
    else this.refresh();
  }

  /** Open the panel and put the cursor in the search box (the "/" key). */
  focusSearch() {
    if (!this.isOpen) this.open();
    this.input.focus();
    this.input.select();
  }

  typed() {
    clearTimeout(this.timer);
    const q = this.input.value.trim();
    if (q === this.query && this.results !== null) return;
    if (!q) {
      this.query = "";
      this.results = null;
      this.token += 1; // an answer still on its way is for a box that is empty now
      this.searching = 0;
      this.error = "";
      this.refresh();
      return;
    }
    this.timer = setTimeout(() => this.search(q), DEBOUNCE_MS);
  }

  searchKey(event) {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(this.timer);
      const q = this.input.value.trim();
      if (q) this.search(q);
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      this.list.querySelector(".material")?.focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (this.input.value) {
        this.input.value = "";
        this.typed();
      } else {
        this.close();
      }
    }
  }

  async search(q, offset = 0) {
    const token = ++this.token;
    this.searching = token;
    this.query = q;
    this.error = "";
    this.paintStatus();
    let items;
    try {
      ({ items = [] } = await this.actions.searchMaterials({ q, limit: PAGE, offset }));
    } catch (error) {
      if (token !== this.token) return;
      this.searching = 0;
      this.error = error.code === "disconnected"
        ? TEXT.offline
        : TEXT.failed(describe(error));
      if (offset === 0) this.results = [];
      this.refresh();
      return;
    }
    if (token !== this.token) return; // the box changed since: a newer search owns the list
    this.searching = 0;
    const seen = new Set(offset ? this.results.map((m) => m.id) : []);
    const fresh = items.filter((m) => !seen.has(m.id));
    this.results = offset ? [...this.results, ...fresh] : items;
    this.more = items.length === PAGE && offset + PAGE < MAX_OFFSET;
    if (offset === 0) this.list.parentElement.scrollTop = 0;
    this.refresh();
  }

  loadMore() {
    if (this.results && this.query) this.search(this.query, this.results.length);
  }

  /** The materials to list: search results (with any newer copy from the state), or the newest. */
  shown() {
    const known = this.state.state.materials ?? {};
    if (this.results === null) return Object.values(known).sort(newestFirst);
    return this.results.map((m) => {
      const live = known[m.id];
      return live && (parseTime(live.updated_at) ?? 0) >= (parseTime(m.updated_at) ?? 0) ? live : m;
    });
  }

  /** material id → the columns where a card of it waits or went out. */
  usage() {
    const byMaterial = new Map();
    for (const snippet of Object.values(this.state.state.snippets ?? {})) {
      if (!snippet.material_id || snippet.kind === "interval") continue;
      const sent = snippet.status === "sent";
      if (!sent && snippet.status !== "pending" && snippet.status !== "sending") continue;
      const platform = this.state.platform(snippet.platform_id);
      if (!platform) continue;
      let columns = byMaterial.get(snippet.material_id);
      if (!columns) byMaterial.set(snippet.material_id, (columns = new Map()));
      const before = columns.get(platform.id);
      columns.set(platform.id, { platform, sent: sent || (before?.sent ?? false) });
    }
    return byMaterial;
  }

  /** Redraw from the state and the last results (only while open: a closed panel costs nothing). */
  refresh() {
    if (!this.isOpen) return;
    const editable = this.canEdit();
    this.root.classList.toggle("is-readonly", !editable);
    this.hint.hidden = !editable;
    const usage = this.usage();
    const materials = this.shown();
    const els = materials.map((material) => {
      let item = this.items.get(material.id);
      if (!item) {
        item = new MaterialItem(material.id, this);
        this.items.set(material.id, item);
      }
      const used = [...(usage.get(material.id)?.values() ?? [])]
        .sort((a, b) => (a.platform.position ?? 0) - (b.platform.position ?? 0));
      item.update(material, used, editable);
      return item.el;
    });
    const wanted = new Set(materials.map((m) => m.id));
    for (const id of [...this.items.keys()]) if (!wanted.has(id)) this.items.delete(id);
    const active = document.activeElement;
    const hadFocus = this.list.contains(active);
    reconcile(this.list, els);
    // The focused material left the list (a new search): keep the keyboard in the panel.
    if (hadFocus && !active.isConnected) this.input.focus({ preventScroll: true });
    this.moreButton.hidden = !(this.results !== null && this.more && !this.searching);
    this.feeds.hidden = Object.keys(this.state.state.feeds ?? {}).length === 0 && this.state.me.role !== "admin";
    this.paintStatus(materials.length);
  }

  paintStatus(count = this.list.children.length) {
    let text;
    if (this.searching) text = TEXT.searching;
    else if (this.error) text = this.error;
    else if (this.results === null) {
      text = count ? TEXT.newest : TEXT.none;
    } else if (count === 0) text = TEXT.nothing(this.query);
    else text = TEXT.found(count, this.more, this.query);
    setText(this.status, text);
    this.status.classList.toggle("is-error", !!this.error && !this.searching);
    this.root.setAttribute("aria-busy", this.searching ? "true" : "false");
  }

  /** Refresh the relative times ("2h ago") with the board's. */
  tick() {
    if (!this.isOpen) return;
    for (const el of this.list.querySelectorAll(".rel[data-time]")) setText(el, relative(el.dataset.time));
  }

  itemOf(el) {
    const node = el?.closest?.(".material");
    return node ? this.items.get(Number(node.dataset.materialId)) ?? null : null;
  }

  dragStart(event) {
    const item = this.itemOf(event.target);
    if (!item || event.target !== item.el || !this.canEdit()) return;
    const { material } = item;
    event.dataTransfer.effectAllowed = "copy";
    event.dataTransfer.setData(MATERIAL_MIME, String(material.id));
    event.dataTransfer.setData("text/plain", material.url);
    requestAnimationFrame(() => item.el.classList.add("is-dragging"));
  }

  itemKey(event) {
    const item = this.itemOf(event.target);
    if (!item || event.target !== item.el) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const els = [...this.list.children];
    const index = els.indexOf(item.el);
    if (event.key === "Enter") {
      if (this.canEdit()) this.addToColumn(item.material);
    } else if (event.key === "ArrowDown") {
      els[index + 1]?.focus();
    } else if (event.key === "ArrowUp") {
      (els[index - 1] ?? this.input).focus();
    } else if (event.key === "Home") {
      els[0]?.focus();
    } else if (event.key === "End") {
      els.at(-1)?.focus();
    } else {
      return;
    }
    event.preventDefault();
  }

  /** Ask which column (and where in it), then create the card there. */
  async addToColumn(material) {
    if (!material || !this.canEdit()) return;
    const from = document.activeElement;
    const columns = this.state.columns();
    if (columns.length === 0) {
      await ask({ title: TEXT.noColumns, message: TEXT.noColumnsMessage,
        okLabel: TEXT.closeButton, cancelLabel: null });
      return;
    }
    const last = Number(stored(COLUMN_KEY));
    const chosen = columns.some((c) => c.id === last) ? last : columns[0].id;
    const select = h("select", { name: "column", class: "input input-wide", "aria-label": TEXT.column },
      columns.map((c) => h("option", { value: String(c.id), selected: c.id === chosen }, columnLabel(c))));
    const where = (value, label, checked) => h("label", { class: "radio" },
      h("input", { type: "radio", name: "where", value, checked }), label);
    // An AI-written text is an option only where the server drafts (snippet.draft).
    const ai = (await draftingAvailable(this.actions)) === true
      && h("label", { class: "radio" }, h("input", { type: "checkbox", name: "ai" }), AI_DRAFT);
    const answer = await ask({
      title: TEXT.addTitle,
      message: material.title,
      okLabel: TEXT.addCard,
      fields: [
        h("label", { class: "field" }, h("span", { class: "field-label" }, TEXT.column), select),
        h("fieldset", { class: "field radio-row" }, h("legend", { class: "field-label" }, TEXT.where),
          where("end", TEXT.atEnd, true), where("top", TEXT.onTop, false)),
        ai || null,
      ],
      read: (form) => ({
        platformId: Number(select.value),
        top: form.elements.where.value === "top",
        ai: !!form.elements.ai?.checked,
      }),
    });
    if (from?.isConnected) from.focus({ preventScroll: true });
    if (!answer) return;
    store(COLUMN_KEY, String(answer.platformId));
    const placement = answer.top ? { after_id: null } : {};
    if (answer.ai) await this.draft(answer.platformId, material.id, placement);
    else await this.create(answer.platformId, material.id, placement);
  }

  /** snippet.draft: a card with the AI's text for the material; it waits for approval. */
  async draft(platformId, materialId, placement) {
    const result = await this.actions.draftFromMaterial(platformId, materialId, placement);
    if (result?.id) flash(result.id);
    return result;
  }

  /** snippet.create from a material; the new card flashes where it landed. */
  async create(platformId, materialId, placement) {
    const result = await this.actions.createFromMaterial(platformId, materialId, placement);
    if (result?.id) flash(result.id);
    return result;
  }
}

/** Draw the eye to a new card once the server's patch has put it on the board. */
function flash(id, tries = 60) {
  const el = document.querySelector(`#board [data-snippet-id="${id}"]`);
  if (!el) {
    if (tries > 0) requestAnimationFrame(() => flash(id, tries - 1));
    return;
  }
  el.scrollIntoView({ block: "nearest", inline: "nearest" });
  el.classList.remove("is-new");
  void el.offsetWidth; // restart the animation when the same card flashes twice
  el.classList.add("is-new");
  el.addEventListener("animationend", () => el.classList.remove("is-new"), { once: true });
}

/** A column in the picker: its name, and its network when the name does not say it already. */
export function columnLabel(column) {
  const kind = network(column.kind).label;
  if (isInbox(column) || column.name.toLowerCase().includes(kind.toLowerCase())) return column.name;
  return `${column.name} · ${kind}`;
}

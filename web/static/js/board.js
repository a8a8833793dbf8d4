// The board: columns and cards kept by id and updated in place from the store.

import { h, icon, reconcile } from "./dom.js";
import { CardView, MarkerView, setRelative } from "./card.js";
import { Collapsed } from "./collapse.js";
import { Sight } from "./sight.js";
import { ColumnView, badgeFor } from "./column.js";
import { enableColumnDrag } from "./columndrag.js";
import { enableDragAndDrop } from "./dnd.js";
import { enableKeyboard } from "./keyboard.js";
import { enableBoardKeys } from "./boardkeys.js";
import { cardMenu } from "./cardmenu.js";
import { enableRoving } from "./roving.js";
import { M } from "./messages.js";
import { mayEdit, mayWrite } from "./roles.js";
import { toast } from "./toasts.js";

// Patch keys that touch no column: such a patch redraws only the columns of its cards.
const ELSEWHERE = new Set(["snippets", "feeds", "alerts", "users"]);

export class Board {
  /**
   * `setup` = {addColumn(), editColumn(platform), users(), demo()}: the admin's set-up actions;
   * `editing` tells the server which card this tab edits (js/presence.js).
   */
  constructor(root, { store, actions, editing, onMaterialDrop = null, setup = {} }) {
    this.root = root;
    this.store = store;
    this.columns = new Map();
    // The card views in the page (drawn, or open in an editor), by snippet id.
    this.cards = new Map();
    this.collapsed = new Collapsed();
    // Cards drawn whatever the scroll: the one pressed or dragged, focused, or being edited.
    this.pinned = new Set();
    this.grabbed = null;
    this.dragging = null;
    this.home = new Map(); // snippet id → the column it was last drawn in
    // What is near sight, laid out once a frame (sight.js).
    this.sight = new Sight(this);
    // Unsaved edits whose card left the queue, by card id: {platformId, kept}.
    this.kept = new Map();
    this.ctx = {
      actions,
      store,
      editing,
      canEdit: () => mayEdit(store.me.role),
      viewFor: (snippet, platform) => this.viewFor(snippet, platform),
      pinned: this.pinned,
      onlyWaiting: () => document.body.classList.contains("only-waiting"),
      isCollapsed: (id) => this.collapsed.has(id),
      toggleCollapsed: (id, collapsed) => this.toggleCollapsed(id, collapsed),
      later: (column) => this.sight.later(column),
      canWrite: () => mayWrite(store.me.role),
      columnName: (id) => store.platform(id)?.name ?? null,
      isAdmin: () => store.me.role === "admin",
      onEditColumn: setup.editColumn,
    };
    this.empty = emptyBoard(setup, this.ctx.isAdmin);
    // Issue 21: the card menu, one tab stop per queue, and the single-key shortcuts.
    this.ctx.openCardMenu = cardMenu(this.ctx);
    this.roving = enableRoving(root);
    enableBoardKeys(root, {
      columnAt: (el) => this.columnAt(el), cardView: (id) => this.cards.get(id),
      openCardMenu: this.ctx.openCardMenu, canEdit: this.ctx.canEdit, canWrite: this.ctx.canWrite, actions, store,
    });
    const canEdit = this.ctx.canEdit;
    enableColumnDrag(root, {
      columns: () => this.orderedColumns(),
      canMove: canEdit,
      onReorder: (ids) => actions.reorderColumns(ids),
    });
    enableDragAndDrop(root, {
      columnAt: (el) => this.columnAt(el),
      onMove: (id, args) => actions.move(id, args),
      // A material from the materials panel: one snippet.create at the drop position.
      onCreate: (platformId, materialId, args) => this.ctx.canWrite() && onMaterialDrop?.(platformId, materialId, args),
      onDragging: (id) => {
        this.dragging = id;
        if (id === null) this.grabbed = null;
      },
    });
    this.delegate(root);
    enableKeyboard(root, {
      columns: () => this.orderedColumns(),
      onMove: (id, args) => canEdit() && actions.move(id, args),
      onEdit: (id) => this.cards.get(id)?.startEdit?.(),
      onDelete: (id) => canEdit() && actions.deleteCard(id),
    });
  }

  columnAt(el) {
    const section = el?.closest?.("[data-platform-id]");
    return section ? this.columns.get(Number(section.dataset.platformId)) ?? null : null;
  }

  orderedColumns() {
    return [...this.root.children].map((el) => this.columnAt(el)).filter(Boolean);
  }

  cardView(snippet) {
    let view = this.cards.get(snippet.id);
    const Kind = snippet.kind === "interval" ? MarkerView : CardView;
    if (!(view instanceof Kind)) {
      if (view) this.sight.sizes.unobserve(view.el);
      view = new Kind(snippet.id, this.ctx);
      this.cards.set(snippet.id, view);
      this.sight.sizes.observe(view.el);
    }
    return view;
  }

  /** The view of a card about to be drawn, brought up to date: a card that scrolls into sight is current. */
  viewFor(snippet, platform) {
    const view = this.cardView(snippet);
    view.update(snippet, platform);
    return view;
  }

  /**
   * One listener per kind of event for every card of the board: a card's buttons carry
   * `data-card-action`, a double click edits, and a pressed card stays drawn until released.
   */
  delegate(root) {
    const viewOf = (el) => {
      const card = el?.closest?.("[data-snippet-id], [data-history-id]");
      return card && root.contains(card) ? this.cards.get(Number(card.dataset.snippetId ?? card.dataset.historyId)) : null;
    };
    root.addEventListener("click", (event) => {
      const button = event.target.closest?.("[data-card-action]");
      if (button && !button.disabled) viewOf(button)?.act(button.dataset.cardAction);
    });
    root.addEventListener("dblclick", (event) => {
      if (event.target.closest?.("a, button, .editor, input, textarea, select")) return;
      const view = viewOf(event.target);
      if (view instanceof CardView) view.startEdit();
    });
    root.addEventListener("pointerdown", (event) => {
      const card = event.target.closest?.("[data-snippet-id]");
      this.grabbed = card ? Number(card.dataset.snippetId) : null;
    });
    document.addEventListener("pointerup", () => {
      this.grabbed = null;
    });
    // Scrolling (the board sideways, a column down) draws what comes near, once a frame.
    root.addEventListener("scroll", (event) => {
      const column = event.target === root ? null : this.columnAt(event.target);
      this.sight.relayout(column);
    }, { capture: true, passive: true });
    window.addEventListener("resize", () => this.sight.relayout(null));
  }

  pinnedIds() {
    const ids = [];
    for (const [id, view] of this.cards) if (view.editor) ids.push(id);
    const focused = document.activeElement?.closest?.("[data-snippet-id]");
    if (focused && this.root.contains(focused)) ids.push(Number(focused.dataset.snippetId));
    if (this.grabbed) ids.push(this.grabbed);
    if (this.dragging) ids.push(this.dragging);
    return ids;
  }

  /** Forget the views no longer in the page (scrolled away, left the board), unless edited. */
  sweep() {
    for (const [id, view] of this.cards) {
      if (view.el.isConnected || view.editor) continue;
      this.sight.sizes.unobserve(view.el);
      this.cards.delete(id);
    }
  }

  /** Fold or unfold a column (flip it without `collapsed`), remembered in this browser. */
  toggleCollapsed(id, collapsed) {
    const column = this.columns.get(id);
    this.collapsed.set(id, collapsed);
    if (!column) return;
    const refocus = column.el.contains(document.activeElement);
    column.update(column.platform, column.lane, column.view);
    this.sight.relayout(null);
    if (refocus) column.fold?.focus();
  }

  /** A column brought into sight (unfolded) and its name focused: the column finder's jump. */
  showColumn(id) {
    const column = this.columns.get(id);
    if (!column) return;
    column.ensureBuilt();
    if (column.collapsed) this.toggleCollapsed(id, false);
    column.el.scrollIntoView({ block: "nearest", inline: "center" });
    if (!column.name.hasAttribute("tabindex")) column.name.setAttribute("tabindex", "-1");
    column.name.focus({ preventScroll: true });
    column.el.classList.remove("is-found");
    void column.el.offsetWidth; // restart the glow when the same column is found twice
    column.el.classList.add("is-found");
    this.sight.relayout(null);
  }

  /** The columns as the finder lists them, left to right. */
  finderColumns() {
    return this.orderedColumns().map((column) => ({
      id: column.id, name: column.platform.name, kind: column.platform.kind,
      count: column.lane.queue.length, collapsed: column.collapsed,
      status: badgeFor(column.platform)[0],
    }));
  }

  /** A card's element, drawn first if it is off screen (a queued card, or one in a history). */
  reveal(snippetId) {
    const snippet = this.store.snippet(snippetId);
    const column = snippet && this.columns.get(snippet.platform_id);
    if (!column) return null;
    if (snippet.status === "pending") return column.reveal(snippet.id);
    if (column.collapsed) this.toggleCollapsed(column.id, false);
    if (!column.history.open && column.lane.history.some((s) => s.id === snippet.id)) {
      column.history.open = true;
      column.renderHistory();
    }
    return this.root.querySelector(`[data-history-id="${snippet.id}"]`);
  }

  /**
   * The columns a patch touches, or null for all of them: a patch of cards alone redraws
   * the columns those cards were and are in.
   */
  touched(patch) {
    if (!patch || Object.keys(patch).some((key) => !ELSEWHERE.has(key))) return null;
    const ids = new Set();
    for (const key of Object.keys(patch.snippets ?? {})) {
      const id = Number(key);
      const now = this.store.snippet(id)?.platform_id;
      if (now !== undefined) ids.add(now);
      if (this.home.has(id)) ids.add(this.home.get(id));
    }
    return ids;
  }

  /** Draw the board from the store; `patch` (the one just applied) limits it to the columns it touched. */
  render(patch = null) {
    const only = this.columns.size ? this.touched(patch) : null;
    if (only && only.size === 0) return;
    const active = document.activeElement;
    const fallback = this.root.contains(active) ? this.focusFallback(active) : [];
    this.keepLostEdits();
    const lanes = this.store.lanes(only);
    const held = this.store.heldColumns();
    const where = this.sight.placement();
    this.pinned.clear();
    for (const id of this.pinnedIds()) this.pinned.add(id);
    const columnEls = [];
    const columns = this.store.columns();
    if (columns.length) this.collapsed.keepOnly(columns.map((c) => c.id));
    let added = false;
    for (const column of columns) {
      if (only && !only.has(column.id) && this.columns.has(column.id)) {
        columnEls.push(this.columns.get(column.id).el);
        continue;
      }
      // A held column's views see its holds as `platform.holds` (absent: not held).
      const platform = held.has(column.id) ? { ...column, holds: held.get(column.id) } : column;
      let columnView = this.columns.get(platform.id);
      if (!columnView) {
        columnView = new ColumnView(platform, this.ctx);
        this.columns.set(platform.id, columnView);
        added = true;
      }
      const lane = lanes.get(platform.id);
      for (const part of Object.values(lane)) for (const snippet of part) this.home.set(snippet.id, platform.id);
      columnView.update(platform, lane, where(columnView, columnEls.length));
      columnEls.push(columnView.el);
    }
    for (const [id, column] of this.columns) {
      if (!this.store.platform(id)) this.columns.delete(id);
      else if (!columnEls.includes(column.el)) this.columns.delete(id);
    }
    this.bringBackEdits();
    this.empty.refresh();
    reconcile(this.root, columnEls.length ? columnEls : [this.empty.el]);
    this.roving.refresh();
    this.sweep();
    this.root.removeAttribute("aria-busy");
    this.restoreFocus(active, fallback);
    // New columns were placed by a guess: lay them out again once the browser has painted
    // them (the first frame shows the guess, which is close; the next one corrects it).
    if (added) requestAnimationFrame(() => setTimeout(() => this.sight.relayout(null), 0));
  }

  /**
   * Text is never lost: an editor whose card left the queue (deleted, cleared, sent by
   * someone else) closes, and its unsaved text stays in the card's column as a draft that
   * can become a new card, be copied, or be discarded.
   */
  keepLostEdits() {
    for (const [id, view] of this.cards) {
      if (!view.editor) continue;
      const snippet = this.store.snippet(id);
      if (snippet?.status === "pending") continue;
      const platformId = view.snippet.platform_id;
      const held = view.dropEditor();
      const column = this.columns.get(platformId);
      if (!held.changed) continue;
      if (!column || !this.store.platform(platformId)) {
        // The column itself is gone: the text stays on screen until it is copied or dismissed.
        const copy = h("button", { type: "button", class: "toast-action",
          onclick: () => navigator.clipboard?.writeText(held.values.body).then(() => toast(M.keptCopied), () => {}) },
        M.keptCopy);
        toast(`${M.keptGone} ${M.keptTitle}: “${held.values.body}”`, { kind: "error", sticky: true, extra: [copy] });
        continue;
      }
      const reason = snippet && ["sending", "sent"].includes(snippet.status) ? M.keptSent : M.keptGone;
      const kept = column.keep(held.values, { reason, onDone: () => this.kept.delete(id) });
      this.kept.set(id, { platformId, kept });
    }
  }

  /** A kept edit whose card is back in the queue (Undo) opens on its card again. */
  bringBackEdits() {
    for (const [id, { kept }] of [...this.kept]) {
      if (this.store.snippet(id)?.status === "pending") this.columns.get(this.store.snippet(id).platform_id)?.reveal(id);
      const view = this.cards.get(id);
      if (!view || this.store.snippet(id)?.status !== "pending" || !(view instanceof CardView)) continue;
      const values = kept.values();
      kept.remove();
      this.kept.delete(id);
      view.startEdit();
      view.editor?.form.setValues(values);
      toast(M.keptBack);
    }
  }

  /** Where focus should go if `active` disappears: the next card, the previous, the column. */
  focusFallback(active) {
    const card = active.closest("[data-snippet-id], [data-history-id]");
    if (!card) return [];
    return [card.nextElementSibling, card.previousElementSibling, card.closest(".column")?.querySelector(".column-tools button:not([hidden])")];
  }

  restoreFocus(active, fallback) {
    if (!active || active === document.body || document.activeElement === active) return;
    if (active.isConnected) {
      active.focus({ preventScroll: true });
      if (active.matches("[data-snippet-id]")) active.scrollIntoView({ block: "nearest", inline: "nearest" });
      return;
    }
    const next = fallback.find((el) => el?.isConnected && el.matches("[data-snippet-id], button"));
    next?.focus({ preventScroll: true });
  }

  /** Refresh every relative time ("in 12 min", the countdowns) without touching anything else. */
  tick() {
    const now = Date.now();
    for (const el of this.root.querySelectorAll(".rel[data-time]")) {
      setRelative(el, el.dataset.time, now);
    }
    for (const column of this.columns.values()) column.tick();
  }
}

/** The empty board: an admin's first steps (and the demo), or a word for everyone else. */
function emptyBoard(setup, isAdmin) {
  const step = (n, text, button) => h("li", { class: "step" }, h("span", { class: "step-number" }, String(n)),
    h("span", { class: "step-text" }, text), button);
  const admin = h("div", { class: "setup" },
    h("h2", {}, M.emptyTitle), h("p", { class: "setup-intro" }, M.emptyIntro),
    h("ol", { class: "steps" },
      step(1, M.stepColumn, h("button", { type: "button", class: "btn btn-primary", onclick: () => setup.addColumn?.() },
        icon("columns"), M.addFirstColumn)),
      step(2, M.stepCard, null),
      step(3, M.stepInvite, h("button", { type: "button", class: "btn", onclick: () => setup.users?.() },
        icon("users"), M.invitePeople))),
    h("p", { class: "setup-demo" }, M.stepDemo,
      h("button", { type: "button", class: "btn", onclick: () => setup.demo?.() }, M.tryDemo)));
  const viewer = h("div", {}, h("h2", {}, M.emptyViewer), h("p", {}, M.emptyViewerText));
  const el = h("div", { class: "board-empty" }, admin, viewer);
  return {
    el,
    refresh() {
      admin.hidden = !isAdmin();
      viewer.hidden = isAdmin();
    },
  };
}

// The board: columns and cards kept by id and updated in place from the store.

import { h, icon, reconcile } from "./dom.js";
import { CardView, MarkerView, setRelative } from "./card.js";
import { ColumnView } from "./column.js";
import { enableColumnDrag } from "./columndrag.js";
import { enableDragAndDrop } from "./dnd.js";
import { enableKeyboard } from "./keyboard.js";
import { enableBoardKeys } from "./boardkeys.js";
import { cardMenu } from "./cardmenu.js";
import { enableRoving } from "./roving.js";
import { M } from "./messages.js";
import { mayEdit, mayWrite } from "./roles.js";
import { toast } from "./toasts.js";

export class Board {
  /**
   * `setup` = {addColumn(), editColumn(platform), users(), demo()}: the admin's set-up actions;
   * `editing` tells the server which card this tab edits (js/presence.js).
   */
  constructor(root, { store, actions, editing, onMaterialDrop = null, setup = {} }) {
    this.root = root;
    this.store = store;
    this.columns = new Map();
    this.cards = new Map();
    // Unsaved edits whose card left the queue, by card id: {platformId, kept}.
    this.kept = new Map();
    this.ctx = {
      actions,
      store,
      editing,
      canEdit: () => mayEdit(store.me.role),
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
    });
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
      view = new Kind(snippet.id, this.ctx);
      this.cards.set(snippet.id, view);
    }
    return view;
  }

  render() {
    const active = document.activeElement;
    const fallback = this.root.contains(active) ? this.focusFallback(active) : [];
    this.keepLostEdits();
    const lanes = this.store.lanes();
    const held = this.store.heldColumns();
    const seenCards = new Set();
    const columnEls = [];
    for (const column of this.store.columns()) {
      // A held column's views see its holds as `platform.holds` (absent: not held).
      const platform = held.has(column.id) ? { ...column, holds: held.get(column.id) } : column;
      let columnView = this.columns.get(platform.id);
      if (!columnView) {
        columnView = new ColumnView(platform, this.ctx);
        this.columns.set(platform.id, columnView);
      }
      const lane = lanes.get(platform.id);
      const items = {};
      for (const part of ["queue", "sending", "attention", "history"]) {
        items[part] = lane[part].map((snippet) => {
          const view = this.cardView(snippet);
          view.update(snippet, platform);
          seenCards.add(snippet.id);
          return { snippet, view };
        });
      }
      columnView.update(platform, items);
      columnEls.push(columnView.el);
    }
    for (const [id, column] of this.columns) {
      if (!this.store.platform(id)) this.columns.delete(id);
      else if (!columnEls.includes(column.el)) this.columns.delete(id);
    }
    for (const [id, view] of [...this.cards]) {
      if (seenCards.has(id)) continue;
      view.el.remove();
      this.cards.delete(id);
    }
    this.bringBackEdits();
    this.empty.refresh();
    reconcile(this.root, columnEls.length ? columnEls : [this.empty.el]);
    this.roving.refresh();
    this.root.removeAttribute("aria-busy");
    this.restoreFocus(active, fallback);
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

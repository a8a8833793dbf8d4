// Drag and drop of queued cards (native HTML5), within a column and between columns, and of
// materials from the materials panel into a column (a new card at the drop position).
//
// A dragover reads one rectangle, the queue's: the cards' places below its top come from the
// heights the column already knows (virtual.js), so no card is measured while the pointer
// moves, whether it is drawn or stands behind a spacer.

import { h } from "./dom.js";

const MIME = "application/x-metronome-snippet";
/** What a material item of the materials panel puts on its drag (its id). */
export const MATERIAL_MIME = "application/x-metronome-material";

/**
 * Where a drop at `y` (viewport px) lands in `column`'s queue: before the first card whose
 * middle is below the pointer (so the upper half of a card means "before it"), else the end.
 * Returns {ids, before, top}: the queue's ids without the dragged card, the id the card goes
 * before (null: the end), and where the drop line goes (px from the queue's top).
 */
export function dropTarget(column, y, draggedId = null) {
  const { items, heights } = column.queueLayout();
  const at = y - column.queue.getBoundingClientRect().top;
  const ids = [];
  let before = null;
  let top = null;
  let pos = 0;
  let end = 0;
  for (let i = 0; i < items.length; i += 1) {
    const id = items[i].id;
    const height = heights[i];
    if (id !== draggedId) {
      ids.push(id);
      if (before === null && at < pos + height / 2) {
        before = id;
        top = pos - 4;
      }
      end = pos + height + 2;
    }
    pos += height + column.gap;
  }
  return { ids, before, top: top ?? end };
}

/** The snippet.move arguments for a target, or null when the card would stay where it is. */
export function moveArgs(column, { ids, before }, draggedId, fromColumnId) {
  if (fromColumnId === column.id) {
    const order = column.queueIds();
    const next = order[order.indexOf(draggedId) + 1] ?? null;
    if (next === before) return null;
  }
  if (before !== null) return { platform_id: column.id, before_id: before };
  return { platform_id: column.id, after_id: ids.length ? ids.at(-1) : null };
}

/**
 * Where a new card dropped at `target` goes, as snippet.create arguments: after the card
 * before the drop line (`after_id: null` at the top), or nothing at all for the end.
 */
export function createArgs({ ids, before }) {
  if (before === null) return {};
  const index = ids.indexOf(before);
  return { after_id: index > 0 ? ids[index - 1] : null };
}

function carriesMaterial(event) {
  return [...(event.dataTransfer?.types ?? [])].includes(MATERIAL_MIME);
}

/**
 * Wire drag and drop on the board `root`. `columnAt(el)` gives the ColumnView holding an
 * element (or null); `onMove(id, args)` sends the one snippet.move of a drop;
 * `onCreate(platformId, materialId, args)` the one snippet.create of a material's drop;
 * `onDragging(id | null)` says which card is being dragged (the board keeps it drawn).
 */
export function enableDragAndDrop(root, { columnAt, onMove, onCreate = null, onDragging = () => {} }) {
  const indicator = h("div", { class: "drop-indicator", "aria-hidden": "true" });
  let dragged = null; // {id, el, from: column id}

  const hide = () => {
    indicator.remove();
    root.querySelector(".column.is-drop-target")?.classList.remove("is-drop-target");
  };

  const show = (column, target) => {
    if (indicator.parentNode !== column.queue) {
      hide();
      column.queue.append(indicator);
      column.el.classList.add("is-drop-target");
    }
    indicator.style.transform = `translateY(${Math.round(target.top)}px)`;
  };

  root.addEventListener("dragstart", (event) => {
    const card = event.target.closest?.("[data-snippet-id][draggable='true']");
    if (!card || event.target !== card) return;
    const id = Number(card.dataset.snippetId);
    dragged = { id, el: card, from: columnAt(card)?.id ?? null };
    onDragging(id);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData(MIME, card.dataset.snippetId);
    const text = card.querySelector(".card-body")?.textContent;
    if (text) event.dataTransfer.setData("text/plain", text);
    requestAnimationFrame(() => dragged?.el.classList.add("is-dragging"));
  });

  root.addEventListener("dragover", (event) => {
    const material = !dragged && onCreate && carriesMaterial(event);
    if (!dragged && !material) return;
    const column = columnAt(event.target);
    if (!column || column.collapsed) {
      hide();
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = material ? "copy" : "move";
    show(column, dropTarget(column, event.clientY, dragged?.id ?? null));
  });

  root.addEventListener("drop", (event) => {
    if (!dragged && onCreate && carriesMaterial(event)) {
      const column = columnAt(event.target);
      hide();
      const materialId = Number(event.dataTransfer.getData(MATERIAL_MIME));
      if (!column || column.collapsed || !materialId) return;
      event.preventDefault();
      onCreate(column.id, materialId, createArgs(dropTarget(column, event.clientY)));
      return;
    }
    if (!dragged) return;
    const column = columnAt(event.target);
    const { id, from } = dragged;
    hide();
    if (!column || column.collapsed) return;
    event.preventDefault();
    const args = moveArgs(column, dropTarget(column, event.clientY, id), id, from);
    if (args) onMove(id, args);
  });

  // On the document: a material's drag starts (and ends) outside the board.
  document.addEventListener("dragend", () => {
    dragged?.el.classList.remove("is-dragging");
    dragged = null;
    onDragging(null);
    hide();
  });
}

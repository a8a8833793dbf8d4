// Drag and drop of queued cards (native HTML5), within a column and between columns, and of
// materials from the materials panel into a column (a new card at the drop position).

import { h } from "./dom.js";

const MIME = "application/x-metronome-snippet";
/** What a material item of the materials panel puts on its drag (its id). */
export const MATERIAL_MIME = "application/x-metronome-material";

/**
 * Where a drop at `y` lands in `column`'s queue: before the first card whose middle is below
 * the pointer (so the upper half of a card means "before it"), else after the last card.
 */
export function dropTarget(column, y, dragged) {
  const cards = column.queueCards().filter((el) => el !== dragged);
  for (const card of cards) {
    const rect = card.getBoundingClientRect();
    if (y < rect.top + rect.height / 2) return { cards, before: card };
  }
  return { cards, before: null };
}

function idOf(el) {
  return Number(el.dataset.snippetId);
}

/** The snippet.move arguments for a target, or null when the card would stay where it is. */
export function moveArgs(column, { cards, before }, dragged) {
  const sameColumn = dragged.closest("[data-platform-id]") === column.el;
  if (sameColumn) {
    const order = column.queueCards();
    const next = order[order.indexOf(dragged) + 1] ?? null;
    if (next === before) return null;
  }
  if (before) return { platform_id: column.id, before_id: idOf(before) };
  const last = cards.at(-1);
  return { platform_id: column.id, after_id: last ? idOf(last) : null };
}

/**
 * Where a new card dropped at `target` goes, as snippet.create arguments: after the card
 * before the drop line (`after_id: null` at the top), or nothing at all for the end.
 */
export function createArgs({ cards, before }) {
  if (!before) return {};
  const index = cards.indexOf(before);
  return { after_id: index > 0 ? idOf(cards[index - 1]) : null };
}

function carriesMaterial(event) {
  return [...(event.dataTransfer?.types ?? [])].includes(MATERIAL_MIME);
}

/**
 * Wire drag and drop on the board `root`. `columnAt(el)` gives the ColumnView holding an
 * element (or null); `onMove(id, args)` sends the one snippet.move of a drop;
 * `onCreate(platformId, materialId, args)` the one snippet.create of a material's drop.
 */
export function enableDragAndDrop(root, { columnAt, onMove, onCreate = null }) {
  const indicator = h("div", { class: "drop-indicator", "aria-hidden": "true" });
  let dragged = null;

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
    const { cards, before } = target;
    let top = 0;
    if (before) {
      top = before.offsetTop - 4;
    } else if (cards.length) {
      const last = cards.at(-1);
      top = last.offsetTop + last.offsetHeight + 2;
    }
    indicator.style.transform = `translateY(${top}px)`;
  };

  root.addEventListener("dragstart", (event) => {
    const card = event.target.closest?.("[data-snippet-id][draggable='true']");
    if (!card || event.target !== card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData(MIME, card.dataset.snippetId);
    const text = card.querySelector(".card-body")?.textContent;
    if (text) event.dataTransfer.setData("text/plain", text);
    requestAnimationFrame(() => dragged?.classList.add("is-dragging"));
  });

  root.addEventListener("dragover", (event) => {
    const material = !dragged && onCreate && carriesMaterial(event);
    if (!dragged && !material) return;
    const column = columnAt(event.target);
    if (!column) {
      hide();
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = material ? "copy" : "move";
    show(column, dropTarget(column, event.clientY, dragged));
  });

  root.addEventListener("drop", (event) => {
    if (!dragged && onCreate && carriesMaterial(event)) {
      const column = columnAt(event.target);
      hide();
      const materialId = Number(event.dataTransfer.getData(MATERIAL_MIME));
      if (!column || !materialId) return;
      event.preventDefault();
      onCreate(column.id, materialId, createArgs(dropTarget(column, event.clientY, null)));
      return;
    }
    if (!dragged) return;
    const column = columnAt(event.target);
    const card = dragged;
    hide();
    if (!column) return;
    event.preventDefault();
    const args = moveArgs(column, dropTarget(column, event.clientY, card), card);
    if (args) onMove(idOf(card), args);
  });

  // On the document: a material's drag starts (and ends) outside the board.
  document.addEventListener("dragend", () => {
    dragged?.classList.remove("is-dragging");
    dragged = null;
    hide();
  });
}

// Drag and drop of queued cards (native HTML5), within a column and between columns.

import { h } from "./dom.js";

const MIME = "application/x-metronome-snippet";

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
 * Wire drag and drop on the board `root`. `columnAt(el)` gives the ColumnView holding an
 * element (or null); `onMove(id, args)` sends the one snippet.move of a drop.
 */
export function enableDragAndDrop(root, { columnAt, onMove }) {
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
    if (!dragged) return;
    const column = columnAt(event.target);
    if (!column) {
      hide();
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    show(column, dropTarget(column, event.clientY, dragged));
  });

  root.addEventListener("drop", (event) => {
    if (!dragged) return;
    const column = columnAt(event.target);
    const card = dragged;
    hide();
    if (!column) return;
    event.preventDefault();
    const args = moveArgs(column, dropTarget(column, event.clientY, card), card);
    if (args) onMove(idOf(card), args);
  });

  root.addEventListener("dragend", () => {
    dragged?.classList.remove("is-dragging");
    dragged = null;
    hide();
  });
}

// Keyboard on the board: move the focused card, walk between cards, edit and delete.

/**
 * With a card focused: Alt+Up/Down move it one place, Alt+Left/Right move it to the top of
 * the neighbouring column, Up/Down/Left/Right walk the focus (Home and End: the first and last
 * card), Enter edits, Delete deletes.
 * `columns()` lists the ColumnViews left to right.
 */
export function enableKeyboard(root, { columns, onMove, onEdit, onDelete }) {
  root.addEventListener("keydown", (event) => {
    const card = event.target;
    if (!(card instanceof HTMLElement) || !card.matches("[data-snippet-id]")) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey) return;
    const all = columns();
    const column = all.find((c) => c.el.contains(card));
    if (!column) return;
    const cards = column.queueCards();
    const index = cards.indexOf(card);
    const id = Number(card.dataset.snippetId);
    const ci = all.indexOf(column);
    const side = { ArrowLeft: all[ci - 1], ArrowRight: all[ci + 1] }[event.key];

    let handled = true;
    if (event.altKey) {
      if (event.key === "ArrowUp") {
        if (index > 0) onMove(id, { platform_id: column.id, before_id: Number(cards[index - 1].dataset.snippetId) });
      } else if (event.key === "ArrowDown") {
        if (index < cards.length - 1) onMove(id, { platform_id: column.id, after_id: Number(cards[index + 1].dataset.snippetId) });
      } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        if (side) onMove(id, { platform_id: side.id, after_id: null });
      } else {
        handled = false;
      }
    } else if (event.key === "ArrowUp") {
      cards[index - 1]?.focus();
    } else if (event.key === "ArrowDown") {
      cards[index + 1]?.focus();
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const there = side?.queueCards();
      there?.[Math.min(index, there.length - 1)]?.focus();
    } else if (event.key === "Home") {
      cards[0]?.focus();
    } else if (event.key === "End") {
      cards.at(-1)?.focus();
    } else if (event.key === "Enter") {
      onEdit(id);
    } else if (event.key === "Delete") {
      onDelete(id);
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });
}

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
    // Folded columns are stepped over: a card moved or walked into one would vanish.
    const all = columns().filter((c) => !c.collapsed || c.el.contains(card));
    const column = all.find((c) => c.el.contains(card));
    if (!column) return;
    // By id, not by element: a long queue draws only the cards near sight (virtual.js).
    const cards = column.queueIds();
    const id = Number(card.dataset.snippetId);
    const index = cards.indexOf(id);
    const ci = all.indexOf(column);
    const side = { ArrowLeft: all[ci - 1], ArrowRight: all[ci + 1] }[event.key];

    let handled = true;
    if (event.altKey) {
      if (event.key === "ArrowUp") {
        if (index > 0) onMove(id, { platform_id: column.id, before_id: cards[index - 1] });
      } else if (event.key === "ArrowDown") {
        if (index < cards.length - 1) onMove(id, { platform_id: column.id, after_id: cards[index + 1] });
      } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        if (side) onMove(id, { platform_id: side.id, after_id: null });
      } else {
        handled = false;
      }
    } else if (event.key === "ArrowUp") {
      if (index > 0) column.focusCard(cards[index - 1]);
    } else if (event.key === "ArrowDown") {
      if (index < cards.length - 1) column.focusCard(cards[index + 1]);
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const there = side?.queueIds() ?? [];
      if (there.length) side.focusCard(there[Math.min(index, there.length - 1)]);
    } else if (event.key === "Home") {
      if (cards.length) column.focusCard(cards[0]);
    } else if (event.key === "End") {
      if (cards.length) column.focusCard(cards.at(-1));
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

// Moving columns: drag a column's header left or right (or Alt+← / Alt+→ on its name); the
// new order goes to the server as one platform.reorder.

import { h } from "./dom.js";

const MIME = "application/x-metronome-column";

/** Where a column dropped at `x` goes: before the first column whose middle is right of it. */
export function columnTarget(columns, x, dragged) {
  const others = columns.filter((column) => column !== dragged);
  const index = others.findIndex((column) => {
    const rect = column.el.getBoundingClientRect();
    return x < rect.left + rect.width / 2;
  });
  return { others, index: index < 0 ? others.length : index };
}

/** The ids in their new order, or null when nothing moves. */
export function reorderedIds(columns, dragged, index) {
  const ids = columns.filter((column) => column !== dragged).map((column) => column.id);
  ids.splice(index, 0, dragged.id);
  return ids.every((id, i) => id === columns[i].id) ? null : ids;
}

export function enableColumnDrag(root, { columns, canMove, onReorder }) {
  const indicator = h("div", { class: "column-drop-indicator", "aria-hidden": "true" });
  let dragged = null;

  const hide = () => indicator.remove();

  root.addEventListener("dragstart", (event) => {
    const header = event.target.closest?.(".column-header[draggable='true']");
    if (!header || event.target !== header || !canMove()) return;
    dragged = columns().find((column) => column.header === header) ?? null;
    if (!dragged) return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData(MIME, String(dragged.id));
    requestAnimationFrame(() => dragged?.el.classList.add("is-dragging"));
  });

  root.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const { others, index } = columnTarget(columns(), event.clientX, dragged);
    const ref = others[index]?.el;
    const rootRect = root.getBoundingClientRect();
    const left = ref ? ref.getBoundingClientRect().left - 5 : (others.at(-1)?.el.getBoundingClientRect().right ?? 0) + 3;
    indicator.style.transform = `translateX(${left - rootRect.left + root.scrollLeft}px)`;
    if (!indicator.isConnected) root.append(indicator);
  });

  root.addEventListener("drop", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const all = columns();
    const { index } = columnTarget(all, event.clientX, dragged);
    const ids = reorderedIds(all, dragged, index);
    hide();
    if (ids) onReorder(ids);
  });

  document.addEventListener("dragend", () => {
    dragged?.el.classList.remove("is-dragging");
    dragged = null;
    hide();
  });

  root.addEventListener("keydown", (event) => {
    if (!event.altKey || !["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const name = event.target.closest?.(".column-name[tabindex]");
    if (!name || !canMove()) return;
    const all = columns();
    const column = all.find((c) => c.name === name);
    if (!column) return;
    event.preventDefault();
    const from = all.indexOf(column);
    const to = from + (event.key === "ArrowLeft" ? -1 : 1);
    if (to < 0 || to >= all.length) return;
    const ids = reorderedIds(all, column, to);
    if (ids) onReorder(ids);
  });
}

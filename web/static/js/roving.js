// One tab stop per queue (a roving tabindex): Tab reaches a column's current card and its
// "⋯" menu button, then leaves the queue; the arrows walk the cards (keyboard.js) and the
// card they reach becomes the queue's stop. The card's other buttons are in its menu and
// its keys, so a column of fifty cards is two Tab stops, not two hundred and fifty.

const CARD = "[data-snippet-id]";

function setStop(card, on) {
  const value = on ? "0" : "-1";
  if (card.getAttribute("tabindex") !== value) card.setAttribute("tabindex", value);
  const menu = card.querySelector(":scope .card-menu-btn");
  if (menu && menu.getAttribute("tabindex") !== value) menu.setAttribute("tabindex", value);
}

/** Make `card` its queue's tab stop (and no other card of that queue). */
export function makeStop(queue, card) {
  for (const other of queue.querySelectorAll(`:scope > ${CARD}[tabindex="0"]`)) {
    if (other !== card) setStop(other, false);
  }
  setStop(card, true);
  queue.dataset.stop = card.dataset.snippetId;
}

/**
 * Keep one stop per queue under `root`: call refresh() after each render. The stop stays on
 * the card last focused in that queue while it is there, else the queue's first card.
 */
export function enableRoving(root) {
  root.addEventListener("focusin", (event) => {
    const card = event.target.closest?.(CARD);
    const queue = card?.parentElement;
    if (card && queue?.classList.contains("queue")) makeStop(queue, card);
  });
  return {
    refresh() {
      for (const queue of root.querySelectorAll(".queue")) {
        const wanted = (queue.dataset.stop && queue.querySelector(`:scope > [data-snippet-id="${queue.dataset.stop}"]`))
          || queue.querySelector(`:scope > ${CARD}`);
        if (wanted) makeStop(queue, wanted);
      }
    },
  };
}

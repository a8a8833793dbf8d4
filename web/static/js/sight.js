// What of the board is near sight: which columns are built and which cards drawn, laid out
// again once a frame after a scroll or a resize, from one batch of layout reads; card heights
// from a ResizeObserver; folded histories drawn in idle time.

// Columns within this share of the board's visible width, left and right of it, have their
// cards drawn; the others show their header and spacers until they scroll near. The first
// frame draws only the columns in sight; the neighbours follow a moment later.
const NEAR = 0.35;
const WIDEN_MS = 250;
const BUILDS_PER_FRAME = 2;
// A folded history is drawn in idle time, or after this long at the latest.
const HISTORY_WAIT_MS = 500;
// Before a column has been laid out: its width and gap (board.css), and its header's height.
const COLUMN_GUESS = 208;
const HEADER_GUESS = 130;

export class Sight {
  constructor(board) {
    this.board = board;
    this.pending = new Set(); // columns to lay out again at the next frame (null: all)
    this.frame = 0;
    this.margin = 0; // NEAR once the first frame is out
    this.box = null; // the board's scroll box, as the last frame read it
    this.idle = new Set(); // columns whose folded history waits for an idle moment
    this.idleHandle = 0;
    // Card heights without forcing a layout: the browser reports them after it lays out.
    this.sizes = new ResizeObserver((entries) => this.resized(entries));
  }

  /** Draw a column's folded history when the page is idle (a few columns at a time). */
  later(column) {
    this.idle.add(column);
    if (this.idleHandle) return;
    const idle = window.requestIdleCallback ?? ((fn) => setTimeout(() => fn({ timeRemaining: () => 8 }), 50));
    const run = (deadline) => {
      this.idleHandle = 0;
      for (const next of this.idle) {
        if (deadline.timeRemaining() <= 1) break;
        this.idle.delete(next);
        if (this.board.columns.get(next.id) === next) next.renderHistory();
      }
      this.board.sweep();
      if (this.idle.size) this.idleHandle = idle(run, { timeout: HISTORY_WAIT_MS });
    };
    this.idleHandle = idle(run, { timeout: HISTORY_WAIT_MS });
  }

  /** Lay a column (null: all of them) out again at the next frame. */
  relayout(column) {
    if (column === null) this.pending.add(null);
    else if (column) this.pending.add(column);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const all = this.pending.has(null);
      const which = all ? [...this.board.columns.values()] : [...this.pending];
      this.pending.clear();
      this.layoutColumns(which);
      if (this.margin === 0 && this.board.columns.size) {
        setTimeout(() => {
          this.margin = NEAR;
          this.relayout(null);
        }, WIDEN_MS);
        this.margin = -1; // widening is on its way
      }
    });
  }

  layoutColumns(which) {
    const where = this.geometry(which);
    this.board.pinned.clear();
    for (const id of this.board.pinnedIds()) this.board.pinned.add(id);
    let built = 0;
    for (const column of which) {
      if (this.board.columns.get(column.id) !== column) continue;
      const view = where(column, 0);
      // A few new columns a frame: scrolling far sideways never stalls the page.
      if (!column.built && view.near && (built += 1) > BUILDS_PER_FRAME) {
        this.relayout(column);
        continue;
      }
      column.layout(view);
      column.placed = true;
    }
    this.board.sweep();
  }

  /** Cards measured by the browser: a height that changed moves the spacers of its column. */
  resized(entries) {
    for (const entry of entries) {
      const el = entry.target;
      const id = Number(el.dataset.snippetId);
      if (!id) continue;
      const column = this.board.columnAt(el);
      const px = entry.borderBoxSize?.[0]?.blockSize ?? el.offsetHeight;
      if (column?.window && px > 0 && column.window.measured(id, px)) this.relayout(column);
    }
  }

  /**
   * Where each column is, read in one go before anything is written (one layout at most):
   * a function (column, index) → {near, top, height} for ColumnView.layout.
   */
  geometry(which = this.board.columns.values()) {
    const left = this.board.root.scrollLeft;
    const width = this.board.root.clientWidth || window.innerWidth;
    const height = (this.board.root.clientHeight || window.innerHeight) - HEADER_GUESS;
    this.box = { left, width, height };
    const margin = width * Math.max(0, this.margin);
    const isNear = (x, w) => x + w > left - margin && x < left + width + margin;
    const measured = new Map();
    for (const column of which) {
      if (!column.el.isConnected) continue;
      // Only a column near sight is measured inside: the others' contents are skipped
      // (content-visibility), and reading them would lay them out.
      const x = column.el.offsetLeft;
      const w = column.el.offsetWidth;
      measured.set(column, isNear(x, w) ? column.measure() : { left: x, width: w, scrollTop: 0, height: 0, queueTop: 0 });
    }
    return (column, index) => {
      const m = measured.get(column)
        ?? { left: 8 + index * COLUMN_GUESS, width: COLUMN_GUESS, scrollTop: 0, height, queueTop: 0 };
      return { near: isNear(m.left, m.width), top: m.scrollTop - m.queueTop, height: m.height || height };
    };
  }

  /**
   * Where columns are for a render, without reading the layout (a patch must not force one):
   * each column as the last frame laid it out; a new one guessed from its place.
   */
  placement() {
    this.box ??= { left: 0, width: this.board.root.clientWidth || window.innerWidth,
      height: (this.board.root.clientHeight || window.innerHeight) - HEADER_GUESS };
    const { left, width, height } = this.box;
    return (column, index) => {
      if (column.placed) return column.view;
      const x = 8 + index * COLUMN_GUESS;
      // The first frame draws only what is in sight; the cards around follow after it.
      return { near: x + COLUMN_GUESS > left && x < left + width, top: 0, height, overscan: 0 };
    };
  }
}

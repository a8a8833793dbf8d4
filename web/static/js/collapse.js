// Which columns this browser shows folded to a strip: a set of column ids in localStorage,
// so a desk that watches ten columns out of forty keeps its board across reloads.

const KEY = "metronome.collapsedColumns";

export class Collapsed {
  constructor(storage = globalThis.localStorage ?? null) {
    this.storage = storage;
    this.ids = new Set(this.read());
  }

  read() {
    try {
      const ids = JSON.parse(this.storage?.getItem(KEY) ?? "[]");
      return Array.isArray(ids) ? ids.filter(Number.isInteger) : [];
    } catch {
      return []; // unreadable (a private window, a hand-edited value): nothing is folded
    }
  }

  has(id) {
    return this.ids.has(id);
  }

  /** Fold or unfold a column (flip it without `collapsed`); returns whether it is folded. */
  set(id, collapsed = !this.ids.has(id)) {
    if (collapsed) this.ids.add(id);
    else this.ids.delete(id);
    try {
      this.storage?.setItem(KEY, JSON.stringify([...this.ids]));
    } catch {
      // A full or refused storage: the fold lasts until the page reloads.
    }
    return collapsed;
  }

  /** Forget columns that no longer exist. */
  keepOnly(ids) {
    const live = new Set(ids);
    if ([...this.ids].every((id) => live.has(id))) return;
    for (const id of [...this.ids]) if (!live.has(id)) this.ids.delete(id);
    this.set(-1, false);
  }
}

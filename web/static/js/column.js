// One column (a platform): its header and controls, the queue, and the folded history.

import { h, icon, iconButton, reconcile, setAttr, setText } from "./dom.js";
import { cardForm } from "./editor.js";
import { PRESET_MINUTES } from "./dialogs.js";
import { M } from "./messages.js";
import { isInbox, network, networkIcon } from "./networks.js";
import { clock, columnZone, fullTime, interval } from "./time.js";
import { failureNote, setRelative } from "./card.js";
import { toast } from "./toasts.js";
import { openRhythmDialog } from "./rhythmdialog.js";
import { describeRhythm, intervalNow, rhythmTitle } from "./rhythmwords.js";
import { showClicks } from "./clicks.js";
import { labelQueue } from "./cardplace.js";
import { isWaiting } from "./approval.js";
import { ALL_UP_TO, GAP, QueueWindow } from "./virtual.js";

const PRESETS = PRESET_MINUTES.map((minutes) => minutes * 60);
const CUSTOM = "custom";
// A failed card counts in the column's header this long after it failed.
const RECENT_FAILURE_MS = 6 * 3600_000;

/** Failed cards of the last hours and cards waiting for a decision: {failed, check}. */
export function troubles(lane, now = Date.now()) {
  const failed = lane.history.filter((snippet) => snippet.status === "failed"
    && now - (Date.parse(snippet.finished_at ?? snippet.updated_at ?? "") || now) < RECENT_FAILURE_MS).length;
  return { failed, check: lane.attention.length };
}

// The words of a held column and of expired cards (CONTRACT §7).
const TEXT = M.columnHold;
const BIG = M.bigBoard;
const keepIndicator = (el) => el.classList.contains("drop-indicator");

/** The next send is the earliest eta among the column's queued post cards. */
function nextEta(queue) {
  let best = null;
  for (const snippet of queue) {
    if (snippet.kind !== "post" || !snippet.eta) continue;
    if (best === null || Date.parse(snippet.eta) < Date.parse(best)) best = snippet.eta;
  }
  return best;
}

/** A column's status badge: [words, tone] ("" when it runs as it should). */
export function badgeFor(platform) {
  const status = platform.status ?? "ok";
  if (status === "auth_rejected") return [M.badgeRejected, "danger"];
  if (status === "stopped") return [M.badgeStopped, "danger"];
  if (platform.paused || status === "paused") return [M.badgePaused, "warn"];
  if (platform.holds) return [TEXT.held, "warn"];
  if (isInbox(platform)) return [M.badgeInbox, "muted"];
  return ["", ""];
}

export class ColumnView {
  constructor(platform, ctx) {
    this.id = platform.id;
    this.ctx = ctx;
    this.platform = platform;
    this.composer = null;
    this.signature = "";
    this.lane = { queue: [], sending: [], attention: [], history: [] };
    this.view = { near: false, top: 0, height: 0 };
    this.collapsed = false;
    this.window = null;
    this.gap = GAP;
    // Until it first comes near sight, a column is a light stand-in of its width with its
    // name: forty headers with their selects and buttons cost more than the cards in sight.
    this.built = false;
    this.stubName = h("h2", { class: "column-name" });
    this.el = h("section", { class: "column is-placeholder", "data-platform-id": String(platform.id) },
      h("header", { class: "column-stub" }, this.stubName));
  }

  /** The column's header, controls and lanes, made when it first comes near sight. */
  build() {
    if (this.built) return;
    this.built = true;
    const { ctx, platform } = this;
    this.icon = h("span", { class: "column-icon" });
    this.name = h("h2", { class: "column-name" });
    this.badge = h("span", { class: "badge" });
    this.alert = h("button", { type: "button", class: "alert-badge", hidden: true, title: M.failuresTitle,
      onclick: () => this.showTroubles() });
    // Shown over the name's end while the header is hovered or focused: the name keeps its width.
    this.edit = iconButton("settings", M.editColumn(platform.name), () => ctx.onEditColumn?.(this.platform),
      "icon-btn column-edit");
    this.next = h("span", { class: "column-next-label" });
    this.nextClock = h("time", { class: "column-next-clock" });
    this.nextRel = h("span", { class: "column-next-rel rel" });
    this.message = h("div", { class: "column-message", hidden: true });
    this.messageKey = "";
    this.interval = h("select", {
      class: "input interval-select", "aria-label": M.intervalSelect, title: M.intervalSelectTitle,
    });
    this.interval.addEventListener("change", () => this.intervalChosen());
    // The rhythm in words; editors open its dialog from it (or from the clock button).
    this.rhythmWords = h("button", { type: "button", class: "column-rhythm", hidden: true,
      onclick: () => this.openRhythm() });
    this.rhythmButton = iconButton("clock", M.rhythm.open, () => this.openRhythm());
    this.pause = iconButton("pause", M.pauseColumn, () => this.togglePause());
    this.add = iconButton("plus", M.newCard, () => this.openComposer());
    this.clear = iconButton("clear", M.clearQueue, () => ctx.actions.clearColumn(this.id));
    this.stats = iconButton("chart", M.clicks.button, () => showClicks(this.platform));
    // Folds the column to a narrow strip (name, status, count); remembered per browser.
    this.fold = h("button", { type: "button", class: "icon-btn column-fold", "aria-expanded": "true",
      onclick: () => ctx.toggleCollapsed(this.id) }, h("span", { class: "chevron", "aria-hidden": "true" }));
    this.count = h("span", { class: "column-count" });
    this.header = h("header", { class: "column-header" },
      h("div", { class: "column-title" }, this.fold, this.icon, this.name, this.alert, this.edit),
      h("div", { class: "column-next" }, this.badge, this.count, this.next, this.nextClock, this.nextRel),
      this.rhythmWords,
      this.message,
      h("div", { class: "column-tools" }, this.interval, this.rhythmButton, this.pause, this.stats, this.clear, this.add));

    // Unsaved text of an edit whose card left the queue (board.js keep), offered back here.
    this.keptSlot = h("div", { class: "kept-slot" });
    this.composerSlot = h("div", { class: "composer-slot" });
    this.attention = h("div", { class: "lane lane-attention" });
    this.sending = h("div", { class: "lane lane-sending" });
    this.queue = h("div", { class: "queue", role: "list", "aria-label": M.queue });
    this.window = new QueueWindow(this.queue);
    this.historyCount = h("span", { class: "history-count" });
    this.historyList = h("div", { class: "lane lane-history" });
    // The history's cards are drawn only while it is open (a board keeps 20 per column).
    this.history = h("details", { class: "history", ontoggle: () => this.history.open && this.renderHistory() },
      h("summary", { title: M.historyTitle }, M.history, this.historyCount), this.historyList);
    this.body = h("div", { class: "column-body" },
      this.keptSlot, this.composerSlot, this.attention, this.sending, this.queue, this.history);
    this.el.classList.remove("is-placeholder");
    this.el.replaceChildren(this.header, this.body);
  }

  /** Build the column if it is not yet, and bring it up to date. */
  ensureBuilt() {
    if (this.built) return;
    this.build();
    this.update(this.platform, this.lane, { ...this.view, near: true });
  }

  /**
   * lane = {queue, sending, attention, history}: arrays of snippets; `view` = {near, top,
   * height}: where the column is (board.js geometry), so only the cards near sight are drawn.
   */
  update(platform, lane, view) {
    this.platform = platform;
    this.lane = lane;
    this.view = view;
    const collapsed = this.ctx.isCollapsed(this.id);
    // A card that must stay drawn (focused, moved here by the keyboard) builds the column too.
    const pinned = lane.queue.some((snippet) => this.ctx.pinned.has(snippet.id));
    if (!this.built && !view.near && !collapsed && !pinned) {
      setText(this.stubName, platform.name);
      setAttr(this.el, "aria-label", platform.name);
      return;
    }
    this.build();
    this.renderHeader(platform, lane.queue);
    this.setCollapsed(this.ctx.isCollapsed(this.id));
    const drawn = (list) => (this.collapsed ? [] : list.map((snippet) => this.ctx.viewFor(snippet, platform).el));
    reconcile(this.sending, drawn(lane.sending));
    reconcile(this.attention, drawn(lane.attention));
    this.window.prune(lane.queue);
    this.layout(view, true);
    // An open history is drawn at once; a folded one when the page is idle (board.js).
    if (this.history.open) this.renderHistory();
    else this.ctx.later(this);
    this.sending.hidden = lane.sending.length === 0;
    this.attention.hidden = lane.attention.length === 0;
    this.history.hidden = lane.history.length === 0;
    const count = (status) => lane.history.filter((snippet) => snippet.status === status).length;
    const failed = count("failed");
    const expired = count("expired");
    setText(this.historyCount, [` · ${lane.history.length}`, failed && TEXT.failed(failed),
      expired && TEXT.expired(expired)].filter(Boolean).join(" · "));
    this.historyCount.classList.toggle("has-failed", failed > 0);
    this.renderTroubles(troubles(lane));
    this.composer?.form.setLimit(platform.text_limit ?? null);
  }

  /** The header's badge for failed (recent) and unconfirmed cards: it cannot be missed. */
  renderTroubles({ failed, check }) {
    const parts = [];
    if (failed) parts.push(M.failedBadge(failed));
    if (check) parts.push(M.checkBadge(check));
    setText(this.alert, parts.join(" · "));
    this.alert.hidden = parts.length === 0;
    this.alert.classList.toggle("is-check", !failed && check > 0);
    this.el.classList.toggle("has-troubles", parts.length > 0);
  }

  /** The queue's cards near sight (and the pinned ones: focused, edited, dragged), spacers between. */
  layout(view = this.view, force = false) {
    this.view = view;
    if (!this.built) {
      if (view.near) this.update(this.platform, this.lane, view);
      return;
    }
    const items = this.collapsed ? [] : this.lane.queue;
    this.queue.classList.toggle("is-empty", this.lane.queue.length === 0);
    const waitingOnly = this.ctx.onlyWaiting();
    const pinned = [];
    items.forEach((snippet, index) => {
      if (this.ctx.pinned.has(snippet.id) || (waitingOnly && isWaiting(snippet))) pinned.push(index);
    });
    const drawn = this.window.pick(items, view, pinned, items.length <= ALL_UP_TO && !waitingOnly);
    // A scroll that keeps the same cards and heights changes nothing (most frames of a scroll).
    const key = `${drawn.join(",")}|${this.window.version}`;
    if (items === this.drawnItems && key === this.drawnKey && !force) return;
    this.drawnItems = items;
    this.drawnKey = key;
    const elFor = (snippet) => this.ctx.viewFor(snippet, this.platform).el;
    this.window.draw(items, drawn, elFor, keepIndicator);
    labelQueue(this.platform, items, drawn, elFor);
  }

  /** Where the column sits, read in one go for the board (scroll box, queue, left edge). */
  measure() {
    if (!this.built) return { left: this.el.offsetLeft, width: this.el.offsetWidth, scrollTop: 0, height: 0, queueTop: 0 };
    return {
      left: this.el.offsetLeft, width: this.el.offsetWidth,
      scrollTop: this.body.scrollTop, height: this.body.clientHeight, queueTop: this.queue.offsetTop,
    };
  }

  /** The queue in order with each card's height (drawn or guessed): where drops land (dnd.js). */
  queueLayout() {
    const items = this.collapsed || !this.built ? [] : this.lane.queue;
    return { items, heights: items.map((snippet) => this.window.guess(snippet)) };
  }

  /** The ids of the whole queue, in order, drawn or not. */
  queueIds() {
    return this.lane.queue.map((snippet) => snippet.id);
  }

  /** A queued card's element, drawing it first (and scrolling to it) when it is not drawn. */
  reveal(id) {
    const index = this.lane.queue.findIndex((snippet) => snippet.id === id);
    if (index < 0) return null;
    this.ensureBuilt();
    if (this.collapsed) this.ctx.toggleCollapsed(this.id, false);
    let el = this.queue.querySelector(`:scope > [data-snippet-id="${id}"]`);
    if (!el) {
      const { height, queueTop } = this.measure();
      const offset = this.window.offset(this.lane.queue, index);
      this.body.scrollTop = Math.max(0, queueTop + offset - height / 3);
      this.layout({ near: true, top: this.body.scrollTop - queueTop, height });
      el = this.queue.querySelector(`:scope > [data-snippet-id="${id}"]`);
    }
    el?.scrollIntoView({ block: "nearest", inline: "nearest" });
    return el;
  }

  /** Focus a queued card, drawn or not. */
  focusCard(id) {
    const el = this.reveal(id);
    el?.focus({ preventScroll: true });
    return el;
  }

  /**
   * The history's cards (a board keeps 20 a column): drawn right after the queue's, in idle
   * time unless the history is open, so they never delay the cards in sight.
   */
  renderHistory() {
    if (!this.built) return;
    const items = this.collapsed ? [] : this.lane.history;
    reconcile(this.historyList, items.map((s) => this.ctx.viewFor(s, this.platform).el));
  }

  /** Folded to a strip, or open. */
  setCollapsed(collapsed) {
    if (collapsed === this.collapsed) return;
    this.collapsed = collapsed;
    this.el.classList.toggle("is-collapsed", collapsed);
    this.body.hidden = collapsed;
    this.updateFold();
  }

  updateFold() {
    const name = this.platform.name;
    const label = this.collapsed ? BIG.expandColumn(name) : BIG.collapseColumn(name);
    setAttr(this.fold, "aria-label", label);
    setAttr(this.fold, "title", label);
    setAttr(this.fold, "aria-expanded", this.collapsed ? "false" : "true");
  }

  /** Open the history and bring the first card in trouble into view. */
  showTroubles() {
    this.ensureBuilt();
    if (this.collapsed) this.ctx.toggleCollapsed(this.id, false);
    if (!this.attention.querySelector("[data-history-id]")) {
      this.history.open = true;
      this.renderHistory();
    }
    const card = this.attention.querySelector("[data-history-id]")
      ?? this.historyList.querySelector("[data-status='failed']");
    if (card?.closest(".history")) this.history.open = true;
    card?.scrollIntoView({ block: "nearest" });
    card?.focus({ preventScroll: true });
  }

  /** Show unsaved text whose card left the queue; the form adds it back as a new card. */
  keep(values, { reason, onDone }) {
    this.ensureBuilt();
    const copy = h("button", { type: "button", class: "btn btn-small btn-quiet" }, icon("copy"), M.keptCopy);
    let el = null;
    const done = () => {
      el.remove();
      onDone();
    };
    const form = cardForm({
      limit: this.platform.text_limit ?? null, body: values.body, url: values.url, submitLabel: M.keptAsNew,
      label: M.keptTitle, tools: [copy], onCancel: done, cancelLabel: M.keptDiscard,
      onSubmit: async (typed) => {
        if (await this.ctx.actions.createCard(this.id, typed, false)) {
          toast(M.keptAdded);
          done();
        }
      },
    });
    copy.addEventListener("click", () => navigator.clipboard?.writeText(form.values().body)
      .then(() => toast(M.keptCopied), () => {}));
    el = h("section", { class: "kept", role: "region", "aria-label": M.keptTitle },
      h("p", { class: "kept-title" }, icon("warning"), M.keptTitle), h("p", { class: "kept-reason" }, reason), form.el);
    this.keptSlot.append(el);
    this.body.scrollTop = 0;
    return { el, values: () => form.values(), remove: () => el.remove() };
  }

  renderHeader(platform, queue) {
    const editable = this.ctx.canEdit();
    const writable = this.ctx.canWrite();
    const inbox = isInbox(platform);
    const stopped = ["auth_rejected", "stopped"].includes(platform.status);
    const held = !!platform.holds;
    const next = inbox || platform.paused || stopped ? null : nextEta(queue);
    const nowInterval = intervalNow(platform);
    const signature = JSON.stringify([platform, editable, writable, next, queue.length, nowInterval]);
    if (signature === this.signature) return;
    this.signature = signature;

    const info = network(platform.kind);
    if (this.icon.dataset.kind !== platform.kind) {
      this.icon.dataset.kind = platform.kind;
      this.icon.replaceChildren(networkIcon(platform.kind));
    }
    setText(this.name, platform.name);
    setText(this.count, BIG.queued(queue.length));
    setAttr(this.count, "title", BIG.queuedTitle(queue.length));
    this.updateFold();
    setAttr(this.name, "title", `${platform.name} (${info.label})`);
    setAttr(this.el, "aria-label", `${platform.name} (${info.label})`);
    const admin = this.ctx.isAdmin?.() ?? false;
    this.edit.hidden = !admin;
    setAttr(this.edit, "aria-label", M.editColumn(platform.name));
    setAttr(this.edit, "title", M.editColumn(platform.name));
    // The header is what one drags to move the column (columndrag.js); the name takes the keys.
    setAttr(this.header, "draggable", editable ? "true" : null);
    setAttr(this.name, "tabindex", editable ? "0" : null);
    setAttr(this.name, "aria-label", editable ? M.dragColumn(platform.name) : null);

    const status = platform.status ?? "ok";
    const [badge, tone] = badgeFor(platform);
    setText(this.badge, badge);
    let badgeTitle = status === "auth_rejected" ? M.credentialsRejected : null;
    if (held) badgeTitle = TEXT.heldTitle(platform.holds);
    setAttr(this.badge, "title", badgeTitle);
    this.badge.hidden = !badge;
    this.badge.className = `badge badge-${tone}`;
    this.el.dataset.status = status;
    this.el.classList.toggle("is-paused", !!platform.paused);
    this.el.classList.toggle("is-held", held);
    this.renderMessage(platform, status);

    if (inbox || stopped || platform.paused || (held && !next)) setText(this.next, M.nothingGoesOut);
    else if (next) setText(this.next, M.next);
    else setText(this.next, queue.length ? M.nothingScheduled : M.queueEmpty);
    const zone = columnZone(platform);
    setText(this.nextClock, next ? clock(next, Date.now(), zone) : "");
    setAttr(this.nextClock, "datetime", next);
    setAttr(this.nextClock, "title", next ? fullTime(next, zone) : null);
    setRelative(this.nextRel, next);

    const words = inbox ? "" : describeRhythm(platform.settings);
    setText(this.rhythmWords, words);
    setAttr(this.rhythmWords, "title", words ? rhythmTitle(platform.settings) : null);
    this.rhythmWords.hidden = !words;
    this.rhythmWords.disabled = !editable;
    this.rhythmButton.hidden = inbox || !editable;
    this.renderInterval(nowInterval);
    const until = platform.interval_until && Date.parse(platform.interval_until) > Date.now()
      && platform.settings?.rhythm?.length ? platform.interval_until : null;
    setAttr(this.interval, "title", until ? M.rhythm.overrideTitle(clock(until)) : M.intervalSelectTitle);
    this.interval.hidden = inbox;
    this.pause.hidden = inbox;
    this.interval.disabled = !editable;
    this.pause.disabled = !editable;
    this.pause.replaceChildren(icon(platform.paused ? "play" : "pause"));
    const pauseLabel = platform.paused ? M.resumeColumn : M.pauseColumn;
    setAttr(this.pause, "aria-label", pauseLabel);
    setAttr(this.pause, "title", pauseLabel);
    setAttr(this.pause, "aria-pressed", platform.paused ? "true" : "false");
    // A column whose links are tracked (setting `track`) has clicks to show, to everyone.
    this.stats.hidden = platform.settings?.track !== true;
    this.add.hidden = !writable; // authors add cards too: theirs wait for approval
    this.clear.hidden = !editable;
    this.clear.disabled = queue.length === 0;
  }

  /** The column's status message: plain words when the credentials were refused. */
  renderMessage(platform, status) {
    const raw = platform.status_message ?? "";
    const watchError = platform.watch_error ?? "";
    const key = `${status}:${raw}:${watchError}`;
    if (key === this.messageKey) return;
    this.messageKey = key;
    this.message.hidden = (!raw || status === "ok") && !watchError;
    if ((!raw || status === "ok") && watchError) {
      // The column still publishes; only its watcher cannot look at the account (CONTRACT §9).
      this.message.replaceChildren(M.watch.failing(watchError));
    } else if (status === "auth_rejected") {
      this.message.replaceChildren(failureNote(platform.kind, "auth_rejected", raw.replace(/^credentials rejected: /, "")));
    } else {
      this.message.replaceChildren(raw);
    }
  }

  renderInterval(seconds) {
    const values = [...PRESETS];
    if (seconds && !values.includes(seconds)) values.push(seconds);
    values.sort((a, b) => a - b);
    const wanted = [...values.map(String), CUSTOM].join(",");
    if (this.interval.dataset.options !== wanted) {
      this.interval.dataset.options = wanted;
      this.interval.replaceChildren(
        ...values.map((value) => h("option", { value: String(value) }, interval(value))),
        h("option", { value: CUSTOM }, M.customInterval));
    }
    this.interval.value = seconds ? String(seconds) : String(PRESETS[3]);
  }

  /** Every half minute: a rule of the rhythm may have begun. */
  tick() {
    if (this.built && this.platform && intervalNow(this.platform) !== Number(this.interval.value)) {
      this.signature = "";
      this.renderHeader(this.platform, this.lane.queue);
    }
  }

  openRhythm() {
    if (!this.ctx.canEdit()) return;
    openRhythmDialog({ platform: this.platform, store: this.ctx.store, actions: this.ctx.actions });
  }

  async intervalChosen() {
    const choice = this.interval.value;
    const current = intervalNow(this.platform);
    let seconds = Number(choice);
    if (choice === CUSTOM) {
      this.renderInterval(current);
      seconds = await this.ctx.actions.askInterval(this.platform);
      this.interval.focus();
      if (seconds) this.renderInterval(seconds);
    }
    if (seconds && seconds !== current && await this.ctx.actions.setInterval(this.id, seconds)) {
      return; // the server's patch redraws the header
    }
    this.renderInterval(intervalNow(this.platform));
  }

  togglePause() {
    const a = this.ctx.actions;
    return this.platform.paused ? a.resume(this.id) : a.pause(this.id);
  }

  openComposer() {
    if (this.composer) {
      this.composer.form.focus();
      return;
    }
    const close = () => {
      this.composer.el.remove();
      this.composer = null;
      this.add.focus();
    };
    const form = cardForm({
      limit: this.platform.text_limit ?? null,
      expiresAt: null,
      submitLabel: M.add,
      extraSubmit: { label: M.onTop, title: M.onTopTitle },
      label: M.newCardFor(this.platform.name),
      onCancel: close,
      onSubmit: async (values, which) => {
        const ok = await this.ctx.actions.createCard(this.id, values, which === "extra");
        if (ok) {
          form.setValues({ body: "", url: "", expires_at: null });
          form.focus();
        }
      },
    });
    const el = h("div", { class: "composer" }, form.el);
    this.composer = { el, form };
    this.composerSlot.append(el);
    this.body.scrollTop = 0;
    form.focus();
  }

  /** The queue's drawn card elements (without spacers and the drop indicator), in order. */
  queueCards() {
    return [...this.queue.querySelectorAll(":scope > [data-snippet-id]")];
  }
}

// One column (a platform): its header and controls, the queue, and the folded history.

import { h, icon, iconButton, reconcile, setAttr, setText } from "./dom.js";
import { cardForm } from "./editor.js";
import { PRESET_MINUTES } from "./dialogs.js";
import { isInbox, network, networkIcon } from "./networks.js";
import { clock, fullTime, interval } from "./time.js";
import { setRelative } from "./card.js";
import { showClicks, TEXT as CLICKS } from "./clicks.js";

const PRESETS = PRESET_MINUTES.map((minutes) => minutes * 60);
const CUSTOM = "custom";

// The words of a held column and of expired cards (CONTRACT §7).
const TEXT = {
  held: "Held",
  heldNext: "Held: nothing goes out",
  heldTitle: (holds) => holds.map((hold) => `On hold: ${hold.reason}`).join("\n"),
  failed: (n) => `${n} failed`,
  expired: (n) => `${n} expired`,
};

/** The next send is the earliest eta among the column's queued post cards. */
function nextEta(queue) {
  let best = null;
  for (const snippet of queue) {
    if (snippet.kind !== "post" || !snippet.eta) continue;
    if (best === null || Date.parse(snippet.eta) < Date.parse(best)) best = snippet.eta;
  }
  return best;
}

export class ColumnView {
  constructor(platform, ctx) {
    this.id = platform.id;
    this.ctx = ctx;
    this.platform = platform;
    this.composer = null;
    this.signature = "";

    this.icon = h("span", { class: "column-icon" });
    this.name = h("h2", { class: "column-name" });
    this.badge = h("span", { class: "badge" });
    this.next = h("span", { class: "column-next-label" });
    this.nextClock = h("time", { class: "column-next-clock" });
    this.nextRel = h("span", { class: "column-next-rel rel" });
    this.message = h("p", { class: "column-message", hidden: true });
    this.interval = h("select", {
      class: "input interval-select", "aria-label": "Publishing interval", title: "One post every…",
    });
    this.interval.addEventListener("change", () => this.intervalChosen());
    this.pause = iconButton("pause", "Pause publishing", () => this.togglePause());
    this.add = iconButton("plus", "New card", () => this.openComposer());
    this.clear = iconButton("clear", "Clear the queue", () => ctx.actions.clearColumn(this.id));
    this.stats = iconButton("chart", CLICKS.button, () => showClicks(this.platform));
    this.header = h("header", { class: "column-header" },
      h("div", { class: "column-title" }, this.icon, this.name, this.badge),
      h("div", { class: "column-next" }, this.next, this.nextClock, this.nextRel),
      this.message,
      h("div", { class: "column-tools" }, this.interval, this.pause, this.stats, this.clear, this.add));

    this.composerSlot = h("div", { class: "composer-slot" });
    this.attention = h("div", { class: "lane lane-attention" });
    this.sending = h("div", { class: "lane lane-sending" });
    this.queue = h("div", { class: "queue", role: "list", "aria-label": "Queue" });
    this.historyCount = h("span", { class: "history-count" });
    this.historyList = h("div", { class: "lane lane-history" });
    this.history = h("details", { class: "history" },
      h("summary", { title: "Sent and failed cards" }, "History", this.historyCount), this.historyList);
    this.body = h("div", { class: "column-body" },
      this.composerSlot, this.attention, this.sending, this.queue, this.history);
    this.el = h("section", { class: "column", "data-platform-id": String(platform.id) },
      this.header, this.body);
  }

  /** lane = {queue, sending, attention, history}: arrays of {snippet, view}. */
  update(platform, lane) {
    this.platform = platform;
    this.renderHeader(platform, lane.queue.map((item) => item.snippet));
    const keepIndicator = (el) => el.classList.contains("drop-indicator");
    reconcile(this.queue, lane.queue.map((item) => item.view.el), { keep: keepIndicator });
    reconcile(this.sending, lane.sending.map((item) => item.view.el));
    reconcile(this.attention, lane.attention.map((item) => item.view.el));
    reconcile(this.historyList, lane.history.map((item) => item.view.el));
    this.sending.hidden = lane.sending.length === 0;
    this.attention.hidden = lane.attention.length === 0;
    this.history.hidden = lane.history.length === 0;
    const count = (status) => lane.history.filter((item) => item.snippet.status === status).length;
    const failed = count("failed");
    const expired = count("expired");
    setText(this.historyCount, [` · ${lane.history.length}`, failed && TEXT.failed(failed),
      expired && TEXT.expired(expired)].filter(Boolean).join(" · "));
    this.historyCount.classList.toggle("has-failed", failed > 0);
    this.composer?.form.setLimit(platform.text_limit ?? null);
  }

  renderHeader(platform, queue) {
    const editable = this.ctx.canEdit();
    const inbox = isInbox(platform);
    const stopped = ["auth_rejected", "stopped"].includes(platform.status);
    const held = !!platform.holds;
    const next = inbox || platform.paused || stopped ? null : nextEta(queue);
    const signature = JSON.stringify([platform, editable, next, queue.length]);
    if (signature === this.signature) return;
    this.signature = signature;

    const info = network(platform.kind);
    if (this.icon.dataset.kind !== platform.kind) {
      this.icon.dataset.kind = platform.kind;
      this.icon.replaceChildren(networkIcon(platform.kind));
    }
    setText(this.name, platform.name);
    setAttr(this.name, "title", `${platform.name} (${info.label})`);
    setAttr(this.el, "aria-label", `${platform.name} (${info.label})`);

    const status = platform.status ?? "ok";
    let badge = "";
    let tone = "";
    if (status === "auth_rejected") [badge, tone] = ["Rejected", "danger"];
    else if (status === "stopped") [badge, tone] = ["Stopped", "danger"];
    else if (platform.paused || status === "paused") [badge, tone] = ["Paused", "warn"];
    else if (held) [badge, tone] = [TEXT.held, "warn"];
    else if (inbox) [badge, tone] = ["Inbox", "muted"];
    setText(this.badge, badge);
    let badgeTitle = status === "auth_rejected" ? "The network rejected the credentials" : null;
    if (held) badgeTitle = TEXT.heldTitle(platform.holds);
    setAttr(this.badge, "title", badgeTitle);
    this.badge.hidden = !badge;
    this.badge.className = `badge badge-${tone}`;
    this.el.dataset.status = status;
    this.el.classList.toggle("is-paused", !!platform.paused);
    this.el.classList.toggle("is-held", held);
    setText(this.message, platform.status_message ?? "");
    this.message.hidden = !platform.status_message || status === "ok";

    if (inbox) setText(this.next, "Inbox: nothing goes out");
    else if (stopped) setText(this.next, "Stopped: nothing goes out");
    else if (platform.paused) setText(this.next, "Paused: nothing goes out");
    else if (held && !next) setText(this.next, TEXT.heldNext);
    else if (next) setText(this.next, "Next");
    else setText(this.next, queue.length ? "Nothing scheduled" : "Queue empty");
    setText(this.nextClock, next ? clock(next) : "");
    setAttr(this.nextClock, "datetime", next);
    setAttr(this.nextClock, "title", next ? fullTime(next) : null);
    setRelative(this.nextRel, next);

    this.renderInterval(platform.interval_s);
    this.interval.hidden = inbox;
    this.pause.hidden = inbox;
    this.interval.disabled = !editable;
    this.pause.disabled = !editable;
    this.pause.replaceChildren(icon(platform.paused ? "play" : "pause"));
    const pauseLabel = platform.paused ? "Resume publishing" : "Pause publishing";
    setAttr(this.pause, "aria-label", pauseLabel);
    setAttr(this.pause, "title", pauseLabel);
    setAttr(this.pause, "aria-pressed", platform.paused ? "true" : "false");
    // A column whose links are tracked (setting `track`) has clicks to show, to everyone.
    this.stats.hidden = platform.settings?.track !== true;
    this.add.hidden = !editable;
    this.clear.hidden = !editable;
    this.clear.disabled = queue.length === 0;
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
        h("option", { value: CUSTOM }, "Custom…"));
    }
    this.interval.value = seconds ? String(seconds) : String(PRESETS[3]);
  }

  async intervalChosen() {
    const choice = this.interval.value;
    const current = this.platform.interval_s;
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
    this.renderInterval(this.platform.interval_s);
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
      submitLabel: "Add",
      extraSubmit: { label: "On top", title: "Add the card at the top of the queue" },
      label: `New card for ${this.platform.name}`,
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

  /** The queue's card elements (without the drop indicator), in order. */
  queueCards() {
    return [...this.queue.querySelectorAll(":scope > [data-snippet-id]")];
  }
}

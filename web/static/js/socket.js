// The board's one WebSocket: state patches in order, commands as promises, reconnects.

import { M } from "./messages.js";

/** A command the server answered with ok: false (or that never got an answer). */
export class CommandError extends Error {
  /** `extra`: the error's field, reason and params, when the server gave them (js/actions.js
   * describe() words a known reason in the page's language). */
  constructor(code, message, { field, reason, params } = {}) {
    super(message || code);
    this.code = code;
    this.field = field;
    this.reason = reason;
    this.params = params;
  }
}

// Reconnect delays grow 1 s, 2 s, 4 s … up to 15 s: quick after a blip, gentle in an outage.
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 15_000;
// A command with no reply after this long is given up (the server answers every command).
const COMMAND_TIMEOUT_MS = 20_000;
// Close codes the server uses for "not signed in" and "forbidden" (CONTRACT §3).
const AUTH_CLOSE_CODES = new Set([4401, 4403]);

/**
 * Connection({onState, onPatch, onStatus, onAuthLost}).
 * - onState(patch): the first frame of a connection, a full state to start from.
 * - onPatch(patch): each later patch, in seq order.
 * - onStatus({state, retryInMs}): state is "connecting", "open" or "lost".
 * - onAuthLost(): the session is gone; the page should go to /login.
 */
export class Connection {
  constructor({ onState, onPatch, onStatus, onAuthLost }) {
    this.handlers = { onState, onPatch, onStatus, onAuthLost };
    this.ws = null;
    this.seq = null;
    this.pending = new Map();
    this.nextId = 1;
    this.attempt = 0;
    this.retryTimer = null;
    this.stopped = false;
    this.synced = false;
  }

  get ready() {
    return this.synced && this.ws?.readyState === WebSocket.OPEN;
  }

  start() {
    window.addEventListener("online", () => this.retryNow());
    this.open();
  }

  /** Stop reconnecting (logging out, leaving for /login). */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.ws?.close(1000, "bye");
  }

  /** Skip the wait and reconnect now (the banner's button, the browser coming online). */
  retryNow() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    this.probeThenOpen();
  }

  /** Send one command; resolves with `result`, rejects with a CommandError. */
  command(op, args = {}) {
    if (!this.ready) {
      return Promise.reject(new CommandError("disconnected", M.notConnected));
    }
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError("timeout", M.noAnswer));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ id, op, args }));
    });
  }

  open() {
    this.handlers.onStatus({ state: this.attempt ? "lost" : "connecting", retryInMs: 0 });
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    this.ws = ws;
    this.seq = null;
    this.synced = false;
    ws.addEventListener("message", (event) => this.receive(ws, event.data));
    ws.addEventListener("close", (event) => this.closed(ws, event));
  }

  receive(ws, data) {
    if (ws !== this.ws) return;
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "patch") {
      if (this.seq === null) {
        this.seq = frame.seq;
        this.synced = true;
        this.attempt = 0;
        this.handlers.onState(frame.patch);
        this.handlers.onStatus({ state: "open", retryInMs: 0 });
      } else if (frame.seq === this.seq + 1) {
        this.seq = frame.seq;
        this.handlers.onPatch(frame.patch);
      } else {
        // A patch went missing: start over from a fresh full state.
        ws.close(4000, "seq gap");
      }
    } else if (frame.type === "reply") {
      const waiting = this.pending.get(frame.id);
      if (!waiting) return;
      this.pending.delete(frame.id);
      clearTimeout(waiting.timer);
      if (frame.ok) {
        waiting.resolve(frame.result ?? {});
      } else {
        const error = frame.error ?? {};
        waiting.reject(new CommandError(error.code ?? "internal", error.message, error));
      }
    }
  }

  closed(ws, event) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.synced = false;
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new CommandError("disconnected", M.connectionLost));
    }
    this.pending.clear();
    if (this.stopped) return;
    if (AUTH_CLOSE_CODES.has(event.code)) {
      this.stopped = true;
      this.handlers.onAuthLost();
      return;
    }
    if (event.code === 4000) {
      // Our own resync: reconnect at once.
      this.open();
      return;
    }
    this.scheduleRetry();
  }

  scheduleRetry() {
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt);
    // Jitter spreads the reconnects of a whole newsroom after a server restart.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.handlers.onStatus({ state: "lost", retryInMs: delay });
    this.retryTimer = setTimeout(() => this.probeThenOpen(), delay);
  }

  /**
   * Ask plain HTTP first: a refused WebSocket upgrade does not say why, but /api/state
   * answers 401 when the session is gone, and fails outright while the server is down.
   */
  async probeThenOpen() {
    this.retryTimer = null;
    this.handlers.onStatus({ state: "lost", retryInMs: 0 });
    let response;
    try {
      response = await fetch("/api/state", { cache: "no-store" });
    } catch {
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    if (response.status === 401 || response.status === 403) {
      this.stopped = true;
      this.handlers.onAuthLost();
    } else {
      // The server answers: try the socket (a 5xx here fails it too, and backs off again).
      this.open();
    }
  }
}

// What the editor's clicks and keys ask of the server: one command each, errors as toasts,
// undo where it makes sense. Every change reaches the page back as a patch.

import { confirmDialog, intervalDialog, textDialog } from "./dialogs.js";
import { errorToast, toast } from "./toasts.js";
import { interval } from "./time.js";

const MESSAGES = {
  disconnected: "Not connected to the server: try again when the board is back online",
  timeout: "The server did not answer in time",
  forbidden: "You are not allowed to do that",
  unauthorized: "You are signed out",
  not_found: "That card or column no longer exists",
  rate_limited: "Too many actions at once: wait a moment",
};

/** The words for a command's error: the server's message, else ours for its code. */
export function describe(error) {
  return error.message && error.message !== error.code ? error.message : MESSAGES[error.code] ?? error.code;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function createActions({ conn, store, render, signedOut }) {
  function failed(what, error) {
    // The session ended (expired, or logged out in another tab): sign in again.
    if (error.code === "unauthorized") signedOut();
    else errorToast(`${what}: ${describe(error)}`);
  }

  /** Run one command; the result, or null after telling the user what went wrong. */
  async function run(op, args, what) {
    try {
      return await conn.command(op, args);
    } catch (error) {
      failed(what, error);
      return null;
    }
  }

  /** A command whose errors the caller shows itself (a signed-out session still signs out). */
  async function direct(op, args) {
    try {
      return await conn.command(op, args);
    } catch (error) {
      if (error.code === "unauthorized") signedOut();
      throw error;
    }
  }

  const actions = {
    async move(id, target) {
      if (!store.snippet(id)) return;
      store.moveLocally(id, target);
      render();
      const result = await run("snippet.move", { id, ...target }, "Could not move the card");
      if (result?.warning) toast(`Moved, but ${result.warning}`);
      if (result) {
        store.confirmMove(id, render);
      } else {
        store.dropOverride(id);
        render();
      }
    },

    async createCard(platformId, { body, url, expires_at: expiresAt }, atTop) {
      const args = { platform_id: platformId, body };
      if (url) args.url = url;
      if (expiresAt) args.expires_at = expiresAt;
      if (atTop) args.after_id = null;
      const result = await run("snippet.create", args, "Could not add the card");
      if (result?.warning) toast(`Added, but ${result.warning}`);
      return result !== null;
    },

    /**
     * A card made from a material: the server fills in its text (social_text, else the
     * title) and its link. `placement` is {} for the end, or {after_id} (null: the top).
     * Resolves with the reply ({id, warning?}), or null.
     */
    async createFromMaterial(platformId, materialId, placement = {}) {
      const result = await run("snippet.create",
        { platform_id: platformId, material_id: materialId, ...placement }, "Could not add the material");
      if (result?.warning) toast(`Added, but ${result.warning}`);
      return result;
    },

    /** materials.search; rejects with the CommandError for the panel to show. */
    searchMaterials(args) {
      return direct("materials.search", args);
    },

    /** snippet.suggest for a card: {texts, limit, …}; rejects with the CommandError. */
    suggest(snippetId) {
      return direct("snippet.suggest", { snippet_id: snippetId });
    },

    /**
     * Whether AI drafting is on, without asking the model: an empty snippet.suggest is
     * refused with `drafting_off` when no key is set, else as a bad request.
     * Resolves true, false, or null (could not tell).
     */
    async draftingOn() {
      try {
        await conn.command("snippet.suggest", {});
        return true;
      } catch (error) {
        if (error.code === "drafting_off") return false;
        if (error.code === "bad_request") return true;
        return null;
      }
    },

    /** feed.poll: poll an RSS/Atom source now. */
    async pollFeed(id) {
      if (await run("feed.poll", { id }, "Could not poll the feed")) toast("Polling the feed now");
    },

    /** feed.create {url, interval_s, section?, drafts_platform_id?}; true when added. */
    async addFeed(args) {
      return (await run("feed.create", args, "Could not add the feed")) !== null;
    },

    removeFeed(id) {
      return run("feed.delete", { id }, "Could not remove the feed");
    },

    /** true when saved, "conflict" when someone else changed it first, false otherwise. */
    async updateCard(id, version, values) {
      const args = { id, version, body: values.body, url: values.url };
      // Only a changed expiry is sent: it retimes the column, a text edit does not.
      if ("expires_at" in values) args.expires_at = values.expires_at;
      try {
        await conn.command("snippet.update", args);
        return true;
      } catch (error) {
        if (error.code === "conflict") return "conflict";
        failed("Could not save the card", error);
        return false;
      }
    },

    /** board.breaking; rejects with the CommandError for the dialog to show. */
    breaking(args) {
      return direct("board.breaking", args);
    },

    release(id) {
      return run("board.release", { id }, "Could not release the hold");
    },

    async deleteCard(id) {
      const snippet = store.snippet(id);
      if (!snippet) return;
      const what = snippet.kind === "interval" ? "Interval change removed" : "Card deleted";
      if (await run("snippet.delete", { id }, "Could not delete")) {
        toast(what, { action: { label: "Undo", run: () => run("snippet.restore", { id }, "Could not restore") } });
      }
    },

    async sendNow(id) {
      const snippet = store.snippet(id);
      const platform = snippet && store.platform(snippet.platform_id);
      if (!platform) return;
      const ok = await confirmDialog({
        title: "Send now?",
        message: `This card goes out to ${platform.name} at once, out of turn.`,
        okLabel: "Send now",
      });
      if (ok) await run("snippet.send_now", { id }, "Could not send");
    },

    retry(id) {
      return run("snippet.retry", { id }, "Could not retry");
    },

    async sendAgain(id) {
      const ok = await confirmDialog({
        title: "Send again?",
        message: "If the post did go out, it will be published twice. Check the channel first.",
        okLabel: "Send again",
        danger: true,
      });
      if (ok) await run("snippet.retry", { id }, "Could not send again");
    },

    async markSent(id) {
      const link = await textDialog({
        title: "It went out",
        message: "Record this card as published. A link to the post helps the others find it.",
        label: "Link to the post (optional)",
        type: "url",
        placeholder: "https://…",
        okLabel: "Mark as sent",
      });
      if (link === null) return;
      const args = { id };
      if (link) args.remote_url = link;
      await run("snippet.mark_sent", args, "Could not mark as sent");
    },

    async intervalFromHere(id) {
      const snippet = store.snippet(id);
      const platform = snippet && store.platform(snippet.platform_id);
      if (!platform) return;
      const queue = store.queue(platform.id);
      const index = queue.findIndex((s) => s.id === id);
      const seconds = await intervalDialog({
        title: "Interval from here",
        message: `From this card on, ${platform.name} publishes every…`,
        seconds: platform.interval_s,
        okLabel: "Insert",
      });
      if (!seconds) return;
      const after = index > 0 ? queue[index - 1].id : null;
      await run("marker.create", { platform_id: platform.id, interval_s: seconds, after_id: after },
        "Could not insert the interval");
    },

    async clearColumn(platformId) {
      const platform = store.platform(platformId);
      const count = store.queue(platformId).length;
      if (!platform || count === 0) return;
      const ok = await confirmDialog({
        title: `Clear ${platform.name}?`,
        message: `${plural(count, "queued card")} will be removed. You can undo this for a few seconds.`,
        okLabel: "Clear",
        danger: true,
      });
      if (!ok) return;
      const result = await run("platform.clear", { id: platformId }, "Could not clear");
      const ids = result?.cleared ?? [];
      if (result) {
        toast(`Cleared ${plural(ids.length, "card")} from ${platform.name}`, {
          action: { label: "Undo", run: () => run("platform.restore", { id: platformId, ids }, "Could not restore") },
        });
      }
    },

    pause(platformId) {
      return run("platform.pause", { id: platformId }, "Could not pause");
    },

    resume(platformId) {
      return run("platform.resume", { id: platformId }, "Could not resume");
    },

    async setInterval(platformId, seconds) {
      const result = await run("platform.update", { id: platformId, interval_s: seconds },
        `Could not set the interval to ${interval(seconds)}`);
      return result !== null;
    },

    askInterval(platform) {
      return intervalDialog({
        title: `Interval for ${platform.name}`,
        message: "One post goes out every…",
        seconds: platform.interval_s,
      });
    },
  };
  return actions;
}

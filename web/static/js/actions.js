// What the editor's clicks and keys ask of the server: one command each, errors as toasts,
// undo where it makes sense. Every change reaches the page back as a patch.

import { TEXT as APPROVAL } from "./approval.js";
import { confirmDialog, intervalDialog, textDialog } from "./dialogs.js";
import { errorToast, toast } from "./toasts.js";
import { interval } from "./time.js";
import { M } from "./messages.js";

const MESSAGES = M.errorCodes;

/** The words for a command's error: ours for its reason when we know it (in the page's
 * language), else the server's message, else ours for its code. */
export function describe(error) {
  const words = error.reason && (M.errorReasons[`${error.field}.${error.reason}`] ?? M.errorReasons[error.reason]);
  if (words) return typeof words === "function" ? words(error.params ?? {}) : words;
  return error.message && error.message !== error.code ? error.message : MESSAGES[error.code] ?? error.code;
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
      const result = await run("snippet.move", { id, ...target }, M.couldNot.move);
      if (result?.warning) toast(M.movedBut(result.warning));
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
      const result = await run("snippet.create", args, M.couldNot.addCard);
      if (result?.warning) toast(M.addedBut(result.warning));
      return result !== null;
    },

    /**
     * A card made from a material: the server fills in its text (social_text, else the
     * title) and its link. `placement` is {} for the end, or {after_id} (null: the top).
     * Resolves with the reply ({id, warning?}), or null.
     */
    async createFromMaterial(platformId, materialId, placement = {}) {
      const result = await run("snippet.create",
        { platform_id: platformId, material_id: materialId, ...placement }, M.couldNot.addMaterial);
      if (result?.warning) toast(M.addedBut(result.warning));
      return result;
    },

    /**
     * snippet.draft: the AI writes the new card's text from the material (it waits for an
     * editor's approval). Takes seconds: a toast says it is on its way. Resolves {id} or null.
     */
    async draftFromMaterial(platformId, materialId, placement = {}) {
      const done = toast(M.aiWriting, { timeout: 60_000 });
      try {
        return await run("snippet.draft",
          { platform_id: platformId, material_id: materialId, ...placement }, M.couldNot.draft);
      } finally {
        done();
      }
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
      if (await run("feed.poll", { id }, M.couldNot.pollFeed)) toast(M.pollingFeed);
    },

    /** feed.create {url, interval_s, section?, drafts_platform_id?}; true when added. */
    async addFeed(args) {
      return (await run("feed.create", args, M.couldNot.addFeed)) !== null;
    },

    removeFeed(id) {
      return run("feed.delete", { id }, M.couldNot.removeFeed);
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
        failed(M.couldNot.saveCard, error);
        return false;
      }
    },

    /** snippet.approve of the version this page shows: text changed meanwhile is not approved unseen. */
    async approve(id) {
      const snippet = store.snippet(id);
      if (!snippet) return;
      try {
        await conn.command("snippet.approve", { id, version: snippet.version });
      } catch (error) {
        if (error.code === "conflict") errorToast(APPROVAL.changedMeanwhile);
        else failed(APPROVAL.couldNot, error);
      }
    },

    /** board.breaking; rejects with the CommandError for the dialog to show. */
    breaking(args) {
      return direct("board.breaking", args);
    },

    release(id) {
      return run("board.release", { id }, M.couldNot.release);
    },

    async deleteCard(id) {
      const snippet = store.snippet(id);
      if (!snippet) return;
      const what = snippet.kind === "interval" ? M.markerRemoved : M.cardDeleted;
      if (await run("snippet.delete", { id }, M.couldNot.delete)) {
        toast(what, { action: { label: M.undo, run: () => run("snippet.restore", { id }, M.couldNot.restore) } });
      }
    },

    async sendNow(id) {
      const snippet = store.snippet(id);
      const platform = snippet && store.platform(snippet.platform_id);
      if (!platform) return;
      const ok = await confirmDialog({
        title: M.sendNowTitle,
        message: M.sendNowMessage(platform.name),
        okLabel: M.sendNow,
      });
      if (ok) await run("snippet.send_now", { id }, M.couldNot.send);
    },

    retry(id) {
      return run("snippet.retry", { id }, M.couldNot.retry);
    },

    async sendAgain(id) {
      const ok = await confirmDialog({
        title: M.sendAgainTitle,
        message: M.sendAgainMessage,
        okLabel: M.sendAgain,
        danger: true,
      });
      if (ok) await run("snippet.retry", { id }, M.couldNot.sendAgain);
    },

    async markSent(id) {
      const link = await textDialog({
        title: M.itWentOut,
        message: M.markSentMessage,
        label: M.markSentLink,
        type: "url",
        placeholder: "https://…",
        okLabel: M.markSent,
      });
      if (link === null) return;
      const args = { id };
      if (link) args.remote_url = link;
      await run("snippet.mark_sent", args, M.couldNot.markSent);
    },

    async intervalFromHere(id) {
      const snippet = store.snippet(id);
      const platform = snippet && store.platform(snippet.platform_id);
      if (!platform) return;
      const queue = store.queue(platform.id);
      const index = queue.findIndex((s) => s.id === id);
      // The interval in force at this card: the column's, or that of an interval card above it.
      const above = queue.slice(0, index).filter((s) => s.kind === "interval").at(-1);
      const current = above?.interval_s ?? platform.interval_s;
      const seconds = await intervalDialog({
        title: M.intervalFromHere,
        message: M.intervalFromHereMessage(platform.name, interval(current)),
        seconds: current >= 3600 ? current / 2 : current * 2,
        okLabel: M.insert,
        unlike: current,
        unlikeMessage: M.sameInterval(interval(current)),
      });
      if (!seconds) return;
      const after = index > 0 ? queue[index - 1].id : null;
      await run("marker.create", { platform_id: platform.id, interval_s: seconds, after_id: after },
        M.couldNot.insertInterval);
    },

    async clearColumn(platformId) {
      const platform = store.platform(platformId);
      const count = store.queue(platformId).length;
      if (!platform || count === 0) return;
      const ok = await confirmDialog({
        title: M.clearTitle(platform.name),
        message: M.clearMessage(count),
        okLabel: M.clear,
        danger: true,
      });
      if (!ok) return;
      const result = await run("platform.clear", { id: platformId }, M.couldNot.clear);
      const ids = result?.cleared ?? [];
      if (result) {
        toast(M.cleared(ids.length, platform.name), {
          action: { label: M.undo, run: () => run("platform.restore", { id: platformId, ids }, M.couldNot.restore) },
        });
      }
    },

    pause(platformId) {
      return run("platform.pause", { id: platformId }, M.couldNot.pause);
    },

    resume(platformId) {
      return run("platform.resume", { id: platformId }, M.couldNot.resume);
    },

    async setInterval(platformId, seconds) {
      const result = await run("platform.update", { id: platformId, interval_s: seconds },
        M.couldNot.setInterval(interval(seconds)));
      return result !== null;
    },

    /** platform.preview (the rhythm editor's slots); rejects with the server's error. */
    preview(args) {
      return direct("platform.preview", args);
    },

    /** platform.update of a column's settings at the version shown; rejects on refusal. */
    saveSettings(platform, settings) {
      return direct("platform.update", { id: platform.id, version: platform.version, settings });
    },

    // --- columns (admins) -----------------------------------------------------------

    /** platform.create; rejects with the CommandError for the dialog to place by field. */
    createColumn(args) {
      return direct("platform.create", args);
    },

    updateColumn(args) {
      return direct("platform.update", args);
    },

    async deleteColumn(platformId) {
      return (await run("platform.delete", { id: platformId }, M.couldNot.deleteColumn)) !== null;
    },

    /** platform.check: the network's answer ({ok, account…} or {ok: false, error}). */
    checkColumn(args) {
      return direct("platform.check", args);
    },

    /** The names of the secrets a column holds (never their values). */
    async secretNames(platformId) {
      const result = await run("platform.secret_names", { id: platformId }, M.couldNot.readColumn);
      return result?.names ?? [];
    },

    reorderColumns(ids) {
      return run("platform.reorder", { ids }, M.columnMoved);
    },

    async fillDemo() {
      if (await run("board.demo", {}, M.couldNot.demo)) toast(M.demoAdded);
    },

    // --- users -----------------------------------------------------------------------

    listUsers() {
      return direct("user.list", {});
    },

    createUser(args) {
      return direct("user.create", args);
    },

    updateUser(args) {
      return run("user.update", args, M.couldNot.changeUser);
    },

    resetPassword(id) {
      return run("user.reset_password", { id }, M.couldNot.resetPassword);
    },

    changePassword(args) {
      return direct("user.passwd", args);
    },

    askInterval(platform) {
      return intervalDialog({
        title: M.intervalFor(platform.name),
        message: M.intervalMessage,
        seconds: platform.interval_s,
      });
    },
  };
  return actions;
}

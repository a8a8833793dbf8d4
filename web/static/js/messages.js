// The page's words in one place, so that another language is one more table like this one.
// Strings are plain; functions build the few that carry names or numbers.

import { network } from "./networks.js";

const label = (kind) => network(kind).label;

export const M = {
  // Columns: the Add / Edit dialog
  addColumn: "Add column",
  addColumnTitle: "Add a column",
  editColumnTitle: (name) => `Edit ${name}`,
  editColumn: (name) => `Edit column ${name}`,
  add: "Add",
  save: "Save",
  cancel: "Cancel",
  close: "Close",
  kind: "Kind",
  name: "Name",
  namePlaceholder: (kind) => ({ log: "e.g. Site feed", drafts: "e.g. Drafts", webhook: "e.g. Slack #news" }[kind]
    ?? `e.g. ${label(kind)} @citynews`),
  interval: "Interval",
  intervalUnit: "Unit",
  minutes: "min",
  hours: "h",
  seconds: "s",
  startPaused: "Start paused (fill the queue first)",
  advanced: "More settings",
  utm: "Tag links with UTM (utm_source, utm_medium=social)",
  utmCampaign: "UTM campaign",
  setupGuide: (kind) => `How to set up ${label(kind)}`,
  secretSet: "set: type to replace",
  secretIsSet: "set",
  secretUnset: "not set",
  secretRemove: "Remove",
  secretsNote: "Tokens and passwords are stored encrypted and never shown again.",
  required: "Required",
  notANumber: "Expected a number",
  checkConnection: "Check connection",
  checking: "Asking the network…",
  deleteColumn: "Delete column…",
  deleteColumnTitle: (name) => `Delete ${name}?`,
  deleteColumnMessage: (count) => count
    ? `Its ${count} queued ${count === 1 ? "card is" : "cards are"} removed with it. Nothing more goes out from this column.`
    : "Nothing more goes out from this column.",
  delete: "Delete",
  columnAdded: (name) => `Added ${name}`,
  columnSaved: (name) => `Saved ${name}`,
  columnDeleted: (name) => `Deleted ${name}`,
  dragColumn: (name) => `${name}: drag to move the column, or Alt+← / Alt+→`,
  columnMoved: "Could not move the column",

  // Check connection: the network's answer, in plain words
  checkOk: (kind, answer) => {
    if (kind === "log") return "Nothing to check: cards go to the server log.";
    if (kind === "drafts") return "Nothing to check: a drafts inbox publishes nowhere.";
    if (kind === "webhook") return `The address answers: ${answer.account}.`;
    const where = answer.target ? ` to ${answer.target}` : "";
    return `${label(kind)} says: posts as ${answer.account}${where}.`;
  },
  checkFailed: (kind, error) => {
    const net = label(kind);
    const field = error.field;
    if (error.type === "refused") {
      return {
        bot_token: "Telegram refused the bot token. Copy it again from @BotFather.",
        chat_id: "Telegram cannot find that chat, or the bot is not in it. Add the bot to the channel as an admin.",
        app_password: "Bluesky refused the handle and app password.",
        refresh_token: "Google refused the refresh token: authorize the channel again.",
        token: "The address refused the token.",
      }[field] ?? `${net} refused the credentials.`;
    }
    if (error.type === "rejected") {
      return {
        url: "Nothing answers at that address: check the URL.",
        group_id: "VK knows no community with that id.",
        ig_user_id: "Instagram knows no account with that id.",
        instance_url: "That address is not a Mastodon instance.",
      }[field] ?? `${net} refused the request.`;
    }
    if (error.type === "unreachable") return `Could not reach ${net}. Check the address, and the server's connection.`;
    if (error.type === "no_answer") return `${net} did not answer in time. Try again in a moment.`;
    if (error.type === "rate_limited") return `${net} asks to wait before trying again.`;
    return `${net} did not accept the check.`;
  },
  details: "Details",

  // Failures: notices, column badges, and what a card's error means
  failedBadge: (n) => `${n} failed`,
  checkBadge: (n) => `${n} to check`,
  failuresTitle: "Failed or unconfirmed in the last hours: show them",
  cardFailed: (column, body) => `${column}: a post failed${body ? ` (“${body}”)` : ""}.`,
  cardUnsure: (column, body) => `${column}${body ? ` (“${body}”)` : ""}:`,
  columnStopped: (column) => `${column} stopped publishing.`,
  show: "Show",
  explain: (kind, status, raw) => explainError(kind, status, raw),

  // Undo and notices
  undo: "Undo",
  undoMore: (n) => `${n} more to undo`,
  undoFewer: "Show fewer",
  problemsMore: (n) => `${n} more problems`,
  dismiss: "Dismiss",

  // Text that is never lost
  keptTitle: "Your text was kept",
  keptGone: "The card you were editing was deleted, cleared or sent by someone else.",
  keptSent: "The card you were editing went out before you saved.",
  keptAsNew: "Add as a new card",
  keptCopy: "Copy the text",
  keptCopied: "Copied",
  keptDiscard: "Discard",
  keptAdded: "Added your text as a new card",
  keptBack: "The card came back: your edit is open again.",

  // Interval from here
  sameInterval: (every) => `It is already every ${every} here: choose another interval`,

  // Countdown
  dueIn: (seconds) => `in ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`,

  // Users
  users: "Users",
  usersTitle: "Users",
  invite: "Add a user",
  email: "E-mail",
  role: "Role",
  roles: { admin: "Admin", editor: "Editor", viewer: "Viewer" },
  roleHelp: "Admins set up columns and users; editors run the queues; viewers watch.",
  disabled: "Disabled",
  disable: "Disable",
  enable: "Enable",
  you: "you",
  resetPassword: "New password",
  oneTime: (email) => `One-time password for ${email}. Pass it on now: it is not shown again.`,
  copy: "Copy",
  disableTitle: (email) => `Disable ${email}?`,
  disableMessage: "They are signed out everywhere at once: open boards close, API tokens stop working.",
  resetTitle: (email) => `New password for ${email}?`,
  resetMessage: "Their old password stops working and they are signed out everywhere.",
  userAdded: (email) => `Added ${email}`,

  // Your account
  account: "Your account",
  changePassword: "Change password",
  currentPassword: "Current password",
  newPassword: "New password",
  repeatPassword: "New password again",
  passwordsDiffer: "The two new passwords differ",
  passwordTooShort: "At least 8 characters",
  passwordChanged: "Password changed",
  wrongPassword: "That is not your current password",

  // The first run
  emptyTitle: "Set up the board",
  emptyIntro: "Three steps, and the newsroom's posts go out on their own rhythm.",
  stepColumn: "Add a column for each account you publish to",
  addFirstColumn: "Add the first column",
  stepCard: "Add cards to its queue: they go out one per interval",
  stepInvite: "Invite the editors",
  invitePeople: "Invite people",
  stepDemo: "Or look around first: fill the board with demo columns that publish to the server log only.",
  tryDemo: "Try it with demo columns",
  demoAdded: "Added demo columns: the first card goes out within a minute.",
  emptyViewer: "No columns yet",
  emptyViewerText: "An administrator adds a column for each network the newsroom publishes to.",
};

/** A card's failure in plain words: {title, hint}. `raw` (meta.error) stays one click away. */
function explainError(kind, status, raw = "") {
  const net = label(kind);
  const text = String(raw ?? "");
  const tries = text.match(/after (\d+) tries/);
  const seconds = text.match(/no answer within (\d+) s/);
  if (status === "needs_check") {
    const waited = seconds ? ` in ${seconds[1]} s` : "";
    return { title: `${net} did not answer${waited}: check whether it went out.`,
      hint: "“It went out” records it; “Send again” may post it twice." };
  }
  if (status === "auth_rejected") {
    return { title: `${net} refused the column's credentials.`, hint: "An admin replaces them in the column's settings." };
  }
  if (/drafts inbox publishes nowhere/.test(text)) {
    return { title: "The drafts inbox publishes nowhere.", hint: "Drag the card to a network's column." };
  }
  if (/could not connect|ConnectError|ClientConnectorError|network error|could not reach|Cannot connect/i.test(text)) {
    return { title: `Could not reach ${net}${tries ? ` (tried ${tries[1]} times)` : ""}.`,
      hint: "Nothing went out. Retry when the network is back." };
  }
  if (/characters|too long|caption is too long|allows \d+/i.test(text)) {
    return { title: `The text is too long for ${net}.`, hint: "Shorten it and retry." };
  }
  if (/media|video|image|photo|file/i.test(text)) {
    return { title: `${net} could not take this card's image or video.`, hint: "Check the media, then retry." };
  }
  if (/HTTP 5\d\d|server error|temporarily/i.test(text)) {
    return { title: `${net} had a server error${tries ? ` (tried ${tries[1]} times)` : ""}.`, hint: "Retry in a few minutes." };
  }
  return { title: `${net} refused this post.`, hint: "Retry, or change the card first." };
}

// The page's words in one place, so that another language is one more table like this one.
// Strings are plain; functions build the few that carry names or numbers.

import { network } from "./networks.js";

const label = (kind) => network(kind).label;

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

export const M = {
  // The board and its columns
  liveState: { open: "Live", connecting: "Connecting…", lost: "Offline" },
  reconnecting: "Connection lost. Reconnecting…",
  reconnectingIn: (seconds) => `Connection lost. Reconnecting in ${seconds} s…`,
  notConnected: "Not connected to the server",
  noAnswer: "The server did not answer",
  connectionLost: "The connection was lost",
  pauseColumn: "Pause publishing",
  resumeColumn: "Resume publishing",
  newCard: "New card",
  newCardFor: (name) => `New card for ${name}`,
  onTop: "On top",
  onTopTitle: "Add the card at the top of the queue",
  clearQueue: "Clear the queue",
  history: "History",
  historyTitle: "Sent and failed cards",
  badgeRejected: "Rejected",
  badgeStopped: "Stopped",
  badgePaused: "Paused",
  badgeInbox: "Inbox",
  credentialsRejected: "The network rejected the credentials",
  nothingGoesOut: "nothing goes out",
  next: "Next",
  nothingScheduled: "Nothing scheduled",
  queueEmpty: "Queue empty",
  intervalSelect: "Publishing interval",
  intervalSelectTitle: "One post every…",
  customInterval: "Custom…",
  intervalFor: (name) => `Interval for ${name}`,
  intervalMessage: "One post goes out every…",
  intervalLength: "Interval length",
  presets: "Presets",
  every: "every",
  set: "Set",
  ok: "OK",
  keyboard: "Keyboard",

  // Cards
  statusLabel: {
    pending: "Queued", sending: "Sending…", sent: "Sent", failed: "Failed", needs_check: "Did it go out?",
    expired: "Expired",
  },
  columnHold: {
    held: "Held",
    heldTitle: (holds) => holds.map((hold) => `On hold: ${hold.reason}`).join("\n"),
    failed: (n) => `${n} failed`,
    expired: (n) => `${n} expired`,
  },
  cardHold: {
    held: "Held",
    notAfter: (when) => `Not after ${when}`,
    notAfterTitle: (when) => `Not published at or after ${when}: it then expires`,
    noSlot: (when) => `No slot before ${when}: it will expire`,
    expired: (when) => `Expired at ${when}: not published`,
    putBack: "Put back",
    putBackTitle: "Back to the top of the queue, with no time limit",
    // With rhythm rules a marker holds until the next rule; a slot a quiet window moved (§8).
    untilNextRule: ", until the next rule",
    afterQuiet: (was) => `After quiet hours (due ${was})`,
    afterQuietTitle: (was, eta) => `Its turn came at ${was}, in the column's quiet hours: it goes at ${eta}`,
  },
  cardLabel: (status, text) => `${status} card: ${text}`,
  duplicateSent: "This link already went out from this column",
  duplicateQueued: "This link is already queued in this column",
  duplicateOnBoard: "This link is already on the board",
  viewPost: "View the post",
  draft: "Draft",
  notScheduled: "Not scheduled",
  lastEditedBy: (email) => `Last edited by ${email}`,
  writtenByAI: "Written by the AI",
  editCard: "Edit (Enter)",
  sendNow: "Send now",
  intervalFromHere: "Interval from here",
  intervalFromHereMessage: (name, every) => `From this card on, ${name} publishes every… (now every ${every})`,
  deleteCard: "Delete (Del)",
  retry: "Retry",
  itWentOut: "It went out",
  sendAgain: "Send again",
  removeMarker: "Remove this interval change",
  markerLabel: (text) => `Interval change, ${text}`,
  fromHere: (every) => `from here: every ${every}`,
  takesEffect: (when) => `Takes effect ${when}`,
  markerRemoved: "Interval change removed",
  cardDeleted: "Card deleted",
  insert: "Insert",

  // The card form and edit in place
  textPlaceholder: "Text of the post",
  linkPlaceholder: "https://link (optional)",
  fieldText: (label) => `${label}: text`,
  fieldLink: (label) => `${label}: link`,
  characters: "Characters",
  overLimit: (n) => `${n} characters over this network's limit`,
  editCardLabel: "Edit card",
  someone: "Someone",
  changedBy: (who, when) => `${who} changed this card${when} while you were editing.`,
  changedMeanwhile: "This card was changed while you were editing.",
  loadTheirs: "Load their text",
  keepMine: "Keep mine",

  // What the editor's actions say
  errorCodes: {
    disconnected: "Not connected to the server: try again when the board is back online",
    timeout: "The server did not answer in time",
    forbidden: "You are not allowed to do that",
    unauthorized: "You are signed out",
    not_found: "That card or column no longer exists",
    rate_limited: "Too many actions at once: wait a moment",
  },
  couldNot: {
    move: "Could not move the card",
    addCard: "Could not add the card",
    addMaterial: "Could not add the material",
    pollFeed: "Could not poll the feed",
    addFeed: "Could not add the feed",
    removeFeed: "Could not remove the feed",
    saveCard: "Could not save the card",
    delete: "Could not delete",
    restore: "Could not restore",
    send: "Could not send",
    retry: "Could not retry",
    sendAgain: "Could not send again",
    markSent: "Could not mark as sent",
    insertInterval: "Could not insert the interval",
    clear: "Could not clear",
    pause: "Could not pause",
    resume: "Could not resume",
    setInterval: (every) => `Could not set the interval to ${every}`,
    deleteColumn: "Could not delete the column",
    readColumn: "Could not read the column",
    demo: "Could not add the demo columns",
    changeUser: "Could not change the user",
    resetPassword: "Could not set a new password",
    release: "Could not release the hold",
  },
  movedBut: (warning) => `Moved, but ${warning}`,
  addedBut: (warning) => `Added, but ${warning}`,
  pollingFeed: "Polling the feed now",
  sendNowTitle: "Send now?",
  sendNowMessage: (name) => `This card goes out to ${name} at once, out of turn.`,
  sendAgainTitle: "Send again?",
  sendAgainMessage: "If the post did go out, it will be published twice. Check the channel first.",
  markSentMessage: "Record this card as published. A link to the post helps the others find it.",
  markSentLink: "Link to the post (optional)",
  markSent: "Mark as sent",
  clearTitle: (name) => `Clear ${name}?`,
  clearMessage: (count) => `${plural(count, "queued card")} will be removed. Undo stays on screen for 30 seconds.`,
  clear: "Clear",
  cleared: (count, name) => `Cleared ${plural(count, "card")} from ${name}`,

  // The sign-in page
  signInRefused: "Wrong e-mail or password.",
  tooManyAttempts: "Too many attempts. Wait a minute and try again.",
  cannotReach: "Cannot reach the server. Check the connection and try again.",
  signInFailed: (status) => `Sign-in failed (${status}). Try again in a moment.`,

  // The keyboard help
  shortcuts: [
    ["Tab", "Go to the next card or control"],
    ["↑ ↓ ← →", "Go to the card above, below, or in the next column"],
    ["Alt + ↑ / ↓", "Move the focused card one place up or down"],
    ["Alt + ← / →", "Move the focused card to the top of the neighbouring column"],
    ["Alt + ← / →", "On a column's name: move the column"],
    ["Enter", "Edit the focused card"],
    ["Ctrl + Enter", "Save the card being edited"],
    ["Escape", "Stop editing without saving"],
    ["Delete", "Delete the focused card (with undo)"],
    ["/", "Search the materials"],
    ["B", "Breaking news: one post to many columns, and hold the rest"],
    ["Enter", "On a material: add it to a column"],
    ["?", "Show this list"],
  ],

  // Times
  now: "now",
  inTime: (span) => `in ${span}`,
  ago: (span) => `${span} ago`,
  minutesSpan: (n) => `${n} min`,
  hoursSpan: (hours, minutes) => (minutes ? `${hours}h ${minutes}m` : `${hours}h`),
  daysSpan: (n) => (n === 1 ? "1 day" : `${n} days`),
  intervalWords: { seconds: (n) => `${n} s`, minutes: (n) => `${n} min`, hours: (n) => `${n} h` },

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
  track: "Track clicks on links",
  trackTitle: "Links go out as this board's short links (/l/…), which count readers' clicks. Needs METRONOME_PUBLIC_URL.",
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
  roles: { admin: "Admin", editor: "Editor", author: "Author", viewer: "Viewer" },
  roleHelp: "Admins set up columns and users; editors run the queues; authors write cards that wait for an editor's approval; viewers watch.",
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

  // A column's rhythm (CONTRACT §8): the header, its dialog, the editor and its preview
  rhythm: {
    open: "Rhythm and quiet hours",
    overrideTitle: (until) => `This interval holds until ${until}, then the rhythm's rules`,
    dialogTitle: (name) => `Rhythm of ${name}`,
    saved: (name) => `Rhythm of ${name} saved`,
    section: "Rhythm and quiet hours",
    zone: "Time zone",
    zoneHelp: "The times below are local times there.",
    rules: "Intervals by the time of day",
    rulesHelp: "Each rule holds from its time until the next rule's; before the first, the day before's last.",
    noRules: "No rules: the column's interval holds all day.",
    addRule: "Add a rule",
    from: "from",
    everyWord: "every",
    to: "to",
    quiet: "Quiet hours",
    quietHelp: "Nothing goes out inside; a card due then waits for the end.",
    noQuiet: "No quiet hours.",
    addQuiet: "Add quiet hours",
    remove: (what) => `Remove ${what}`,
    rule: (n) => `Rule ${n}`,
    window: (n) => `Quiet hours ${n}`,
    interval: (name) => `${name} interval`,
    unit: (name) => `${name} unit`,
    days: "Days",
    everyDay: "Every day",
    weekdays: "Mon–Fri",
    weekends: "Sat, Sun",
    dayLabel: { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" },
    dayGroups: { "sat,sun": "weekends", "mon,tue,wed,thu,fri": "weekdays" },
    previewTitle: (n) => `Next ${n} slots`,
    previewZone: (zone) => `in ${zone}`,
    previewBusy: "Working out the slots…",
    previewError: "No preview: fix the field marked above.",
    gap: (every) => `+${every}`,
    afterQuiet: "after quiet hours",
    afterQuietTitle: (was) => `A quiet window moved it from ${was}`,
    newCard: "a card to come",
    // The header's words: "every 30 min until 23:00, then hourly; quiet 02:00–06:00"
    every: (seconds, every) => (seconds === 3600 ? "hourly" : `every ${every}`),
    until: (text, hhmm) => `${text} until ${hhmm}`,
    then: (text) => `then ${text}`,
    quietSpan: (spans) => `quiet ${spans}`,
    span: (from, to) => `${from}–${to}`,
    onDays: (days, text) => `${days}: ${text}`,
    zoneWords: (zone) => `${zone.split("/").at(-1).replaceAll("_", " ")} time`,
    titleRule: (from, text) => `${from} ${text}`,
    titleDays: (text, days) => `${text} (${days})`,
    titleZone: (zone) => `Local times in ${zone}`,
  },

  // Clicks on tracked links (CONTRACT §11): a sent card's count, a column's clicks view
  clicks: {
    count: (n) => (n === 1 ? "1 click" : `${Number(n).toLocaleString()} clicks`),
    cardTitle: "Clicks on this post's tracked link so far",
    button: "Clicks: the last 24 hours",
    title: (name) => `Clicks · ${name}`,
    loading: "Loading…",
    failed: (why) => `The clicks could not be loaded (${why}).`,
    total: (count) => `${count} in the last 24 hours`,
    chart: (count) => `Clicks per hour over the last 24 hours: ${count} in all`,
    bar: (from, count) => `${from}: ${count}`,
    since: (time) => `since ${time}`,
    now: "now",
    best: "Best posts today",
    noneToday: "No clicks yet today.",
    sent: (time) => `sent ${time}`,
    from: "Where readers came from",
    direct: "No referrer (apps, e-mail, typed)",
    csv: (days) => `Download CSV (last ${days} days)`,
  },

  // Big boards (issue 21): folded columns and the column finder
  bigBoard: {
    collapseColumn: (name) => `Fold ${name} to a strip`,
    expandColumn: (name) => `Unfold ${name}`,
    queued: (n) => String(n),
    queuedTitle: (n) => plural(n, "queued card"),
    finder: "Go to column",
    finderTitle: "Go to a column (G or Ctrl+K)",
    finderLabel: "Column name or network",
    finderPlaceholder: "Type a column's name…",
    finderNone: "No column matches.",
    finderCount: (n) => plural(n, "card"),
    finderFolded: "folded",
    shortcuts: [
      ["G  ·  Ctrl + K", "Go to a column: type its name, Enter jumps to it"],
    ],
  },
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

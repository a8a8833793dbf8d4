// The page's words in one place: this English table, and one table per other language
// (js/messages.<code>.js, the same keys and the same functions' parameters: tests/test_messages.py
// checks). js/i18n.js chooses the language; `M` is that language's table.
// Strings are plain; functions build the ones that carry names or numbers.

import { failureKind } from "./failurekind.js";
import { lang, plurals } from "./i18n.js";
import { RU } from "./messages.ru.js";

const english = plurals("en");
const label = (kind) => EN.kindNames[kind] ?? kind;
// plural(3, "card") → "3 cards", by Intl.PluralRules("en"); count() for irregular words.
const count = (n, one, other) => `${n} ${english(n, { one, other })}`;
const plural = (n, word) => count(n, word, `${word}s`);
// 60 → "1 min", 7200 → "2 h", 45 → "45 s" (time.js formats intervals on cards; it imports this).
const seconds = (n) => (n % 3600 === 0 ? `${n / 3600} h` : n % 60 === 0 ? `${n / 60} min` : `${n} s`);

export const EN = {
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
    unavailable: "The server cannot reach its database: nothing was changed, try again",
    conflict: "It changed meanwhile: look again and retry",
    bad_request: "The server did not accept that",
    internal: "The server failed: nothing was changed",
  },
  // A refusal's words by its reason (board/errors.py), "field.reason" before "reason"; the
  // server's message is shown for reasons not here.
  errorReasons: {
    "interval_s.too_small": ({ min }) => `The interval must be at least ${seconds(min)}`,
    too_small: ({ min }) => `At least ${min}`,
    stale_version: ({ by }) => (by ? `${by} changed it meanwhile: look again and retry`
      : "It changed meanwhile: look again and retry"),
    publishing_now: "It is being published right now: try again in a moment",
    wrong_status: ({ status }) => `The card is no longer queued (${EN.statusLabel[status] ?? status})`,
    awaiting_approval: "The card waits for approval: approve it first",
    role: ({ needs }) => `Only ${EN.rolesPlural[needs] ?? needs} may do that`,
    too_fast: "Too many actions at once: wait a moment",
    database: "The server cannot reach its database: nothing was changed, try again",
    feed_exists: "That feed is already polled",
    wrong_password: "That is not your current password",
    last_admin: "The board needs an admin: make another user an admin first",
    yourself: "You cannot change your own role or disable yourself",
    email_taken: "A user with that e-mail already exists",
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
    draft: "Could not draft the card",
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
  rolesPlural: { admin: "admins", editor: "editors", author: "authors", viewer: "viewers" },
  roleBadge: { admin: "admin", editor: "editor", author: "author", viewer: "viewer" },
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

  // The static pages (index.html and login.html bind these by data-m) and the language switch
  page: {
    menu: "Menu",
    materials: "Materials",
    materialsTitle: "Materials: search the newsroom's stories (/)",
    breaking: "Breaking news",
    breakingTitle: "Breaking news: one post to many columns, and hold the rest (B)",
    shortcutsTitle: "Keyboard shortcuts (?)",
    accountTitle: "Your account: change your password",
    logout: "Log out",
    reconnectNow: "Reconnect now",
    queues: "Publishing queues",
    loading: "Loading the board…",
  },
  login: { title: "Sign in · Metronome", email: "E-mail", password: "Password", signIn: "Sign in" },
  language: "Language",
  aiWriting: "The AI is writing the card…",
  queue: "Queue",
  editedAt: (when) => ` at ${when}`,

  // Platform kinds: their names (brands stay as they are), what each does, its fields
  kindNames: {
    telegram: "Telegram", vk: "VK", facebook: "Facebook", instagram: "Instagram", x: "X", youtube: "YouTube",
    mastodon: "Mastodon", bluesky: "Bluesky", webhook: "Webhook", log: "Server log", drafts: "Drafts",
    other: "Network",
  },
  kinds: {
    intro: {
      log: "Writes each card to the server log: a column to try the board with.",
      drafts: "An inbox with no timer: cards wait here until an editor drags them to a network.",
      webhook: "POSTs each card as JSON to an address: Slack or Discord through a relay, a CMS…",
      telegram: "Posts to a channel or group as a bot (@BotFather gives the token).",
      vk: "Posts to a community wall as the community.",
      facebook: "Posts to a Facebook Page with a Page access token.",
      instagram: "Posts images and reels to a professional account (through Facebook).",
      x: "Posts as an X account with an OAuth 2.0 user token.",
      youtube: "Uploads a card's video to a channel.",
      mastodon: "Posts statuses to one account on any instance.",
      bluesky: "Posts to one Bluesky account with an app password.",
    },
    fields: {
      timeout_s: "Timeout (seconds)",
      api_base: "API server",
      url: "URL",
      token: "Token (sent as Bearer)",
      tokenHelp: "Optional: for a receiver that checks who calls.",
      chat_id: "Channel or chat",
      chatIdExample: "@channel or -1001234567890",
      bot_token: "Bot token",
      group_id: "Community id",
      vk_access_token: "Access token (a community admin's)",
      page_id: "Page id",
      graph_version: "Graph API version",
      video_api_base: "Video upload server",
      facebook_access_token: "Page access token",
      ig_user_id: "Instagram account id",
      poll_interval_s: "Media status every (seconds)",
      poll_timeout_s: "Media processing limit (seconds)",
      access_token: "Access token",
      username: "X handle (for post links)",
      media_timeout_s: "Video processing limit (seconds)",
      x_access_token: "Access token (OAuth 2.0 user)",
      privacy_status: "Visibility",
      privacy: { public: "public", unlisted: "unlisted", private: "private" },
      publish_delay_s: "Publish after (seconds, private only)",
      category_id: "Category id",
      token_uri: "OAuth token endpoint",
      chunk_size: "Upload chunk (bytes)",
      app_id: "Meta app id (to see when the token expires)",
      app_secret: "Meta app secret",
      appSecretHelp: "Optional, with the app id: Meta says when a token expires to the app itself.",
      x_client_id: "OAuth 2.0 client id (to renew tokens)",
      x_refresh_token: "Refresh token (offline.access)",
      xRefreshTokenHelp: "With it the column renews its two-hour access token by itself.",
      x_client_secret: "OAuth 2.0 client secret",
      xClientSecretHelp: "For a confidential client (Web App, Automated App or Bot).",
      refresh_token: "Refresh token",
      client_id: "OAuth client id",
      client_secret: "OAuth client secret",
      instance_url: "Instance URL",
      handle: "Handle",
      service: "PDS (service)",
      app_password: "App password",
    },
  },

  // RSS and Atom feeds: the dialog, a feed's row, adding one
  feeds: {
    status: { ok: "OK", new: "Not polled yet", failing: "Failing" },
    failuresInARow: (n) => ` (${n} failures in a row)`,
    pollNow: "Poll now",
    removeLabel: (name) => `Remove the feed ${name}`,
    removeTitle: "Remove this feed?",
    removeMessage: (name) => `${name} is no longer polled. Its materials stay.`,
    remove: "Remove",
    every: (every) => `every ${every}`,
    polled: (when) => ` · polled ${when}`,
    next: (when) => ` · next ${when}`,
    url: "Feed URL",
    pollEvery: "Poll every",
    sectionPlaceholder: "Section (optional)",
    section: "Section",
    inboxLabel: "New items go to",
    noInbox: "No inbox",
    addTitle: "Add a feed",
    everyWord: "every",
    itemsTo: "new items to",
    add: "Add feed",
    title: "Feeds",
    none: "No feeds yet.",
    dialogTitle: "RSS and Atom feeds",
    intro: "Each feed is polled on its own clock; its new items become materials.",
    close: "Close",
  },

  // "Suggest" in the card editor: AI drafts
  suggest: {
    off: "AI drafts are off",
    offHere: "AI drafts are off on this server.",
    ready: "Drafts of this text for this network, written by the AI",
    button: "Suggest",
    buttonOff: "Suggest: AI drafts are off",
    hide: "Hide",
    pick: "AI drafts: pick one to use it",
    hideDrafts: "Hide the drafts",
    drafts: "AI drafts",
    busy: "Suggesting…",
    writing: "Writing drafts…",
    nothing: "The AI gave no usable text. Try again.",
  },

  // The materials panel
  materials: {
    title: "Materials",
    aiDraft: "Let the AI write the text (the card waits for approval)",
    open: "Open the material",
    addTo: "Add to a column… (Enter)",
    published: (when) => `Published ${when}`,
    arrived: (when) => `Arrived ${when}`,
    hasImage: "Has an image",
    hasVideo: "Has a video",
    sentOn: (name) => `Sent on ${name}`,
    queuedIn: (name) => `Queued in ${name}`,
    searchPlaceholder: "Search materials…",
    search: "Search materials",
    more: "More results",
    feedsTitle: "RSS and Atom sources",
    feeds: "Feeds",
    hint: "Drag a material into a column, or press Enter on it, to make a card of it.",
    close: "Close the materials panel",
    offline: "Offline: search again when the board is back online.",
    failed: (why) => `Search failed: ${why}`,
    searching: "Searching…",
    newest: "Newest materials",
    none: "No materials yet. They arrive from the CMS (POST /api/materials) and from RSS feeds.",
    nothing: (q) => `Nothing found for “${q}”`,
    found: (n, more, q) => `${n}${more ? "+" : ""} found for “${q}”`,
    noColumns: "No columns yet",
    noColumnsMessage: "An administrator adds a column for each network first.",
    closeButton: "Close",
    column: "Column",
    addTitle: "Add to a column",
    addCard: "Add card",
    where: "Where",
    atEnd: "At the end of the queue",
    onTop: "On top",
  },

  // Approval of authors' cards (CONTRACT §12): the card's row and the top bar's filter
  approval: {
    waiting: "Waiting for approval",
    approve: "Approve",
    approveTitle: "Approve: the card takes its slot in the queue",
    filter: "Waiting for approval",
    filterOn: "Showing only cards waiting for approval: click to show every card",
    filterOff: "Show only the cards waiting for approval",
    changedMeanwhile: "The card changed since you read it: read it again, then approve",
    couldNot: "Could not approve",
  },

  // The Breaking news dialog
  breaking: {
    title: "Breaking news",
    text: "Text",
    textPlaceholder: "Write the story once: it goes to every column you choose",
    link: "Link",
    variants: "Per-network texts",
    variantFor: (label) => `Text for ${label}`,
    sameAsAbove: "Empty: the text above",
    when: "When",
    now: "Publish now",
    nowHint: "at once, out of turn, even in paused or held columns",
    top: "Top of the queue",
    topHint: "first in line, at each column's next slot",
    hold: "Hold the rest",
    holdHint: "Every other scheduled post, on every column, waits until the hold is released.",
    holdTopHint: "Held columns publish nothing from their queues, these new cards included.",
    reason: "Reason (everyone sees it)",
    // The hold's reason, from the story's first line (as it is when it says "breaking" itself).
    reasonFrom: (text) => (/^breaking\b/i.test(text) ? text : `Breaking: ${text}`),
    until: "Until (optional)",
    cancel: "Cancel",
    next: "Publish…",
    back: "Back",
    confirmTitle: "Publish this breaking post?",
    confirmNow: (n) => `Publish now to ${n} column${n === 1 ? "" : "s"}`,
    confirmTop: (n) => `Put on top of ${n} queue${n === 1 ? "" : "s"}`,
    confirmHold: (reason, until) => `and hold every other scheduled post: “${reason}”${until ? ` until ${until}` : ""}`,
    noColumns: "Choose at least one column",
    empty: "Write a text or give a link",
    tooLong: (label, n, limit) => `Too long for ${label} (${n} / ${limit}): shorten it or write a ${label} text`,
    noReason: "Give a reason for the hold",
    pastUntil: "The hold's end must be ahead",
    failed: (why) => `Nothing was published: ${why}`,
    close: "Close",
    counter: (label, n, limit) => (limit ? `${label} ${n} / ${limit}` : `${label} ${n}`),
  },

  // The columns chooser of the Breaking news dialog
  chooser: {
    columns: "Columns",
    byNetwork: "By network",
    network: (label, n) => `${label} · ${n}`,
    networkTitle: (label) => `Tick or untick every ${label} column`,
    all: "All running",
    none: "None",
    paused: "paused",
    held: "held",
    stopped: "stopped",
  },

  // "Don't publish after": a card's expires_at
  expiry: {
    label: "Don't publish after",
    none: "No limit",
    hour: "1 h from now",
    threeHours: "3 h from now",
    endOfDay: "End of day",
    at: "A time…",
    kept: (when) => `${when} (as set)`,
    time: "Time limit (local time)",
    past: "Pick a time that is still ahead",
  },

  // The holds banner
  holds: {
    onHold: "On hold",
    who: (email) => `by ${email}`,
    since: (when) => `since ${when}`,
    until: (when) => `until ${when}`,
    columns: (n, all) => (all ? "every column" : `${n} column${n === 1 ? "" : "s"}`),
    release: "Release",
    releaseLabel: (reason) => `Release the hold: ${reason}`,
    someone: "someone",
  },

  // Where a breaking post went, column by column
  outcomes: {
    title: "Where it went",
    waiting: "Waiting…",
    queued: (when) => `Queued · ${when}`,
    queuedHeld: "Queued: the column is held",
    queuedPaused: "Queued: the column is paused",
    queuedNoSlot: "Queued",
    sending: "Sending…",
    sent: "Sent",
    view: "View the post",
    failed: (why) => `Failed: ${why}`,
    needsCheck: "Did it go out? Check the channel",
    expired: "Expired: not published",
    removed: "Removed from the queue",
    held: (reason) => `Holding the rest: ${reason}`,
    close: "Close",
  },

  // Starting from a material (the Breaking news dialog)
  picker: {
    search: "Start from a material (search)",
    placeholder: "Start from a material: search…",
    from: (title) => `From: ${title}`,
    clear: "Do not use this material",
    nothing: (q) => `Nothing found for “${q}”`,
    failed: (why) => `Search failed: ${why}`,
  },

  // Who else is on the board, and who edits what
  presence: {
    isEditing: (names, count) => `${names} ${count > 1 ? "are" : "is"} editing`,
    and: (names) => (names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0] ?? ""),
    here: (email) => `${email} has the board open`,
    hereEditing: (email, what) => `${email} is editing ${what}`,
    aCard: "a card",
    more: (n) => `+${n}`,
    onBoard: "Also on the board",
    warnTitle: (names, count) => `${names} ${count > 1 ? "are" : "is"} editing this card.`,
    warnBody: "Your changes and theirs may overwrite each other.",
    editAnyway: "Edit anyway",
    cancel: "Cancel",
  },

  // A card's story (its history dialog)
  story: {
    title: "History of this card",
    loading: "Loading…",
    failed: "The history could not be loaded",
    empty: "Nothing recorded yet",
    older: "Older events are not shown",
    server: "Metronome",
    what: {
      "snippet.create": () => "created it",
      "snippet.draft": () => "had the AI draft it",
      "snippet.update": (args) => {
        if ("interval_s" in args) return "changed the interval";
        if ("body" in args) return "edited the text";
        if ("url" in args) return "changed the link";
        if ("media_ids" in args) return "changed the pictures";
        return "edited it";
      },
      "snippet.move": (args, columnName) =>
        (args.platform_id !== undefined && columnName(args.platform_id)
          ? `moved it to ${columnName(args.platform_id)}` : "moved it in the queue"),
      "snippet.approve": () => "approved it",
      "snippet.delete": () => "deleted it",
      "snippet.restore": () => "restored it",
      "snippet.send_now": () => "asked to send it now",
      "snippet.retry": () => "put it back to be sent again",
      "snippet.mark_sent": () => "marked it as sent",
      "platform.clear": () => "cleared its column",
      "platform.restore": () => "restored its column's cards",
      "poster.take": () => "started publishing it",
      "poster.finish": (args) => ({
        sent: "published it",
        failed: "could not publish it",
        needs_check: "could not tell whether it went out",
        pending: "put it back in the queue",
      }[args.status] ?? `marked it ${args.status}`),
      "poster.hold": (args) => `was told to wait by the network (${Math.round(args.retry_after_s ?? 0)} s)`,
      "poster.abandon": () => "stopped while publishing it",
      "feed.poll": () => "brought it from a feed",
      "materials.upsert": () => "updated it from the CMS",
    },
  },

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

  // Phone layout, the card menu and accessibility (issue 21)
  cardMenu: {
    button: "Card actions (M)",
    label: (words) => `Actions: ${words}`,
    up: "Move up",
    down: "Move down",
    top: "Move to the top",
    bottom: "Move to the end",
    toColumn: "Move to another column…",
    toColumnTitle: "Move to the top of…",
    back: "Back",
    edit: "Edit",
    sendNow: "Send now",
    intervalFromHere: "Interval from here",
    delete: "Delete",
    removeMarker: "Remove this interval change",
    openLink: "Open the link",
    approve: "Approve",
  },
  // A queued card read out: "2 of 7, at 10:30, The mayor resigns…"
  cardPlace: (index, count, when, words) => [`${index} of ${count}`, when, words].filter(Boolean).join(", "),
  cardAt: (time) => `at ${time}`,
  cardWaiting: "waiting for approval",
  markerPlace: (index, count, text) => `${index} of ${count}, interval change, ${text}`,
  phone: {
    switcher: "Columns",
    column: "Column",
    previous: "Previous column",
    nextColumn: "Next column",
    position: (index, count) => `${index} of ${count}`,
  },
  noColumnFocused: "Focus a card or a column first",
  // Rows added to the keyboard help (M.shortcuts) for the keys of issue 21.
  moreShortcuts: [
    ["M", "Open the focused card's menu: move, edit, send now, delete (also Shift + F10)"],
    ["N", "New card in the focused column"],
    ["P", "Pause or resume the focused column"],
    ["C", "Clear the focused column's queue (asks first)"],
    ["S", "Send the focused card now (asks first)"],
    ["Home / End", "Go to the first or last card of the column"],
  ],
  // Posts made outside Metronome (CONTRACT §9): external cards in a column's history, and a
  // watcher that cannot look at the account
  watch: {
    external: "posted outside Metronome",
    externalTitle: "Found on the account by the column's watcher: it was posted on the network directly, not from this board. It counts for the column's rhythm and is never published.",
    failing: (why) => `Not watching the account for posts made outside Metronome: ${why}`,
    toggle: "Count posts made outside Metronome",
    toggleTitle: "Look at the account regularly: posts made on the network directly appear in History, and the queue keeps its spacing from them.",
    every: "Look for outside posts every (seconds)",
    everyHelp: "Default 300; at least 5.",
  },
  // Alerts (CONTRACT §10): the admin's Alerts dialog and the top bar's button (web/static/js/alerts.js)
  alerts: {
    button: "Alerts",
    buttonTitle: "Alerts: who hears about trouble at night",
    failingTitle: (names) => `Alerts: ${names.join(", ")} ${names.length === 1 ? "is" : "are"} failing`,
    title: "Alerts",
    intro: "When a column stops, a card fails or a queue runs dry, these targets hear of it: "
      + "one sentence with a link to the board, at most once per 30 minutes for the same thing.",
    listLabel: "Alert targets",
    empty: "No alert targets yet: nobody hears of trouble until they open the board.",
    kinds: { webhook: "Webhook", telegram: "Telegram", email: "E-mail" },
    status: { ok: "Working", failing: "Failing", new: "Not tried yet" },
    events: {
      column_stopped: "A column stops (credentials rejected)",
      card_failed: "A card fails",
      card_needs_check: "A card needs checking",
      queue_dry: "A queue runs dry",
      feed_failing: "A feed is failing",
      token_expiring: "A token expires within a week",
    },
    allEvents: "Every event",
    noEvents: "No events: this target hears nothing",
    eventsLegend: "Send alerts when",
    fields: {
      url: "URL", chat_id: "Chat", bot_token: "Bot token", api_base: "Bot API address (optional)",
      to: "To", host: "SMTP server (optional)", port: "Port (optional)", user: "SMTP user (optional)",
      password: "SMTP password (optional)", from: "From (optional)", tls: "Encryption",
    },
    placeholders: {
      name: "Night desk", url: "https://hooks.example/metronome", chat_id: "@nightdesk or -1001234567890",
      bot_token: "123456:ABC… from @BotFather", api_base: "https://api.telegram.org",
      to: "desk@newsroom.example, chief@newsroom.example", host: "from METRONOME_SMTP_HOST",
    },
    tls: { starttls: "STARTTLS when offered", ssl: "SSL/TLS", none: "None" },
    secretsKept: "Secrets left empty keep their saved value.",
    kind: "Kind",
    name: "Name",
    addTitle: "Add an alert target",
    editTitle: (name) => `Edit ${name}`,
    add: "Add",
    save: "Save",
    edit: "Edit",
    delete: "Delete",
    deleteTitle: (name) => `Delete the alert target ${name}?`,
    deleteMessage: "It hears no more alerts.",
    test: "Send a test alert",
    testing: "Sending…",
    delivered: "Delivered: the test alert got through.",
    notDelivered: (error) => `Not delivered: ${error}`,
    lastError: (error, when) => (when ? `${error} (${when})` : error),
    lastOk: (when) => `last delivered ${when}`,
    added: (name) => `Alert target ${name} added.`,
    saved: (name) => `Alert target ${name} saved.`,
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
  const { what, tries, seconds } = failureKind(status, raw);
  const tried = tries ? ` (tried ${tries} times)` : "";
  const words = {
    unsure: [`${net} did not answer${seconds ? ` in ${seconds} s` : ""}: check whether it went out.`,
      "“It went out” records it; “Send again” may post it twice."],
    credentials: [`${net} refused the column's credentials.`, "An admin replaces them in the column's settings."],
    drafts: ["The drafts inbox publishes nowhere.", "Drag the card to a network's column."],
    unreachable: [`Could not reach ${net}${tried}.`, "Nothing went out. Retry when the network is back."],
    too_long: [`The text is too long for ${net}.`, "Shorten it and retry."],
    media: [`${net} could not take this card's image or video.`, "Check the media, then retry."],
    server: [`${net} had a server error${tried}.`, "Retry in a few minutes."],
    refused: [`${net} refused this post.`, "Retry, or change the card first."],
  }[what];
  return { title: words[0], hint: words[1] };
}

const TABLES = { en: EN, ru: RU };

/** `table` with every key it lacks taken from `base` (a table being translated still reads). */
function withFallback(table, base) {
  if (table === base) return table;
  const out = { ...base };
  for (const [key, value] of Object.entries(table)) {
    const fallback = base[key];
    const nested = value && fallback && typeof value === "object" && typeof fallback === "object"
      && !Array.isArray(value);
    out[key] = nested ? withFallback(value, fallback) : value;
  }
  return out;
}

/** The page's words, in the page's language. */
export const M = withFallback(TABLES[lang] ?? EN, EN);

// The board page: wires the connection, the store, the board and the top bar together.

import { createActions } from "./actions.js";
import { AlertsButton, followLinks } from "./alerts.js";
import { WaitingFilter } from "./approval.js";
import { Board } from "./board.js";
import { clicksPatched } from "./clicks.js";
import { BreakingDialog } from "./breaking.js";
import { columnDialog } from "./columndialog.js";
import { setText } from "./dom.js";
import { watchFailures } from "./failures.js";
import { columnFinder, finderKeys } from "./finder.js";
import { refreshFeeds } from "./feeds.js";
import { HoldBanner } from "./holds.js";
import { MaterialsPanel } from "./materials.js";
import { EditingReporter, PresenceBar } from "./presence.js";
import { mayEdit, mayWrite } from "./roles.js";
import { Connection } from "./socket.js";
import { Store } from "./store.js";
import { everyHalfMinute, everySecond } from "./time.js";
import { showShortcuts } from "./shortcuts.js";
import { ColumnSwitcher } from "./phone.js";
import { foldTopBar } from "./topmenu.js";
import { accountDialog, usersDialog } from "./users.js";
import { M } from "./messages.js";
import { languageSelect, localize } from "./i18n.js";

localize(document, M);
// The language switch sits before the account button; switching reloads the page in it.
document.getElementById("me").before(languageSelect(M.language));

const store = new Store();
const banner = document.getElementById("connection-banner");
const bannerText = document.getElementById("connection-text");
const live = document.getElementById("live-indicator");
let countdown = null;

function goToLogin() {
  location.assign("/login");
}

function showStatus({ state, retryInMs }) {
  clearInterval(countdown);
  live.dataset.state = state;
  setText(live, M.liveState[state]);
  document.body.classList.toggle("is-offline", state === "lost");
  if (state !== "lost") {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  const until = Date.now() + retryInMs;
  const paint = () => {
    const seconds = Math.ceil((until - Date.now()) / 1000);
    setText(bannerText, seconds > 0 ? M.reconnectingIn(seconds) : M.reconnecting);
  };
  paint();
  if (retryInMs > 0) countdown = setInterval(paint, 1000);
}

let board = null;
let materials = null;
let editing = null;
let failures = null;
let holds = null;
let breaking = null;
let alertsButton = null;
let linked = false;
const presence = new PresenceBar(document.getElementById("presence"), store);
const waiting = new WaitingFilter(document.getElementById("waiting-filter"), store, () => board.render());
const conn = new Connection({
  onState: (full) => {
    store.reset(full);
    showMe();
    board.render();
    switcher.render();
    presence.render();
    waiting.render();
    editing.reconnected();
    holds.render();
    breaking.refresh();
    materials.resync();
    refreshFeeds();
    alertsButton.render();
    if (!linked) followLinks(showTarget); // an alert's link: #platform-ID, #snippet-ID
    linked = true;
  },
  onPatch: (patch) => {
    const raise = failures(patch);
    store.apply(patch);
    if (patch.me) showMe();
    board.render(patch);
    if (patch.platforms) switcher.render();
    presence.render();
    if (patch.snippets) waiting.render();
    raise();
    if (patch.holds || patch.platforms || patch.me) holds.render();
    breaking.refresh();
    // The panel shows materials, and which columns already hold a card of each.
    if (patch.materials || patch.snippets || patch.platforms || patch.me) materials.refresh();
    if (patch.feeds || patch.platforms) refreshFeeds();
    clicksPatched(patch, store);
    if (patch.alerts || patch.me) alertsButton.render();
  },
  onStatus: showStatus,
  onAuthLost: goToLogin,
});
const actions = createActions({
  conn, store, render: () => board.render(), signedOut: () => {
    conn.stop();
    goToLogin();
  },
});
const canEdit = () => mayEdit(store.me.role);
const setup = {
  addColumn: () => columnDialog({ actions, store }),
  editColumn: (platform) => columnDialog({ actions, store, platform }),
  users: () => usersDialog({ actions, store }),
  demo: () => actions.fillDemo(),
};
editing = new EditingReporter(conn);
board = new Board(document.getElementById("board"), {
  store, actions, setup, editing,
  onMaterialDrop: (platformId, materialId, args) => materials.create(platformId, materialId, args),
});
failures = watchFailures(store, { show: showTarget });
// The phone layout (issue 21): a column switcher above the board, the top bar folded.
const switcher = new ColumnSwitcher(document.getElementById("board"), store);
document.querySelector(".workspace").before(switcher.el);
foldTopBar(document.getElementById("topbar"), document.getElementById("top-menu"));
// Authors add materials to columns too (their cards wait for approval).
materials = new MaterialsPanel(document.getElementById("materials"), document.getElementById("materials-toggle"),
  { store, actions, canEdit: () => mayWrite(store.me.role) });
holds = new HoldBanner(document.getElementById("holds-banner"), { store, actions, canEdit });
breaking = new BreakingDialog({ store, actions });
alertsButton = new AlertsButton(document.getElementById("alerts"), { store, conn });
const breakingButton = document.getElementById("breaking");

function showMe() {
  const { email = "", role = "" } = store.me;
  setText(document.getElementById("me-email"), email);
  setText(document.getElementById("me-role"), M.roleBadge[role] ?? role);
  document.body.dataset.role = role;
  for (const id of ["add-column", "users"]) document.getElementById(id).hidden = role !== "admin";
  breakingButton.hidden = !canEdit();
}

/** Bring a card (or a column) a notice is about into view, and focus it. */
function showTarget({ snippetId = null, platformId = null }) {
  // A long queue draws only the cards near sight: the board draws this one first.
  const card = snippetId && board.reveal(snippetId);
  const history = card?.closest("details");
  if (history) history.open = true;
  const target = card || (platformId && document.querySelector(`[data-platform-id="${platformId}"]`));
  target?.scrollIntoView({ block: "nearest", inline: "nearest" });
  if (target) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }
}

document.getElementById("add-column").addEventListener("click", setup.addColumn);
const finder = columnFinder({ columns: () => board.finderColumns(), jump: (id) => board.showColumn(id) });
const findButton = document.getElementById("find-column");
findButton.setAttribute("aria-label", M.bigBoard.finder);
findButton.title = M.bigBoard.finderTitle;
findButton.addEventListener("click", finder.open);
finderKeys(finder.open);
document.getElementById("users").addEventListener("click", setup.users);
document.getElementById("me").addEventListener("click", () => accountDialog({ actions, store }));
document.getElementById("reconnect").addEventListener("click", () => conn.retryNow());
document.getElementById("shortcuts").addEventListener("click", showShortcuts);
breakingButton.addEventListener("click", () => breaking.open());
document.getElementById("logout").addEventListener("click", async () => {
  conn.stop();
  try {
    await fetch("/api/logout", { method: "POST" });
  } finally {
    goToLogin();
  }
});
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable], dialog")) return;
  if (event.key === "?") {
    showShortcuts();
  } else if (event.key === "/") {
    event.preventDefault();
    materials.focusSearch();
  } else if ((event.key === "b" || event.key === "B") && canEdit()) {
    event.preventDefault();
    breaking.open();
  }
});

everySecond(() => board.tick());
everyHalfMinute(() => materials.tick());
conn.start();
// Exposed for debugging from the console (and one browser test that holds patches back).
window.metronome = { store, conn };

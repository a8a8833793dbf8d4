// What the page knows about each platform kind: its name, mark and brand colour.

import { icon } from "./dom.js";
import { M } from "./messages.js";

const KINDS = {
  telegram: { label: M.kindNames.telegram, color: "#26a5e4" },
  vk: { label: M.kindNames.vk, color: "#0077ff" },
  facebook: { label: M.kindNames.facebook, color: "#0866ff" },
  instagram: { label: M.kindNames.instagram, color: "#ff0069" },
  x: { label: M.kindNames.x, color: "var(--text)" },
  youtube: { label: M.kindNames.youtube, color: "#ff0000" },
  mastodon: { label: M.kindNames.mastodon, color: "#6364ff" },
  bluesky: { label: M.kindNames.bluesky, color: "#1185fe" },
  webhook: { label: M.kindNames.webhook, color: "#c026d3" },
  log: { label: M.kindNames.log, color: "var(--muted)" },
  drafts: { label: M.kindNames.drafts, color: "#d97706" },
};

export function network(kind) {
  return KINDS[kind] ?? { label: kind ?? M.kindNames.other, color: "var(--muted)" };
}

/** The network's mark, coloured, with its name for screen readers. */
export function networkIcon(kind) {
  const info = network(kind);
  const el = icon(kind in KINDS ? kind : "generic", "networks", "net-icon");
  el.style.color = info.color;
  el.removeAttribute("aria-hidden");
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", info.label);
  return el;
}

/** Drafts is an inbox: no timer, nothing goes out from it. */
export function isInbox(platform) {
  return platform?.kind === "drafts";
}

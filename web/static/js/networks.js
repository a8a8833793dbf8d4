// What the page knows about each platform kind: its name, mark and brand colour.

import { icon } from "./dom.js";

const KINDS = {
  telegram: { label: "Telegram", color: "#26a5e4" },
  vk: { label: "VK", color: "#0077ff" },
  facebook: { label: "Facebook", color: "#0866ff" },
  instagram: { label: "Instagram", color: "#ff0069" },
  x: { label: "X", color: "var(--text)" },
  youtube: { label: "YouTube", color: "#ff0000" },
  mastodon: { label: "Mastodon", color: "#6364ff" },
  bluesky: { label: "Bluesky", color: "#1185fe" },
  webhook: { label: "Webhook", color: "#c026d3" },
  log: { label: "Server log", color: "var(--muted)" },
  drafts: { label: "Drafts", color: "#d97706" },
};

export function network(kind) {
  return KINDS[kind] ?? { label: kind ?? "Network", color: "var(--muted)" };
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

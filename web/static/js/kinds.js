// Each kind's settings and secrets as the column dialog asks for them (docs/platforms.md has
// the whole story; `docs` is that kind's section there). The adapters check every value on
// save (platforms/*.py validate); these only label the fields and catch what is plainly missing.

const TIMEOUT = { name: "timeout_s", label: "Timeout (seconds)", type: "number", advanced: true, placeholder: "30" };

const apiBase = (example) => ({ name: "api_base", label: "API server", type: "url", advanced: true, placeholder: example });

/** kind → {settings: [field], secrets: [field], docs: anchor, intro}. */
export const KINDS = {
  log: {
    docs: "log-log", intro: "Writes each card to the server log: a column to try the board with.",
    settings: [], secrets: [],
  },
  drafts: {
    docs: "drafts-drafts", intro: "An inbox with no timer: cards wait here until an editor drags them to a network.",
    settings: [], secrets: [], noInterval: true,
  },
  webhook: {
    docs: "webhook-webhook", intro: "POSTs each card as JSON to an address: Slack or Discord through a relay, a CMS…",
    settings: [
      { name: "url", label: "URL", type: "url", required: true, placeholder: "https://hooks.example.org/metronome" },
      { ...TIMEOUT, placeholder: "10" },
    ],
    secrets: [{ name: "token", label: "Token (sent as Bearer)", help: "Optional: for a receiver that checks who calls." }],
  },
  telegram: {
    docs: "telegram-telegram", intro: "Posts to a channel or group as a bot (@BotFather gives the token).",
    settings: [
      { name: "chat_id", label: "Channel or chat", required: true, placeholder: "@channel or -1001234567890" },
      apiBase("https://api.telegram.org"), TIMEOUT,
    ],
    secrets: [{ name: "bot_token", label: "Bot token", required: true, placeholder: "123456789:AA…" }],
  },
  vk: {
    docs: "vk-vk", intro: "Posts to a community wall as the community.",
    settings: [
      { name: "group_id", label: "Community id", required: true, placeholder: "12345" },
      apiBase("https://api.vk.com"), TIMEOUT,
    ],
    secrets: [{ name: "access_token", label: "Access token (a community admin's)", required: true }],
  },
  facebook: {
    docs: "facebook-page-facebook", intro: "Posts to a Facebook Page with a Page access token.",
    settings: [
      { name: "page_id", label: "Page id", required: true, placeholder: "1234567890" },
      { name: "graph_version", label: "Graph API version", advanced: true, placeholder: "v25.0" },
      apiBase("https://graph.facebook.com"),
      { name: "video_api_base", label: "Video upload server", type: "url", advanced: true, placeholder: "https://graph-video.facebook.com" },
      TIMEOUT,
      { name: "app_id", label: "Meta app id (to see when the token expires)", advanced: true, placeholder: "1234567890" },
    ],
    secrets: [
      { name: "access_token", label: "Page access token", required: true },
      { name: "app_secret", label: "Meta app secret", help: "Optional, with the app id: Meta says when a token expires to the app itself." },
    ],
  },
  instagram: {
    docs: "instagram-instagram", intro: "Posts images and reels to a professional account (through Facebook).",
    settings: [
      { name: "ig_user_id", label: "Instagram account id", required: true, placeholder: "17841400000000000" },
      { name: "graph_version", label: "Graph API version", advanced: true, placeholder: "v25.0" },
      apiBase("https://graph.facebook.com"), TIMEOUT,
      { name: "poll_interval_s", label: "Media status every (seconds)", type: "number", advanced: true, placeholder: "60" },
      { name: "poll_timeout_s", label: "Media processing limit (seconds)", type: "number", advanced: true, placeholder: "300" },
      { name: "app_id", label: "Meta app id (to see when the token expires)", advanced: true, placeholder: "1234567890" },
    ],
    secrets: [
      { name: "access_token", label: "Access token", required: true },
      { name: "app_secret", label: "Meta app secret", help: "Optional, with the app id: Meta says when a token expires to the app itself." },
    ],
  },
  x: {
    docs: "x-x", intro: "Posts as an X account with an OAuth 2.0 user token.",
    settings: [
      { name: "username", label: "X handle (for post links)", placeholder: "citynews" },
      apiBase("https://api.x.com"), TIMEOUT,
      { name: "media_timeout_s", label: "Video processing limit (seconds)", type: "number", advanced: true, placeholder: "300" },
      { name: "client_id", label: "OAuth 2.0 client id (to renew tokens)" },
    ],
    secrets: [
      { name: "access_token", label: "Access token (OAuth 2.0 user)", required: true },
      { name: "refresh_token", label: "Refresh token (offline.access)", help: "With it the column renews its two-hour access token by itself." },
      { name: "client_secret", label: "OAuth 2.0 client secret", help: "For a confidential client (Web App, Automated App or Bot)." },
    ],
  },
  youtube: {
    docs: "youtube-youtube", intro: "Uploads a card's video to a channel.",
    settings: [
      { name: "privacy_status", label: "Visibility", type: "select", options: ["public", "unlisted", "private"] },
      { name: "publish_delay_s", label: "Publish after (seconds, private only)", type: "number", advanced: true },
      { name: "category_id", label: "Category id", advanced: true, placeholder: "25" },
      apiBase("https://youtube.googleapis.com"),
      { name: "token_uri", label: "OAuth token endpoint", type: "url", advanced: true, placeholder: "https://oauth2.googleapis.com/token" },
      { ...TIMEOUT, placeholder: "60" },
      { name: "chunk_size", label: "Upload chunk (bytes)", type: "number", advanced: true, placeholder: "8388608" },
    ],
    secrets: [
      { name: "refresh_token", label: "Refresh token", required: true },
      { name: "client_id", label: "OAuth client id", required: true },
      { name: "client_secret", label: "OAuth client secret", required: true },
    ],
  },
  mastodon: {
    docs: "mastodon-mastodon", intro: "Posts statuses to one account on any instance.",
    settings: [
      { name: "instance_url", label: "Instance URL", type: "url", required: true, placeholder: "https://mastodon.social" },
      TIMEOUT,
    ],
    secrets: [{ name: "access_token", label: "Access token", required: true }],
  },
  bluesky: {
    docs: "bluesky-bluesky", intro: "Posts to one Bluesky account with an app password.",
    settings: [
      { name: "handle", label: "Handle", required: true, placeholder: "newsroom.bsky.social" },
      { name: "service", label: "PDS (service)", type: "url", advanced: true, placeholder: "https://bsky.social" },
      TIMEOUT,
    ],
    secrets: [{ name: "app_password", label: "App password", required: true, placeholder: "xxxx-xxxx-xxxx-xxxx" }],
  },
};

export const KIND_ORDER = ["telegram", "vk", "facebook", "instagram", "x", "youtube", "mastodon", "bluesky",
  "webhook", "log", "drafts"];

export function kindSpec(kind) {
  return KINDS[kind] ?? { docs: "", intro: "", settings: [], secrets: [] };
}

export function docsLink(kind) {
  return `/docs/platforms.md#${kindSpec(kind).docs}`;
}

/**
 * The field a server refusal names, if it is one of `names`: "platform.create: chat_id: …",
 * "…: expected interval_s to be at least 60 s…", "…: missing required argument 'name'".
 */
export function fieldOf(message, names) {
  const text = String(message ?? "").replace(/^[\w.]+: /, "");
  const head = text.match(/^(?:settings\.)?([a-z_]+): /) ?? text.match(/^expected (?:settings\.)?([a-z_]+) /)
    ?? text.match(/^missing required argument '([a-z_]+)'/) ?? text.match(/^([a-z_]+) (?:is|must) /);
  return head && names.includes(head[1]) ? head[1] : null;
}

// Each kind's settings and secrets as the column dialog asks for them (docs/platforms.md has
// the whole story; `docs` is that kind's section there). The adapters check every value on
// save (platforms/*.py validate); these only label the fields and catch what is plainly missing.
// The words are in js/messages.js (M.kinds): `intro` by kind, `fields` by field (or kind.field).

import { M } from "./messages.js";

const F = M.kinds.fields;
const INTRO = M.kinds.intro;

const TIMEOUT = { name: "timeout_s", label: F.timeout_s, type: "number", advanced: true, placeholder: "30" };

const apiBase = (example) => ({ name: "api_base", label: F.api_base, type: "url", advanced: true, placeholder: example });

// Watched kinds (CONTRACT §9): how often the account is looked at for posts made outside Metronome.
const WATCH_S = { name: "watch_s", label: M.watch.every, type: "number", advanced: true, placeholder: "300", help: M.watch.everyHelp };

/** kind → {settings: [field], secrets: [field], docs: anchor, intro}. */
export const KINDS = {
  log: {
    docs: "log-log", intro: INTRO.log,
    settings: [], secrets: [],
  },
  drafts: {
    docs: "drafts-drafts", intro: INTRO.drafts,
    settings: [], secrets: [], noInterval: true,
  },
  webhook: {
    docs: "webhook-webhook", intro: INTRO.webhook,
    settings: [
      { name: "url", label: F.url, type: "url", required: true, placeholder: "https://hooks.example.org/metronome" },
      { ...TIMEOUT, placeholder: "10" },
    ],
    secrets: [{ name: "token", label: F.token, help: F.tokenHelp }],
  },
  telegram: {
    watchable: true,
    docs: "telegram-telegram", intro: INTRO.telegram,
    settings: [
      { name: "chat_id", label: F.chat_id, required: true, placeholder: F.chatIdExample },
      apiBase("https://api.telegram.org"), TIMEOUT,
      WATCH_S,
    ],
    secrets: [{ name: "bot_token", label: F.bot_token, required: true, placeholder: "123456789:AA…" }],
  },
  vk: {
    watchable: true,
    docs: "vk-vk", intro: INTRO.vk,
    settings: [
      { name: "group_id", label: F.group_id, required: true, placeholder: "12345" },
      apiBase("https://api.vk.com"), TIMEOUT,
      WATCH_S,
    ],
    secrets: [{ name: "access_token", label: F.vk_access_token, required: true }],
  },
  facebook: {
    watchable: true,
    docs: "facebook-page-facebook", intro: INTRO.facebook,
    settings: [
      { name: "page_id", label: F.page_id, required: true, placeholder: "1234567890" },
      { name: "graph_version", label: F.graph_version, advanced: true, placeholder: "v25.0" },
      apiBase("https://graph.facebook.com"),
      { name: "video_api_base", label: F.video_api_base, type: "url", advanced: true, placeholder: "https://graph-video.facebook.com" },
      TIMEOUT,
      { name: "app_id", label: F.app_id, advanced: true, placeholder: "1234567890" },
      WATCH_S,
    ],
    secrets: [
      { name: "access_token", label: F.facebook_access_token, required: true },
      { name: "app_secret", label: F.app_secret, help: F.appSecretHelp },
    ],
  },
  instagram: {
    watchable: true,
    docs: "instagram-instagram", intro: INTRO.instagram,
    settings: [
      { name: "ig_user_id", label: F.ig_user_id, required: true, placeholder: "17841400000000000" },
      { name: "graph_version", label: F.graph_version, advanced: true, placeholder: "v25.0" },
      apiBase("https://graph.facebook.com"), TIMEOUT,
      { name: "poll_interval_s", label: F.poll_interval_s, type: "number", advanced: true, placeholder: "60" },
      { name: "poll_timeout_s", label: F.poll_timeout_s, type: "number", advanced: true, placeholder: "300" },
      { name: "app_id", label: F.app_id, advanced: true, placeholder: "1234567890" },
      WATCH_S,
    ],
    secrets: [
      { name: "access_token", label: F.access_token, required: true },
      { name: "app_secret", label: F.app_secret, help: F.appSecretHelp },
    ],
  },
  x: {
    watchable: true,
    docs: "x-x", intro: INTRO.x,
    settings: [
      { name: "username", label: F.username, placeholder: "citynews" },
      apiBase("https://api.x.com"), TIMEOUT,
      { name: "media_timeout_s", label: F.media_timeout_s, type: "number", advanced: true, placeholder: "300" },
      { name: "client_id", label: F.x_client_id },
      WATCH_S,
    ],
    secrets: [
      { name: "access_token", label: F.x_access_token, required: true },
      { name: "refresh_token", label: F.x_refresh_token, help: F.xRefreshTokenHelp },
      { name: "client_secret", label: F.x_client_secret, help: F.xClientSecretHelp },
    ],
  },
  youtube: {
    watchable: true,
    docs: "youtube-youtube", intro: INTRO.youtube,
    settings: [
      { name: "privacy_status", label: F.privacy_status, type: "select", options: ["public", "unlisted", "private"], optionLabels: F.privacy },
      { name: "publish_delay_s", label: F.publish_delay_s, type: "number", advanced: true },
      { name: "category_id", label: F.category_id, advanced: true, placeholder: "25" },
      apiBase("https://youtube.googleapis.com"),
      { name: "token_uri", label: F.token_uri, type: "url", advanced: true, placeholder: "https://oauth2.googleapis.com/token" },
      { ...TIMEOUT, placeholder: "60" },
      { name: "chunk_size", label: F.chunk_size, type: "number", advanced: true, placeholder: "8388608" },
      WATCH_S,
    ],
    secrets: [
      { name: "refresh_token", label: F.refresh_token, required: true },
      { name: "client_id", label: F.client_id, required: true },
      { name: "client_secret", label: F.client_secret, required: true },
    ],
  },
  mastodon: {
    watchable: true,
    docs: "mastodon-mastodon", intro: INTRO.mastodon,
    settings: [
      { name: "instance_url", label: F.instance_url, type: "url", required: true, placeholder: "https://mastodon.social" },
      TIMEOUT,
      WATCH_S,
    ],
    secrets: [{ name: "access_token", label: F.access_token, required: true }],
  },
  bluesky: {
    watchable: true,
    docs: "bluesky-bluesky", intro: INTRO.bluesky,
    settings: [
      { name: "handle", label: F.handle, required: true, placeholder: "newsroom.bsky.social" },
      { name: "service", label: F.service, type: "url", advanced: true, placeholder: "https://bsky.social" },
      TIMEOUT,
      WATCH_S,
    ],
    secrets: [{ name: "app_password", label: F.app_password, required: true, placeholder: "xxxx-xxxx-xxxx-xxxx" }],
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

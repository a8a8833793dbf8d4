// What a card's failure was, from its status and the server's raw error (meta.error): the same
// in every language; each table of words (js/messages*.js `explain`) says it in its own.

/** {what, tries, seconds}: what is one of unsure, credentials, drafts, unreachable, too_long,
 * media, server, refused; tries and seconds are null where the error does not say them. */
export function failureKind(status, raw = "") {
  const text = String(raw ?? "");
  const tries = Number(text.match(/after (\d+) tries/)?.[1]) || null;
  const seconds = Number(text.match(/no answer within (\d+) s/)?.[1]) || null;
  let what = "refused";
  if (status === "needs_check") what = "unsure";
  else if (status === "auth_rejected") what = "credentials";
  else if (/drafts inbox publishes nowhere/.test(text)) what = "drafts";
  else if (/could not connect|ConnectError|ClientConnectorError|network error|could not reach|Cannot connect/i.test(text)) {
    what = "unreachable";
  } else if (/characters|too long|caption is too long|allows \d+/i.test(text)) what = "too_long";
  else if (/media|video|image|photo|file/i.test(text)) what = "media";
  else if (/HTTP 5\d\d|server error|temporarily/i.test(text)) what = "server";
  return { what, tries, seconds };
}

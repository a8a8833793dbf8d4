// The sign-in form. It posts as the form itself would (the server answers with a redirect: to
// the board, or back here with ?error=…) through fetch, following the redirect: a refused
// password is then an ordinary page, not a failed request that the browser logs as an error.

import { M } from "./messages.js";
import { languageSelect, localize } from "./i18n.js";

localize(document, M);
document.querySelector("main.login").append(languageSelect(M.language));

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const button = form.querySelector("button[type=submit]");

const MESSAGES = { 1: M.signInRefused, throttled: M.tooManyAttempts };

function fail(message) {
  error.textContent = message;
  error.hidden = false;
  button.disabled = false;
  form.elements.password.select();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  button.disabled = true;
  const body = new URLSearchParams({ email: form.elements.email.value.trim(), password: form.elements.password.value });
  let response;
  try {
    response = await fetch("/api/login", { method: "POST", body });
  } catch {
    fail(M.cannotReach);
    return;
  }
  const landed = new URL(response.url);
  if (landed.pathname === "/" && response.ok) {
    location.replace("/");
  } else if (landed.pathname === "/login") {
    fail(MESSAGES[landed.searchParams.get("error")] ?? MESSAGES[1]);
  } else {
    fail(M.signInFailed(response.status));
  }
});

// Without JavaScript the form posts itself; the server sends a failed attempt back here.
const reason = new URLSearchParams(location.search).get("error");
if (reason) fail(MESSAGES[reason] ?? MESSAGES[1]);

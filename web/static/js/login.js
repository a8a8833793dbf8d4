// The sign-in form: POST /api/login as JSON, then on to the board.

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const button = form.querySelector("button[type=submit]");

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
  const body = JSON.stringify({ email: form.elements.email.value.trim(), password: form.elements.password.value });
  let response;
  try {
    response = await fetch("/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
  } catch {
    fail("Cannot reach the server. Check the connection and try again.");
    return;
  }
  if (response.ok) {
    location.replace("/");
  } else if (response.status === 401) {
    fail("Wrong e-mail or password.");
  } else if (response.status === 429) {
    fail("Too many attempts. Wait a minute and try again.");
  } else {
    fail(`Sign-in failed (${response.status}). Try again in a moment.`);
  }
});

// Without JavaScript the form posts itself; the server sends a failed attempt back here.
if (new URLSearchParams(location.search).has("error")) fail("Wrong e-mail or password.");

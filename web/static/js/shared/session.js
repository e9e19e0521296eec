// Signing in to a staff page, and the socket.io connection with the signed-in token.
import { api, ApiError, whenTokenRefused } from "./api.js";
import { clear, el } from "./dom.js";
import { forgetAll, keptFor } from "./kept.js";

const ENDED = "Your sign-in has ended (it expired or was revoked). Sign in again.";

// A sign-in gate for staff pages: asks for email and password (POST /api/auth/sign-in gives a
// session token that expires), or a token pasted or given in the address (#token=...); checks
// the role with /api/me (`role`: one role, or a list of roles any of which will do) and keeps
// the token in sessionStorage (gone when the tab closes). Resolves with {token, me, signOut}.
// When the server later refuses the token, the page reloads to this form with a word on why.
export function signIn({ role, root, title }) {
  const roles = [].concat(role);
  const named = roles.join(" or ");
  const key = "cascade.token." + roles[0];
  const kindKey = key + ".kind"; // "session": got with a password (it expires)
  const whoKey = key + ".who"; // the email address signed in with
  const endedKey = "cascade.ended." + roles[0];
  return new Promise((resolve) => {
    let attempts = 0; // only the latest sign-in attempt may draw: a slow, older one is ignored
    let done = false;
    const signOut = async (token) => {
      try {
        await api("/api/auth/sign-out", { method: "POST", token });
      } catch (_) {
        /* ended already: nothing to end */
      }
    };
    const enter = async (token, { session, email = null }) => {
      const attempt = ++attempts;
      try {
        const me = await api("/api/me", { token });
        if (!roles.some((r) => me.roles.includes(r))) {
          if (session) await signOut(token);
          const holder = session ? "this account" : "this token";
          throw new ApiError(403, holder + " does not hold the " + named + " role");
        }
        if (attempt !== attempts || done) return;
        done = true;
        sessionStorage.setItem(key, token);
        if (session) sessionStorage.setItem(kindKey, "session");
        else sessionStorage.removeItem(kindKey);
        if (email) sessionStorage.setItem(whoKey, email.toLowerCase());
        else if (!session) sessionStorage.removeItem(whoKey);
        keptFor(sessionStorage.getItem(whoKey) || me.subject || me.roles.join(","));
        clear(root);
        whenTokenRefused(() => {
          sessionStorage.removeItem(key);
          sessionStorage.setItem(endedKey, "1");
          ending = true;
          location.reload();
        });
        resolve({
          token,
          me,
          signOut: async () => {
            whenTokenRefused(null);
            await signOut(token);
            sessionStorage.removeItem(key);
            sessionStorage.removeItem(kindKey);
            sessionStorage.removeItem(whoKey);
            forgetAll();
            location.reload();
          },
        });
      } catch (err) {
        if (attempt !== attempts || done) return;
        sessionStorage.removeItem(key);
        sessionStorage.removeItem(kindKey);
        if (session && err.status === 401) show("password", ENDED);
        else show(session ? "password" : "token", err.message || String(err));
      }
    };
    const withPassword = async (email, password) => {
      const attempt = ++attempts;
      try {
        const browser = knownBrowser(email);
        const session = await api("/api/auth/sign-in", { method: "POST", body: { email, password, browser } });
        rememberBrowser(email, session.browser);
        if (attempt !== attempts || done) return;
        await enter(session.token, { session: true, email });
      } catch (err) {
        if (attempt !== attempts || done) return;
        show("password", err.message || String(err), email);
      }
    };
    const switcher = (mode) =>
      el("button", { type: "button", class: "link", id: "sign-in-" + mode, onclick: () => show(mode, null) },
        mode === "token" ? "Use a token instead" : "Use email and password instead");
    const show = (mode, error, email = "") => {
      clear(root);
      const alert = error ? el("p", { class: "error", role: "alert" }, error) : null;
      let form, first;
      if (mode === "token") {
        first = el("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true, "aria-label": "Token" });
        form = el("form", { class: "signin card", onsubmit: (e) => { e.preventDefault(); enter(first.value.trim(), { session: false }); } },
          el("h1", {}, title),
          el("label", { for: "token" }, "Your " + named + " token"),
          first,
          alert,
          el("button", { type: "submit", class: "primary" }, "Sign in"),
          switcher("password"));
      } else {
        first = el("input", { type: "email", id: "email", name: "email", autocomplete: "username", required: true, value: email });
        const password = el("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true });
        form = el("form", { class: "signin card", onsubmit: (e) => { e.preventDefault(); withPassword(first.value.trim(), password.value); } },
          el("h1", {}, title),
          el("label", { for: "email" }, "Email"),
          first,
          el("label", { for: "password" }, "Password"),
          password,
          alert,
          el("button", { type: "submit", class: "primary" }, "Sign in"),
          switcher("token"));
        if (email) {
          root.append(form);
          password.focus();
          return;
        }
      }
      root.append(form);
      first.focus();
    };
    const ended = sessionStorage.getItem(endedKey);
    sessionStorage.removeItem(endedKey);
    const kept = sessionStorage.getItem(key);
    // A link's token comes before the one this tab kept: whoever opens a link means to be its holder.
    const linked = linkedToken();
    const saved = linked || kept;
    if (saved) {
      if (location.hash) history.replaceState(null, "", location.pathname + location.search);
      enter(saved, { session: !linked && sessionStorage.getItem(kindKey) === "session" });
    } else {
      show("password", ended ? ENDED : null);
    }
  });
}

// Whether the page is reloading because the server refused its sign-in: a page that keeps its
// unsaved work for the tab (shared/kept.js) need not ask "leave this page?" then, as the work
// comes back once its user has signed in again.
let ending = false;
export function signInEnding() {
  return ending;
}

// What the server gave this browser with its last sign-in to an account, sent with the next: a
// browser the account signed in from before is not held up by failed sign-ins from elsewhere
// (someone guessing the password). Kept in localStorage, by email address, as the server says.
const BROWSER = "cascade.browser.";
function knownBrowser(email) {
  try {
    return localStorage.getItem(BROWSER + email.toLowerCase()) || undefined;
  } catch (_) {
    return undefined; // storage refused: a stranger each time
  }
}
function rememberBrowser(email, token) {
  try {
    if (token) localStorage.setItem(BROWSER + email.toLowerCase(), token);
  } catch (_) {
    /* storage refused */
  }
}

function linkedToken() {
  return new URLSearchParams(location.hash.slice(1)).get("token");
}

// A link with a token opened in a tab already showing the page changes only the address's
// #token= part, which does not load the page again: load it, so the link's token signs in.
window.addEventListener("hashchange", () => {
  if (linkedToken()) location.reload();
});

// The page's socket.io connection (the client is /vendor/socket.io.js, a classic script that
// defines `io`); null when that script did not load, so the page falls back to polling.
export function socket(token) {
  if (typeof window.io !== "function") return null;
  return window.io({ path: "/socket.io/", auth: { token }, transports: ["websocket", "polling"] });
}

// Signing in to a staff page, and the socket.io connection with the signed-in token.
import { api, ApiError } from "./api.js";
import { clear, el } from "./dom.js";

// A sign-in gate for staff pages: asks for a token, checks its role with /api/me (`role` is one
// role, or a list of roles any of which will do), keeps it in sessionStorage (gone when the tab
// closes). Resolves with {token, me, signOut}.
export function signIn({ role, root, title }) {
  const roles = [].concat(role);
  const named = roles.join(" or ");
  const key = "cascade.token." + roles[0];
  return new Promise((resolve) => {
    let attempts = 0; // only the latest sign-in attempt may draw: a slow, older one is ignored
    let done = false;
    const tryToken = async (token) => {
      const attempt = ++attempts;
      try {
        const me = await api("/api/me", { token });
        if (!roles.some((r) => me.roles.includes(r))) {
          throw new ApiError(403, "this token does not hold the " + named + " role");
        }
        if (attempt !== attempts || done) return;
        done = true;
        sessionStorage.setItem(key, token);
        clear(root);
        resolve({ token, me, signOut: () => { sessionStorage.removeItem(key); location.reload(); } });
      } catch (err) {
        if (attempt !== attempts || done) return;
        sessionStorage.removeItem(key);
        show(err.message || String(err));
      }
    };
    const show = (error) => {
      clear(root);
      const input = el("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true, "aria-label": "Token" });
      const form = el("form", { class: "signin card", onsubmit: (e) => { e.preventDefault(); tryToken(input.value.trim()); } },
        el("h1", {}, title),
        el("label", { for: "token" }, "Your " + named + " token"),
        input,
        error ? el("p", { class: "error", role: "alert" }, error) : null,
        el("button", { type: "submit", class: "primary" }, "Sign in"));
      root.append(form);
      input.focus();
    };
    const saved = sessionStorage.getItem(key) || new URLSearchParams(location.hash.slice(1)).get("token");
    if (saved) {
      if (location.hash) history.replaceState(null, "", location.pathname + location.search);
      tryToken(saved);
    } else {
      show(null);
    }
  });
}

// The page's socket.io connection (the client is /vendor/socket.io.js, a classic script that
// defines `io`); null when that script did not load, so the page falls back to polling.
export function socket(token) {
  if (typeof window.io !== "function") return null;
  return window.io({ path: "/socket.io/", auth: { token }, transports: ["websocket", "polling"] });
}

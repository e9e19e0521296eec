// Shared by every face: JSON API calls, DOM building that escapes by construction, sign-in.
// Text is only ever put into the page with textContent (never innerHTML), so a message such as
// <img src=x onerror=alert(1)> shows as text. The one exception, the editor's Markdown preview,
// goes through DOMPurify.
(function () {
  "use strict";

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path, { method = "GET", body, token, raw = false, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = "Bearer " + token;
    let payload = body;
    if (body !== undefined && typeof body !== "string") {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(path, { method, headers: h, body: payload });
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const data = await response.json();
        detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
      } catch (_) {
        /* not JSON */
      }
      throw new ApiError(response.status, detail);
    }
    if (raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }

  // el("div", {class: "x", onclick: fn, dataset: {id: 1}}, "text", otherNode, [more])
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else if (key === "dataset") {
        Object.assign(node.dataset, value);
      } else if (key === "class") {
        node.className = value;
      } else if (value === true) {
        node.setAttribute(key, "");
      } else {
        node.setAttribute(key, String(value));
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min" + (s % 60 ? " " + (s % 60) + " s" : "");
    const h = Math.floor(m / 60);
    return h + " h " + (m % 60) + " min";
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }

  // A sign-in gate for staff pages: asks for a token, checks its role with /api/me, keeps it in
  // sessionStorage (gone when the tab closes). Resolves with {token, me}.
  function signIn({ role, root, title }) {
    const key = "cascade.token." + role;
    return new Promise((resolve) => {
      let attempts = 0; // only the latest sign-in attempt may draw: a slow, older one is ignored
      let done = false;
      const tryToken = async (token) => {
        const attempt = ++attempts;
        try {
          const me = await api("/api/me", { token });
          if (!me.roles.includes(role)) {
            throw new ApiError(403, "this token does not hold the " + role + " role");
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
          el("label", { for: "token" }, "Your " + role + " token"),
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

  function socket(token) {
    // eslint-disable-next-line no-undef
    return io({ path: "/socket.io/", auth: { token }, transports: ["websocket", "polling"] });
  }

  window.Cascade = { api, ApiError, el, append, clear, duration, when, signIn, socket };
})();

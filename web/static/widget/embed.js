// Cascade chat widget. A company adds one tag to its pages:
//   <script src="https://support.example.com/widget.js" async></script>
// Optional attributes: data-title="Chat with us" (the launcher), data-company="Tidewater Bank"
// (the chat's heading), data-name / data-email (a signed-in customer), data-user-id +
// data-user-hash (the company's id for the customer and its hex HMAC-SHA256 with the company's
// identity secret, computed on the company's server: an id without a good hash is ignored),
// data-open="true" (open at once), data-lang="ja" (the chat's language from the start; without
// it, the browser's language when Cascade speaks it; either way the customer's own messages,
// written surely in another language Cascade speaks, switch the chat to that one).
// The chat itself runs in an iframe on Cascade's own origin, so the host page's scripts and
// styles never touch it; this file only draws the launcher, whose label (unless data-title
// gives one) comes from Cascade in the chat's language.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__cascadeWidget) return;
  window.__cascadeWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var lang = script.getAttribute("data-lang");
  var title = script.getAttribute("data-title");

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.id = "cascade-launcher";
  var label = document.createElement("span");
  label.textContent = title || "💬";
  // Replies that came while the chat was closed: a count on the launcher.
  var badge = document.createElement("span");
  badge.id = "cascade-unread";
  style(badge, {
    display: "none", marginLeft: "8px", padding: "1px 7px", borderRadius: "10px", background: "#c62828",
    color: "#fff", font: "700 13px system-ui, sans-serif"
  });
  launcher.appendChild(label);
  launcher.appendChild(badge);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "cascade-frame");
  style(launcher, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483646",
    padding: "12px 18px", borderRadius: "24px", border: "0", cursor: "pointer",
    background: "#0b5cad", color: "#fff", font: "600 15px system-ui, sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", outlineOffset: "3px"
  });
  // A focus ring that shows on any page behind it (the button itself is dark blue).
  launcher.addEventListener("focus", function () { launcher.style.outline = "3px solid #f9a825"; });
  launcher.addEventListener("blur", function () { launcher.style.outline = "none"; });

  // What the next page of the site (this tab only) needs to know: "cascade.open", the chat was
  // left open, so it opens again; "cascade.chat", a chat is under way, even closed, so it loads
  // hidden and replies that come while the customer browses are counted on the launcher there.
  function keep(key, on) {
    try {
      if (on) sessionStorage.setItem(key, "1");
      else sessionStorage.removeItem(key);
    } catch (e) { /* a page that refuses storage: the chat starts closed, the count from 0 */ }
  }
  function kept(key) {
    try { return sessionStorage.getItem(key) === "1"; } catch (e) { return false; }
  }

  var frame = null;
  var hiddenLoad = false; // the frame was loaded hidden, to count replies only
  function open() {
    keep("cascade.open", true);
    if (!frame) load(false);
    frame.style.display = "block";
    launcher.setAttribute("aria-expanded", "true");
    launcher.style.display = narrow() ? "none" : "block";
    frame.focus();
    post("cascade:focus");
  }
  // The chat's frame; `hidden`: loaded closed, only to count replies (it starts no chat).
  function load(hidden) {
    var src = new URL(origin + "/chat");
    src.searchParams.set("embed", "1");
    hiddenLoad = hidden;
    if (hidden) src.searchParams.set("preload", "1");
    src.searchParams.set("page", location.href);
    if (script.getAttribute("data-company")) src.searchParams.set("title", script.getAttribute("data-company"));
    if (lang) src.searchParams.set("lang", lang);
    ["name", "email", "user-id", "user-hash"].forEach(function (key) {
      var value = script.getAttribute("data-" + key);
      if (value) src.searchParams.set(key.replace("-", "_"), value);
    });
    frame = document.createElement("iframe");
    frame.id = "cascade-frame";
    frame.title = label.textContent;
    frame.src = src.toString();
    frame.setAttribute("allow", "clipboard-write");
    frame.addEventListener("load", function () {
      if (frame.style.display !== "none") post("cascade:focus");
    });
    place();
    if (hidden) frame.style.display = "none";
    document.body.appendChild(frame);
  }
  function close() {
    keep("cascade.open", false);
    if (frame) frame.style.display = "none";
    post("cascade:hidden");
    launcher.setAttribute("aria-expanded", "false");
    launcher.style.display = "block";
    launcher.focus();
  }
  function narrow() {
    return window.innerWidth < 520;
  }
  function place() {
    if (!frame) return;
    var base = { position: "fixed", zIndex: "2147483647", border: "0", background: "#fff",
      boxShadow: "0 8px 30px rgba(0,0,0,.3)" };
    if (narrow()) {
      style(frame, Object.assign(base, { inset: "0", width: "100%", height: "100%",
        right: "0", bottom: "0", borderRadius: "0" }));
    } else {
      style(frame, Object.assign(base, { inset: "auto", right: "20px", bottom: "76px",
        width: "380px", height: "min(620px, calc(100vh - 100px))", borderRadius: "12px" }));
    }
  }
  function post(type) {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage({ type: type }, origin);
  }
  function unread(count) {
    badge.textContent = String(count);
    badge.style.display = count ? "inline-block" : "none"; // a page's CSS may style [hidden]
    launcher.setAttribute("aria-label", count ? label.textContent + " (" + count + ")" : label.textContent);
    if (!count) launcher.removeAttribute("aria-label");
  }
  function style(node, values) {
    for (var key in values) node.style[key] = values[key];
  }

  launcher.addEventListener("click", function () {
    if (frame && frame.style.display !== "none") close();
    else open();
  });
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data) return;
    if (event.data.type === "cascade:close") close();
    if (event.data.type === "cascade:unread") unread(Number(event.data.count) || 0);
    if (event.data.type === "cascade:chat") {
      keep("cascade.chat", !!event.data.active);
      if (!event.data.active && frame && hiddenLoad) {
        // Loaded to count replies, but the chat is gone: dropped; opening starts a new one.
        var shown = frame.style.display !== "none";
        frame.remove();
        frame = null;
        if (shown) open();
      }
    }
  });
  window.addEventListener("resize", place);

  // The launcher's words, in the language the chat will start in (a symbol stands in until
  // they arrive, and if Cascade cannot be reached).
  function words() {
    if (title) return;
    var query = new URLSearchParams();
    [lang].concat(navigator.languages || [navigator.language]).slice(0, 10).forEach(function (locale) {
      if (locale) query.append("locale", locale);
    });
    fetch(origin + "/api/widget/words?" + query.toString())
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) {
        if (found && found.words["widget.launcher"]) label.textContent = found.words["widget.launcher"];
        if (found) launcher.lang = found.language;
      })
      .catch(function () {});
  }

  function ready() {
    document.body.appendChild(launcher);
    words();
    if (script.getAttribute("data-open") === "true" || kept("cascade.open")) open();
    else if (kept("cascade.chat")) load(true);
  }
  if (document.body) ready();
  else document.addEventListener("DOMContentLoaded", ready);
})();

// The customer's chat: talks to the bot, waits in the queue, chats with an agent, rates the help.
// The conversation id and its token are kept in localStorage (when the browser allows it), so a
// reload continues the chat.
import { api } from "./shared/api.js";
import { clear, el } from "./shared/dom.js";
import { markdown } from "./shared/markdown.js";
import { socket as openSocket } from "./shared/session.js";
import { language as wordsLanguage, loadWords, parts, w } from "./shared/words.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const embedded = params.get("embed") === "1";
// Loaded hidden by the launcher on a later page of the site, to count replies on it: it resumes
// the chat this browser has, and never starts one.
const preloaded = embedded && params.get("preload") === "1";
const STORE = "cascade.chat";
const VISITOR = "cascade.visitor"; // this browser's id, kept across chats: a returning visitor
const RATING_PAYLOAD = /^\/csat\{/;
const PERSON_PAYLOAD = "/request_human"; // the bot's own "Talk to a person" button sends the same
const LEAVE_WAIT_MS = 5000; // "Start a new chat" waits this long at most to say the customer left

// The browser's storage, or this page's memory where the browser refuses it (a company page on
// another site whose visitors block third-party storage): the chat then lasts as long as the page.
const store = (() => {
  try {
    const probe = "cascade.probe";
    localStorage.setItem(probe, "1");
    localStorage.removeItem(probe);
    return localStorage;
  } catch {
    const memory = new Map();
    return {
      getItem: (key) => (memory.has(key) ? memory.get(key) : null),
      setItem: (key, value) => memory.set(key, String(value)),
      removeItem: (key) => memory.delete(key),
    };
  }
})();

const state = {
  id: null,
  token: null,
  status: "bot",
  messages: new Map(), // id -> message, as stored by the server
  pending: new Map(), // client_id -> {text, failed}
  queue: null,
  agent: null,
  ticketId: null,
  email: null, // the address the team replies to, once known
  sendsEmail: true, // false when this server has no SMTP server: nothing is emailed
  ticketStatus: null, // new, open, pending, solved or closed
  csat: null,
  busy: 0,
  score: 0,
  ratingSkipped: 0, // the rating request (its message id) the customer said "Not now" to
  ratedHere: false, // rated in this widget's form (a score typed in the chat is thanked by the chat)
  shown: !embedded, // the chat is on screen (an embedded one is hidden while its launcher is closed)
  unread: 0, // replies that came while it was hidden
  seen: 0, // the newest message id the customer has had on screen (kept with the chat)
  loaded: false,
  agentTyping: 0, // until when (ms) the agent is shown typing
  agentWrote: 0, // when (ms) the agent's latest message came
};

// Typing indicators with the agent who has the chat: ours is sent at most every few seconds while
// the customer types; theirs is shown for a few seconds after it comes, or until their message
// (a signal sent just before it, overtaken on the way, is not shown after it).
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 6000;
const TYPING_LATE_MS = 1500;

function save() {
  store.setItem(
    STORE,
    JSON.stringify({ id: state.id, token: state.token, ratingSkipped: state.ratingSkipped, ratedHere: state.ratedHere, seen: state.seen }),
  );
}

// -- the conversation ------------------------------------------------------------------

// The language to show before the conversation has one: the page's data-lang, else the
// browser's languages; the first Cascade speaks, else its default.
function wantedLocales() {
  return [params.get("lang"), ...(navigator.languages || [navigator.language])];
}

async function begin() {
  const words = await loadWords(wantedLocales());
  state.sendsEmail = words.sends_email !== false;
  $("email-transcript").hidden = !state.sendsEmail; // this server sends no email
  if (params.get("title")) $("chat-title").textContent = params.get("title");
  // The chat a link names comes first; it replaces the one this browser kept only once it has
  // opened, so a link that has ended (or was made up) loses the customer nothing.
  const linked = linkedChat();
  const saved = JSON.parse(store.getItem(STORE) || "null");
  for (const chat of [linked, saved]) {
    if (!chat || !chat.id || !chat.token) continue;
    state.id = chat.id;
    state.token = chat.token;
    state.ratingSkipped = chat.ratingSkipped || 0;
    state.ratedHere = Boolean(chat.ratedHere);
    // A chat kept before the customer's views were: nothing in it counts as unseen.
    state.seen = chat.seen ?? Number.MAX_SAFE_INTEGER;
    try {
      await refresh();
      save();
      connect();
      if (linked && chat !== linked && linked.id !== chat.id) showError(w("widget.link_ended"));
      // A chat that is over (a ticket's is not: its replies still come) loads on no next page.
      const over = ["resolved", "abandoned", "closed"].includes(state.status);
      if (embedded) parent.postMessage({ type: "cascade:chat", active: !over }, "*");
      return;
    } catch (err) {
      if (!(err.status === 401 || err.status === 403 || err.status === 404)) throw err;
      if (chat === saved) store.removeItem(STORE); // that chat is gone: start a new one
      else linkEnded = true;
    }
  }
  if (preloaded) {
    // No chat to resume: the launcher drops this frame and starts one only when opened.
    parent.postMessage({ type: "cascade:chat", active: false }, "*");
    return;
  }
  const customer = {};
  if (params.get("name")) customer.name = params.get("name");
  if (params.get("email")) customer.email = params.get("email");
  Object.assign(customer, identity());
  const page = params.get("page") || document.referrer || location.href;
  // Only a web page's address is taken (a page opened from a file has none to give).
  const body = { customer, page_url: /^https?:/i.test(page) ? page : null };
  if (words.matched) body.locale = words.language; // the customer's own messages may change it
  const started = await api("/api/conversations", { method: "POST", body });
  state.id = started.id;
  state.token = started.token;
  save();
  apply(started);
  connect();
  if (embedded) parent.postMessage({ type: "cascade:chat", active: true }, "*");
  if (linkEnded) showError(w("widget.link_ended"));
}

// A link from an email about the customer's ticket (/chat#conversation=…&token=…, made by
// conversations/links.py) opens that chat: it becomes this browser's chat, and the address loses
// the token, so it is not bookmarked or shared with the page.
let linkEnded = false; // the link's chat could not be opened (its link expired): said in the new one
function linkedChat() {
  const found = new URLSearchParams(location.hash.slice(1));
  const id = found.get("conversation");
  const token = found.get("token");
  if (!id || !token) return null;
  history.replaceState(null, "", location.pathname + location.search);
  return { id, token, ratingSkipped: 0 };
}

// Who the customer is across chats: this browser's visitor id (made once, then kept), and the
// company's signed user id when its page passed one (the server ignores a badly signed one).
function identity() {
  let visitor = store.getItem(VISITOR);
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(visitor || "")) {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // works on plain http too
    visitor = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    store.setItem(VISITOR, visitor);
  }
  const found = { visitor_id: visitor };
  // Values the server would refuse are left out, so the chat always starts.
  const userId = params.get("user_id") || "";
  const userHash = params.get("user_hash") || "";
  if (userId.length <= 200 && !/[\x00-\x1f\x7f]/.test(userId) && userId) found.user_id = userId;
  if (found.user_id && userHash && userHash.length <= 128) found.user_hash = userHash;
  return found;
}

async function refresh() {
  apply(await api("/api/conversations/" + state.id, { token: state.token }));
}

function apply(view) {
  state.status = view.status;
  state.queue = view.queue || null;
  state.agent = view.assigned_agent || null;
  state.ticketId = view.ticket_id || null;
  state.email = (view.customer && view.customer.email) || null;
  state.ticketStatus = view.ticket_status || null;
  state.csat = view.csat || null;
  merge(view.messages || []);
  state.loaded = true; // from now on, messages merged are new ones
  render();
  if (view.language && view.language !== wordsLanguage()) follow(view.language);
}

// The conversation is held in another language now (the customer wrote in it): so is the widget.
let following = null;
function follow(language) {
  if (following === language) return;
  following = language;
  loadWords([language])
    .then(() => {
      if (params.get("title")) $("chat-title").textContent = params.get("title");
      for (const node of document.querySelectorAll(".msg.bot > .from")) node.textContent = w("widget.from_bot");
      // The times already shown, in the chat's language too (12:23 AM becomes 0:23).
      for (const node of document.querySelectorAll(".msg[data-id]")) {
        const message = state.messages.get(Number(node.dataset.id));
        if (message) node.dataset.time = clock(message.created_at);
      }
      for (const star of document.querySelectorAll(".star")) {
        star.setAttribute("aria-label", w("widget.rating_star", { score: star.dataset.score }));
      }
      render();
    })
    .catch(() => {})
    .finally(() => { following = null; });
}

// Replies that came while the embedded chat was closed are counted on its launcher.
function unseen(count) {
  if (state.shown || !embedded) return;
  state.unread += count;
  parent.postMessage({ type: "cascade:unread", count: state.unread }, "*");
}

// The customer has the chat on screen: what it holds is seen (kept, for the next page's count).
function markSeen() {
  if (!state.messages.size) return; // not loaded yet: nothing was seen
  const newest = Math.max(...state.messages.keys());
  if (!state.shown || !state.id || newest === state.seen) return;
  state.seen = newest;
  // Only the chat this browser keeps: one being left ("Start a new chat") is not kept again by a
  // message that arrives as it goes, or the reloaded frame would open it once more.
  const kept = JSON.parse(store.getItem(STORE) || "null");
  if (kept && kept.id === state.id) save();
}

function opened() {
  state.shown = true;
  markSeen();
  state.unread = 0;
  parent.postMessage({ type: "cascade:unread", count: 0 }, "*");
  const log = $("log");
  log.scrollTop = log.scrollHeight; // what came while it was closed is at the bottom
  $("input").focus();
}

function merge(messages) {
  let fresh = 0;
  for (const message of messages) {
    if (!state.messages.has(message.id) && message.sender !== "customer") fresh += 1;
    if (!state.messages.has(message.id) && message.sender === "agent") {
      state.agentTyping = 0;
      state.agentWrote = Date.now();
    }
    state.messages.set(message.id, message);
  }
  if (state.loaded) unseen(fresh);
  else if (preloaded && !state.shown) {
    // Loaded hidden on another page: the replies since the customer last looked are counted.
    unseen(messages.filter((m) => m.id > state.seen && m.sender !== "customer").length);
  }
  markSeen();
}

// A message typed while the chat is still starting is shown at once and sent once it has started.
let starting = null; // begin()'s promise

async function send(text, { clientId, shown } = {}) {
  const client_id = clientId || "w-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  state.pending.set(client_id, { text: shown || text, failed: false, payload: text });
  state.busy += 1;
  render();
  try {
    if (!state.id) await starting;
    if (!state.id) throw new Error("the chat did not start");
    const turn = await api("/api/conversations/" + state.id + "/messages", {
      method: "POST",
      token: state.token,
      body: { text, client_id },
    });
    state.pending.delete(client_id);
    state.status = turn.status;
    merge(turn.messages);
    hideError();
    await refresh(); // queue place, agent and ticket come with the conversation
  } catch (err) {
    const pending = state.pending.get(client_id);
    if (pending) pending.failed = true;
    if (err.status === 429) showError(w("widget.too_fast", { seconds: Math.max(err.retryAfter || 0, 1) }));
    else if (err.status === 413) showError(w("widget.chat_full")); // a new chat, from the menu, takes more
    else showError(w(err.status ? "widget.failed" : "widget.not_sent"));
  } finally {
    state.busy -= 1;
    render();
  }
}

// -- live updates: socket.io pushes, with polling as the fallback ------------------------

let socket = null;
function connect() {
  socket = openSocket(state.token);
  if (!socket) return;
  socket.on("message", (data) => {
    if (data.conversation_id !== state.id) return;
    merge([data.message]);
    render();
    // The chat's own notices come with a change (a ticket solved, an agent joined): read it.
    if (data.message.sender === "system") refresh().catch(() => {});
  });
  socket.on("queue", (data) => {
    if (data.conversation_id !== state.id) return;
    state.queue = { position: data.position, estimated_wait_s: data.estimated_wait_s };
    render();
  });
  socket.on("typing", (data) => {
    if (data.conversation_id !== state.id || data.who !== "agent") return;
    if (Date.now() - state.agentWrote < TYPING_LATE_MS) return;
    state.agentTyping = Date.now() + TYPING_SHOWN_MS;
    render();
    setTimeout(render, TYPING_SHOWN_MS + 50); // and gone, unless they type on
  });
  socket.on("status", () => refresh().catch(() => {}));
  socket.on("connect", () => {
    document.documentElement.dataset.live = "true"; // pushes come (and typing goes) on it
    refresh().catch(() => {});
  });
  socket.on("disconnect", () => { document.documentElement.dataset.live = "false"; });
}
function poll() {
  if (state.id && !document.hidden && !state.busy) refresh().catch(() => {});
  setTimeout(poll, socket && socket.connected ? 15000 : 4000);
}
setTimeout(poll, 4000);

// -- drawing -------------------------------------------------------------------------------

function render() {
  // Where the reader was, measured before banners and the rating form change the log's size.
  const log = $("log");
  const view = { atBottom: log.scrollHeight - log.scrollTop - log.clientHeight < 40, scrolled: log.scrollTop };
  renderHeader();
  renderBanner();
  const scroll = renderLog(view);
  renderRating();
  // The bot answers unless a person has the chat (or is on the way); a person, while they type.
  const agentTyping = state.status === "assigned" && Date.now() < state.agentTyping;
  $("typing").hidden = !agentTyping && (state.busy === 0 || state.status === "queued" || state.status === "assigned");
  const typingText = agentTyping ? w("widget.agent_typing", { agent: agentName() }) : w("widget.typing");
  if ($("typing-text").textContent !== typingText) $("typing-text").textContent = typingText; // announced once
  $("typing-text").classList.toggle("sr-only", !agentTyping);
  $("input").placeholder =
    state.status === "assigned" ? w("widget.placeholder_agent", { agent: agentName() }) : w("widget.placeholder");
  scroll();
}

function agentName() {
  return (state.agent && state.agent.name) || w("widget.our_agent");
}

function renderHeader() {
  const labels = {
    bot: w("widget.status_bot"),
    queued: w("widget.status_queued"),
    assigned: w("widget.status_assigned", { agent: agentName() }),
    ticketed: state.ticketId ? w("widget.status_ticket", { ticket_id: state.ticketId }) : w("widget.status_ticket_filed"),
    resolved: w("widget.status_resolved"),
    abandoned: w("widget.status_abandoned"),
  };
  $("chat-status").textContent = labels[state.status] || state.status;
  // A person is one step away while the bot has the chat (after that, one is on the way).
  $("talk-to-person").hidden = state.status !== "bot";
}

function renderBanner() {
  const banner = $("banner");
  clear(banner);
  banner.className = "banner";
  if (state.status === "queued" && state.queue) {
    const wait = state.queue.estimated_wait_s;
    banner.append(
      el("strong", { id: "queue-position" }, w("widget.queue_position", { position: state.queue.position })),
      el("span", { id: "queue-wait" }, " · " + waitText(wait)),
    );
  } else if (state.status === "assigned") {
    banner.append(el("span", { id: "agent-banner" }, parts("widget.agent_banner", { agent: el("strong", {}, agentName()) })));
    banner.classList.add("agent");
  } else if (state.ticketId) {
    // Emailed only when there is an address to email and a server that mails: else the chat is
    // where the reply comes.
    const key =
      state.ticketStatus === "solved" ? "widget.ticket_banner_solved"
      : state.ticketStatus === "closed" ? "widget.ticket_banner_closed"
      : state.email && state.sendsEmail ? "widget.ticket_banner"
      : "widget.ticket_banner_no_email";
    banner.append(el("span", { id: "ticket-banner" }, parts(key, { ticket_id: el("strong", {}, state.ticketId) })));
    banner.classList.add("ticket");
  }
  banner.hidden = banner.childNodes.length === 0;
}

let shownUpTo = 0; // the newest message id already drawn
let drawn = 0; // how many bubbles the log held
let anchor = null; // where the log was scrolled to show a long answer from its start

function waitText(wait) {
  if (wait === null || wait === undefined) return w("widget.wait_unknown");
  if (wait < 60) return w("widget.wait_soon");
  return w("widget.wait_minutes", { minutes: Math.round(wait / 60) });
}

const bubbles = new Map(); // message id -> its <li>, drawn once (the log is read aloud)

// Draws what is new and returns how to scroll once the rest of the chat is drawn.
function renderLog({ atBottom, scrolled }) {
  const log = $("log");
  const messages = [...state.messages.values()].sort((a, b) => a.id - b.id);
  const fresh = messages.filter((m) => m.id > shownUpTo && m.sender !== "customer");
  const last = messages[messages.length - 1];
  const active = last && last.buttons && last.buttons.length ? last.id : null;
  for (const node of log.querySelectorAll("[data-pending]")) node.remove();
  for (const message of messages) {
    if (bubbles.has(message.id)) continue;
    const node = bubble(message);
    bubbles.set(message.id, node);
    const after = [...log.children].find((child) => Number(child.dataset.id) > message.id);
    log.insertBefore(node, after || null);
  }
  for (const [id, node] of bubbles) {
    for (const button of node.querySelectorAll(".buttons button")) {
      button.disabled = id !== active || state.busy > 0; // only the newest choice is live
    }
    // An agent's message stored without its writer's name takes the current agent's.
    const from = node.dataset.sender === "agent" && !node.dataset.author ? node.querySelector(".from") : null;
    if (from && from.textContent !== agentName()) from.textContent = agentName();
  }
  for (const [clientId, pending] of state.pending) {
    const item = el("li", { class: "msg customer" + (pending.failed ? " failed" : ""), dataset: { sender: "customer", pending: clientId } },
      el("div", { class: "text" }, pending.text));
    if (pending.failed) {
      item.append(el("button", { type: "button", class: "retry", onclick: () => { state.pending.delete(clientId); send(pending.payload, { clientId, shown: pending.text }); } }, w("widget.retry")));
    }
    log.append(item);
  }
  const count = messages.length + state.pending.size;
  const anchored = anchor !== null && Math.abs(scrolled - anchor) < 3; // the reader stayed
  let scroll = () => { log.scrollTop = scrolled; }; // nothing new, or the reader scrolled up
  if (count !== drawn && (atBottom || anchored || state.busy)) {
    // A long answer is read from its start; the rest of the same answer keeps it there;
    // anything else new (an agent's reply, the queue) is shown at the bottom.
    const long = shownUpTo
      ? fresh.map((m) => bubbles.get(m.id)).find((n) => n && n.offsetHeight > log.clientHeight * 0.6)
      : null;
    if (long) {
      scroll = () => { log.scrollTop = long.offsetTop - log.offsetTop - 8; anchor = log.scrollTop; };
    } else if (anchored && state.busy) {
      scroll = () => { log.scrollTop = anchor; };
    } else {
      scroll = () => { log.scrollTop = log.scrollHeight; anchor = null; };
    }
  } else if (atBottom) {
    scroll = () => { log.scrollTop = log.scrollHeight; }; // stay at the bottom as it resizes
  }
  drawn = count;
  if (last) shownUpTo = Math.max(shownUpTo, last.id);
  return scroll;
}

function bubble(message) {
  const who = { customer: "", bot: w("widget.from_bot"), agent: message.author || agentName(), system: "" }[message.sender];
  const item = el("li", { class: "msg " + message.sender, dataset: { sender: message.sender, id: message.id, author: message.author || "", time: clock(message.created_at) } });
  if (who && message.sender !== "customer") item.append(el("div", { class: "from" }, who));
  item.append(el("div", { class: "text" }, message.sender === "customer" ? message.text : markdown(message.text)));
  const buttons = (message.buttons || []).filter((b) => !RATING_PAYLOAD.test(b.payload));
  if (buttons.length) {
    const row = el("div", { class: "buttons" });
    for (const button of buttons) {
      row.append(el("button", {
        type: "button",
        onclick: (event) => {
          send(button.payload, { shown: button.title });
          if (event.detail === 0) $("input").focus(); // pressed from the keyboard: the answer box next
        },
      }, button.title));
    }
    item.append(row);
  }
  return item;
}

// The newest message asking for a rating (its rating buttons), else the resolution itself.
function ratingRequest() {
  // A ticket is rated once it is solved: one opened again puts its rating request away.
  if (state.status === "ticketed" && !["solved", "closed"].includes(state.ticketStatus)) return 0;
  const messages = [...state.messages.values()].sort((a, b) => a.id - b.id);
  let asked = 0;
  for (const m of messages) if ((m.buttons || []).some((b) => RATING_PAYLOAD.test(b.payload))) asked = m.id;
  if (!asked && state.status === "resolved" && messages.length) asked = messages[messages.length - 1].id;
  return asked;
}

// The hour and minute a message was sent, in the widget's language, shown under it by the
// stylesheet (a data attribute: not part of the message's text).
function clock(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  return new Intl.DateTimeFormat(wordsLanguage(), { hour: "numeric", minute: "2-digit" }).format(at);
}

// The form shows until the customer rates, says "Not now", or writes on (they moved on).
function ratingWanted() {
  if (state.csat) return false;
  const asked = ratingRequest();
  if (!asked || asked <= state.ratingSkipped) return false;
  return !wroteSinceAsked();
}

function wroteSinceAsked() {
  const asked = ratingRequest();
  return Boolean(asked) && [...state.messages.values()].some((m) => m.sender === "customer" && m.id > asked);
}

function skipRating() {
  state.ratingSkipped = ratingRequest();
  save();
  render();
  $("input").focus();
}

function renderRating() {
  const form = $("rating");
  const wanted = ratingWanted();
  if (!wanted) {
    form.hidden = true;
    // A rating typed in the chat ("5") is thanked by the server's own message: not twice, then
    // or after (the customer writing on reopens the chat, whatever the status says by then).
    if (state.csat && state.ratedHere && !$("rated") && !wroteSinceAsked()) {
      $("log").append(el("li", { class: "msg system", id: "rated" }, el("div", { class: "text" }, w("widget.rated", { score: state.csat.score }))));
    }
    return;
  }
  if (form.hidden) {
    form.hidden = false;
    const stars = clear($("stars"));
    for (let n = 1; n <= 5; n++) {
      stars.append(el("button", {
        type: "button", class: "star", "aria-pressed": "false", "aria-label": w("widget.rating_star", { score: n }), dataset: { score: n },
        onclick: () => pick(n),
      }, "★"));
    }
  }
}

function pick(score) {
  state.score = score;
  for (const star of document.querySelectorAll(".star")) {
    const on = Number(star.dataset.score) <= score;
    star.classList.toggle("on", on);
    star.setAttribute("aria-pressed", String(Number(star.dataset.score) === score));
  }
  $("rating-send").disabled = false;
}

async function rate(event) {
  event.preventDefault();
  if (!state.score) return;
  const comment = $("rating-comment").value.trim();
  try {
    state.csat = await api("/api/conversations/" + state.id + "/csat", {
      method: "POST",
      token: state.token,
      body: { score: state.score, comment: comment || null },
    });
    state.ratedHere = true;
    save();
    $("rating").hidden = true;
    render();
  } catch (err) {
    showError(w(err.status ? "widget.failed" : "widget.not_sent"));
  }
}

// -- transcript, menu, errors ------------------------------------------------------------

async function emailTranscript(event) {
  event.preventDefault();
  const email = $("email-input").value.trim();
  const result = $("email-result");
  result.textContent = w("widget.email_sending");
  try {
    const sent = await api("/api/conversations/" + state.id + "/transcript", {
      method: "POST",
      token: state.token,
      body: email ? { email } : {},
    });
    result.textContent = w("widget.email_sent", { email: sent.sent_to });
    state.email = sent.sent_to; // kept by the chat: the next transcript needs no address
    $("email-form").classList.add("sent"); // what became of it, and a way to put it away
    $("email-done").focus();
  } catch (err) {
    const why = {
      409: "widget.email_other",
      422: "widget.email_invalid",
      429: "widget.email_too_many",
      503: "widget.email_off",
    }[err.status];
    result.textContent = w(why || (err.status ? "widget.failed" : "widget.not_sent"));
  }
}

function toggleMenu(force) {
  const menu = $("menu");
  const show = force === undefined ? menu.hidden : force;
  menu.hidden = !show;
  $("menu-button").setAttribute("aria-expanded", String(show));
  if (show) menu.querySelector("button:not([hidden])").focus();
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = false;
}
function hideError() {
  $("error").hidden = true;
}

// -- wiring --------------------------------------------------------------------------------

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("input").value.trim();
  if (!text) return;
  $("input").value = "";
  $("input").style.height = "";
  send(text);
});
$("input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
$("rating").addEventListener("submit", rate);
$("rating-skip").addEventListener("click", skipRating);
// The answer box grows with what is typed, up to its CSS max-height.
$("input").addEventListener("input", () => {
  const input = $("input");
  input.style.height = "auto";
  input.style.height = input.scrollHeight + 2 + "px";
  signalTyping();
});

let typingSent = 0;
function signalTyping() {
  if (state.status !== "assigned" || !socket || !socket.connected || !$("input").value.trim()) return;
  if (Date.now() - typingSent < TYPING_EVERY_MS) return;
  typingSent = Date.now();
  socket.emit("typing", {});
}
$("menu-button").addEventListener("click", () => toggleMenu());
$("talk-to-person").addEventListener("click", () => {
  toggleMenu(false);
  $("input").focus(); // the item hides itself: focus goes where the customer writes next
  send(PERSON_PAYLOAD, { shown: w("widget.talk_to_person") });
});
$("email-transcript").addEventListener("click", () => {
  toggleMenu(false);
  const form = $("email-form");
  form.hidden = false;
  form.classList.remove("sent");
  $("email-result").textContent = "";
  // The address the chat already has (given earlier, or in this chat) is the one it goes to.
  if (state.email && !$("email-input").value) $("email-input").value = state.email;
  $("email-input").focus();
});
$("email-cancel").addEventListener("click", () => { $("email-form").hidden = true; });
$("email-done").addEventListener("click", () => {
  $("email-form").hidden = true;
  $("input").focus();
});
$("email-form").addEventListener("submit", emailTranscript);
$("new-chat").addEventListener("click", () => {
  toggleMenu(false);
  // A chat still going on (with the bot, in line, with a person) is left only when meant.
  const going = ["bot", "queued", "assigned"].includes(state.status) && [...state.messages.values()].some((m) => m.sender === "customer");
  const asked = { queued: "widget.new_chat_confirm_queued", assigned: "widget.new_chat_confirm_assigned" }[state.status];
  if (going && !window.confirm(w(asked || "widget.new_chat_confirm"))) return;
  // One waiting for a person, or with one, is let go: the agent is told the customer left.
  // The new chat starts whatever the answer, and after LEAVE_WAIT_MS at most: a server that
  // does not answer must not keep the customer in the old one.
  const leaving = ["queued", "assigned"].includes(state.status)
    ? api("/api/conversations/" + state.id + "/leave", {
        method: "POST",
        token: state.token,
        signal: AbortSignal.timeout(LEAVE_WAIT_MS),
      }).catch(() => null)
    : null;
  Promise.resolve(leaving).then(() => {
    store.removeItem(STORE);
    location.reload();
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (!$("menu").hidden) toggleMenu(false);
  else if (embedded) parent.postMessage({ type: "cascade:close" }, "*");
});
if (embedded) {
  $("close-button").hidden = false;
  $("close-button").addEventListener("click", () => parent.postMessage({ type: "cascade:close" }, "*"));
  window.addEventListener("message", (event) => {
    if (!event.data) return;
    if (event.data.type === "cascade:focus") opened();
    if (event.data.type === "cascade:hidden") state.shown = false;
  });
}

starting = begin().catch(() => showError(w("widget.could_not_start")));

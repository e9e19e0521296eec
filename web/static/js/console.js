// The agent console: status, offers with a countdown, several chats at once with their handoff
// package, replies with canned responses, private notes, transfer / resolve / hand back /
// escalate, and the ticket inbox with SLA clocks. Live updates come over socket.io (room
// agent:{id}: "offer", "offer_withdrawn", "message"); polling keeps it right when the socket is
// down. Every text from the server goes into the page as text (Cascade.el), never as HTML.
(function () {
  "use strict";
  const { api, el, clear, duration, when } = window.Cascade;
  // Appends like el() does: skips null/false, flattens arrays, text as text nodes.
  const add = (node, ...children) => window.Cascade.append(node, children);

  const SENDERS = { customer: "Customer", bot: "Bot", agent: "Agent", system: "System" };
  const REASONS = {
    customer_request: "The customer asked for a person",
    frustration: "The customer is frustrated",
    no_answer: "The knowledge base had no answer",
    low_nlu_confidence: "The bot could not understand the message",
    unhelpful_answers: "The suggested answers did not help",
    clarification_declined: "None of the suggested articles fitted",
    sensitive_topic: "A topic a person must handle",
    bot_unavailable: "The bot was unreachable",
    customer_chose_email: "The customer asked to be emailed",
    max_wait: "Nobody took the chat in time",
    nobody_online: "Nobody was online",
    outside_hours: "Outside live-chat hours",
    agent_escalated: "An agent escalated the chat",
  };
  const TICKET_MOVES = {
    new: ["open", "pending", "solved", "closed"],
    open: ["pending", "solved", "closed"],
    pending: ["open", "solved", "closed"],
    solved: ["open", "closed"],
    closed: [],
  };
  const ACTIVE_TICKETS = ["new", "open", "pending"];
  const POLL_LIVE_MS = 20000;
  const POLL_FALLBACK_MS = 4000;

  const state = {
    token: null,
    me: null,
    agent: null, // {id, name, status, ...}; null for an admin token
    offers: new Map(), // conversation id -> offer
    chats: new Map(), // conversation id -> {view, pane, tab, seen, unread, closed, ...}
    active: null,
    canned: [],
    roster: [],
    tickets: [],
    ticketFilter: "active",
    mineOnly: false,
    openTicket: null,
    view: "chats",
    live: false,
    pollTimer: null,
    seq: 0, // counts offer changes seen here (pushes, accepts, declines)
    gone: new Map(), // conversation id -> seq when its offer went away
  };
  const ui = {};

  const call = (path, options = {}) => api(path, { ...options, token: state.token });
  const clientId = () =>
    window.crypto && crypto.randomUUID
      ? crypto.randomUUID()
      : Date.now().toString(36) + Math.random().toString(36).slice(2);

  function toast(text, kind) {
    const item = el("p", { class: "toast " + (kind || "") }, text);
    ui.toasts.append(item);
    setTimeout(() => item.remove(), 6000);
  }

  function failed(err) {
    toast(err && err.message ? err.message : String(err), "error");
  }

  // -- building blocks ------------------------------------------------------------------------

  function customerName(view) {
    const c = (view && (view.customer || (view.handoff && view.handoff.customer))) || {};
    return c.name || c.email || "Customer";
  }

  function messageItem(m) {
    const sender = SENDERS[m.sender] ? m.sender : "system";
    const time = m.created_at ? new Date(m.created_at) : null;
    return el(
      "li",
      { class: "msg msg-" + sender, dataset: { id: m.id, sender } },
      el("span", { class: "who" }, SENDERS[sender]),
      time && !Number.isNaN(time.getTime())
        ? el("time", { datetime: m.created_at }, time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }))
        : null,
      el("p", { class: "text" }, m.text),
      m.buttons && m.buttons.length
        ? el("p", { class: "buttons muted" }, "Offered buttons: ", m.buttons.map((b) => b.title).join(" · "))
        : null,
    );
  }

  function safeLink(url) {
    try {
      const parsed = new URL(url);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") {
        return el("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer" }, url);
      }
    } catch (_) {
      /* not a URL: shown as text */
    }
    return el("span", {}, url);
  }

  function attemptItem(a) {
    const helped =
      a.helpful === true ? ["helped", "did help"] : a.helpful === false ? ["unhelpful", "did not help"] : ["unknown", "no answer from the customer"];
    return el(
      "li",
      { class: "attempt attempt-" + helped[0] },
      el("strong", {}, a.title || a.article_id || "article"),
      a.article_id && a.title ? el("span", { class: "muted" }, " (" + a.article_id + ")") : null,
      el("br"),
      "score ",
      typeof a.score === "number" ? a.score.toFixed(2) : "–",
      " · ",
      el("span", { class: "helped" }, helped[1]),
    );
  }

  function handoffPanel(handoff, extra) {
    const h = handoff || {};
    const customer = h.customer || (extra && extra.customer) || {};
    const pageUrl = h.page_url || (extra && extra.page_url);
    const attempts = h.knowledge_attempts || [];
    const row = (label, value) => [el("dt", {}, label), el("dd", {}, value === null || value === undefined || value === "" ? "–" : value)];
    return el(
      "section",
      { class: "handoff", "aria-label": "Handoff" },
      el("h3", {}, "Handoff"),
      handoff ? null : el("p", { class: "muted" }, "No handoff package: this chat came without one."),
      el(
        "dl",
        {},
        row("Reason", h.reason ? REASONS[h.reason] || h.reason : null),
        row("Summary", h.summary),
        row("Skill", h.skill),
        row("Priority", h.priority),
        row("Sentiment", h.sentiment),
        row("Customer", customer.name),
        row("Email", customer.email),
        row("Page", pageUrl ? safeLink(pageUrl) : null),
      ),
      el("h4", {}, "Knowledge attempts"),
      attempts.length
        ? el("ol", { class: "attempts" }, attempts.map(attemptItem))
        : el("p", { class: "muted" }, "The bot showed no articles."),
    );
  }

  function noteItem(n) {
    const author = n.agent_id ? (n.agent_id === (state.agent && state.agent.id) ? "You" : agentName(n.agent_id)) : "Team";
    return el(
      "li",
      { class: "note" },
      el("p", { class: "text" }, n.text),
      el("span", { class: "muted" }, author, " · ", when(n.created_at)),
    );
  }

  function agentName(id) {
    const found = state.roster.find((a) => a.id === id);
    return found ? found.name : "Agent " + id;
  }

  // -- SLA clocks -----------------------------------------------------------------------------

  const METRICS = { first_response: "First response", resolution: "Resolution" };

  function slaBadge(metric, clock, ticketStatus) {
    const span = el("span", {
      class: "sla",
      dataset: {
        metric,
        warning: clock.warning_at,
        due: clock.due,
        met: clock.met_at || "",
        stopped: ["solved", "closed"].includes(ticketStatus) && !clock.met_at ? "1" : "",
      },
      title: METRICS[metric] + " due " + when(clock.due),
    });
    updateSla(span);
    return span;
  }

  function slaState(span, now) {
    const due = Date.parse(span.dataset.due);
    if (span.dataset.met) return Date.parse(span.dataset.met) <= due ? "met" : "missed";
    if (span.dataset.stopped) return "stopped";
    if (now >= due) return "breached";
    if (now >= Date.parse(span.dataset.warning)) return "warning";
    return "ok";
  }

  function updateSla(span) {
    const now = Date.now();
    const s = slaState(span, now);
    const due = Date.parse(span.dataset.due);
    const label = METRICS[span.dataset.metric] + ": ";
    const text = {
      met: "met",
      missed: "met late",
      stopped: "stopped",
      breached: "overdue by " + duration((now - due) / 1000),
      warning: "due in " + duration((due - now) / 1000),
      ok: "due in " + duration((due - now) / 1000),
    }[s];
    if (span.dataset.state !== s) {
      span.dataset.state = s;
      span.className = "sla sla-" + s;
    }
    span.textContent = (s === "breached" || s === "warning" ? "⚠ " : "") + label + text;
  }

  // -- the frame ------------------------------------------------------------------------------

  function buildFrame(signOut) {
    const root = document.getElementById("app");
    clear(root);
    ui.status = el(
      "select",
      { id: "agent-status", onchange: () => setStatus(ui.status.value) },
      ["online", "away", "offline"].map((s) => el("option", { value: s }, s[0].toUpperCase() + s.slice(1))),
    );
    ui.connection = el("span", { class: "connection", role: "status" }, "Connecting…");
    ui.chatsTab = el("button", { type: "button", class: "view-tab", id: "view-chats", "aria-controls": "chats-view", onclick: () => showView("chats") }, "Chats");
    ui.ticketsTab = el("button", { type: "button", class: "view-tab", id: "view-tickets", "aria-controls": "tickets-view", onclick: () => showView("tickets") }, "Tickets");
    ui.offers = el("ul", { class: "offers", id: "offers", "aria-live": "polite", "aria-label": "Offers" });
    ui.chatList = el("div", { class: "chat-list", role: "tablist", "aria-label": "My chats", "aria-orientation": "vertical", onkeydown: tabKeys });
    ui.panes = el("div", { class: "panes" });
    ui.empty = el("p", { class: "empty muted" }, "Accept an offer to start chatting. Your open chats show here.");
    ui.panes.append(ui.empty);
    ui.toasts = el("div", { class: "toasts", role: "status", "aria-live": "polite" });

    const header = el(
      "header",
      { class: "bar" },
      el("h1", {}, "Agent console"),
      el("span", { class: "who", id: "who" }, state.agent ? state.agent.name : "Admin"),
      el("span", { class: "spacer" }),
      state.agent ? el("span", { class: "status-switch" }, el("label", { for: "agent-status" }, "Status"), ui.status) : null,
      ui.connection,
      el("button", { type: "button", id: "sign-out", onclick: signOut }, "Sign out"),
    );
    const nav = el("nav", { class: "views", "aria-label": "Console sections" }, ui.chatsTab, ui.ticketsTab);

    ui.chatsView = el(
      "section",
      { id: "chats-view", class: "chats-view", "aria-label": "Chats" },
      state.agent
        ? [
            el("aside", { class: "side" },
              el("h2", {}, "Offers"),
              ui.offers,
              el("h2", {}, "My chats"),
              ui.chatList),
            ui.panes,
          ]
        : el("div", { class: "card admin-note", role: "note" },
            el("h2", {}, "Chats need an agent's own token"),
            el("p", {}, "Chats are offered to one agent at a time, by skill and free capacity, so taking them needs the token Cascade issued to that agent (POST /api/agents returns it). This admin token has no agent behind it."),
            el("p", {}, "You can work the ticket inbox from here.")),
    );
    ui.ticketsView = buildTicketsView();
    root.append(header, nav, el("main", { class: "console" }, ui.chatsView, ui.ticketsView), ui.toasts);
    if (state.agent) ui.status.value = state.agent.status;
    showView(state.agent ? "chats" : "tickets");
  }

  function showView(name) {
    state.view = name;
    ui.chatsView.hidden = name !== "chats";
    ui.ticketsView.hidden = name !== "tickets";
    ui.chatsTab.setAttribute("aria-current", name === "chats" ? "page" : "false");
    ui.ticketsTab.setAttribute("aria-current", name === "tickets" ? "page" : "false");
    if (name === "tickets") loadTickets();
  }

  function updateCounts() {
    const open = [...state.chats.values()].filter((c) => !c.closed).length;
    const offers = state.offers.size;
    add(clear(ui.chatsTab), "Chats", el("span", { class: "count" }, String(open)), offers ? el("span", { class: "count offer-count" }, offers + " offered") : null);
    const active = state.tickets.filter((t) => ACTIVE_TICKETS.includes(t.status)).length;
    add(clear(ui.ticketsTab), "Tickets", el("span", { class: "count" }, String(active)));
  }

  async function setStatus(status) {
    try {
      state.agent = await call(`/api/agents/${state.agent.id}/status`, { method: "PUT", body: { status } });
      toast("You are " + status + ".");
      if (status !== "online") {
        state.offers.clear();
        renderOffers();
      }
      refreshOffers();
    } catch (err) {
      ui.status.value = state.agent.status;
      failed(err);
    }
  }

  // -- offers ---------------------------------------------------------------------------------

  function renderOffers() {
    clear(ui.offers);
    if (state.agent && state.agent.status !== "online") {
      ui.offers.append(el("li", { class: "muted" }, "You are " + state.agent.status + ": go online to get offers."));
    } else if (!state.offers.size) {
      ui.offers.append(el("li", { class: "muted" }, "No offers right now."));
    }
    for (const offer of state.offers.values()) {
      const h = offer.handoff || {};
      const countdown = el("p", { class: "countdown", dataset: { expires: offer.expires_at } });
      const accept = el("button", { type: "button", class: "primary", onclick: () => accept_(offer, accept) }, "Accept");
      ui.offers.append(
        el(
          "li",
          { class: "offer card", dataset: { conversation: offer.conversation_id } },
          el("h3", {}, customerName({ handoff: h })),
          el("p", { class: "tags" },
            el("span", { class: "tag" }, offer.skill || h.skill || "general"),
            " ",
            el("span", { class: "tag priority-" + (offer.priority || "normal") }, offer.priority || "normal")),
          el("p", { class: "reason" }, REASONS[h.reason] || h.reason || ""),
          h.summary ? el("p", { class: "summary" }, h.summary) : null,
          countdown,
          el("div", { class: "row" }, accept, el("button", { type: "button", onclick: () => decline(offer) }, "Decline")),
        ),
      );
      tickCountdown(countdown);
    }
    updateCounts();
  }

  function tickCountdown(node) {
    const left = (Date.parse(node.dataset.expires) - Date.now()) / 1000;
    node.classList.toggle("soon", left < 10);
    if (left <= 0) {
      node.textContent = "Offer expired: it goes to the next agent.";
      const button = node.parentElement && node.parentElement.querySelector("button.primary");
      if (button) button.disabled = true;
    } else {
      node.textContent = "Offer ends in " + duration(left);
    }
  }

  // Pushes and answers to requests can cross: what was pushed or decided after a request left
  // wins over that request's answer. `state.seq` orders them.
  function offerChanged(conversationId, offer) {
    state.seq += 1;
    if (offer) state.offers.set(conversationId, { ...offer, seq: state.seq });
    else {
      state.offers.delete(conversationId);
      state.gone.set(conversationId, state.seq);
    }
  }

  async function refreshOffers() {
    if (!state.agent) return;
    const asked = state.seq;
    try {
      const offers = await call(`/api/agents/${state.agent.id}/offers`);
      const before = new Set(state.offers.keys());
      const next = new Map();
      for (const o of offers) {
        if (!((state.gone.get(o.conversation_id) || 0) > asked)) next.set(o.conversation_id, o);
      }
      for (const [cid, o] of state.offers) if (o.seq > asked && !next.has(cid)) next.set(cid, o);
      state.offers = next;
      if (offers.some((o) => !before.has(o.conversation_id))) toast("New chat offered.");
      renderOffers();
    } catch (err) {
      failed(err);
    }
  }

  async function accept_(offer, button) {
    button.disabled = true;
    try {
      const view = await call(`/api/conversations/${offer.conversation_id}/accept`, { method: "POST" });
      offerChanged(offer.conversation_id, null);
      renderOffers();
      openChat(view, { focus: true });
    } catch (err) {
      offerChanged(offer.conversation_id, null);
      renderOffers();
      failed(err);
    }
  }

  async function decline(offer) {
    try {
      await call(`/api/conversations/${offer.conversation_id}/decline`, { method: "POST" });
      toast("Declined: it goes to someone else.");
    } catch (err) {
      failed(err);
    }
    offerChanged(offer.conversation_id, null);
    renderOffers();
  }

  // -- chats ----------------------------------------------------------------------------------

  function openChat(view, { focus = false } = {}) {
    let chat = state.chats.get(view.id);
    const created = !chat;
    if (!chat) {
      chat = buildChat(view);
      state.chats.set(view.id, chat);
      ui.chatList.append(chat.tab);
      ui.panes.append(chat.pane);
      loadNotes(chat);
    }
    mergeView(chat, view, created);
    if (focus || !state.active) selectChat(view.id, { focus });
    updateCounts();
    return chat;
  }

  function buildChat(view) {
    const cid = view.id;
    const chat = { id: cid, view, seen: new Set(), unread: 0, closed: false };
    const tabId = "chat-tab-" + cid;
    const paneId = "chat-pane-" + cid;
    chat.tabLabel = el("span", { class: "tab-name" }, customerName(view));
    chat.badge = el("span", { class: "unread", hidden: true });
    chat.tab = el(
      "button",
      { type: "button", role: "tab", id: tabId, class: "chat-tab", "aria-controls": paneId, "aria-selected": "false", tabindex: "-1", dataset: { conversation: cid }, onclick: () => selectChat(cid, { focus: true }) },
      chat.tabLabel,
      chat.badge,
    );
    chat.transcript = el("ol", { class: "transcript", role: "log", "aria-live": "polite", "aria-label": "Transcript" });
    chat.handoff = el("div", { class: "handoff-slot" });
    chat.notes = el("ul", { class: "notes", "aria-label": "Private notes" });
    chat.banner = el("div", { class: "banner", role: "status", hidden: true });
    chat.forms = el("div", { class: "action-forms" });

    // The reply box: Enter sends, Shift+Enter is a new line, "/shortcut" + Tab or Enter inserts
    // a canned response.
    const replyId = "reply-" + cid;
    chat.reply = el("textarea", { id: replyId, rows: 3, placeholder: "Type a reply. Enter sends, Shift+Enter for a new line, /shortcut + Tab for a canned response." });
    chat.hint = el("span", { class: "hint muted", "aria-live": "polite" });
    chat.replyError = el("p", { class: "error", role: "alert", hidden: true });
    chat.canned = el("select", { "aria-label": "Insert a canned response", class: "canned-picker", onchange: () => {
      const picked = state.canned.find((c) => c.shortcut === chat.canned.value);
      chat.canned.value = "";
      if (picked) insertCanned(chat, picked, false);
    } });
    fillCanned(chat);
    chat.reply.addEventListener("keydown", (e) => replyKeys(chat, e));
    chat.reply.addEventListener("input", () => showHint(chat));
    chat.sendButton = el("button", { type: "submit", class: "primary" }, "Send");
    chat.replyForm = el(
      "form",
      { class: "reply", onsubmit: (e) => { e.preventDefault(); send(chat); } },
      el("label", { for: replyId }, "Reply to ", el("span", { class: "reply-name" }, customerName(view))),
      chat.reply,
      el("div", { class: "row reply-tools" }, chat.canned, chat.hint, el("span", { class: "spacer" }), chat.sendButton),
      chat.replyError,
    );

    const noteId = "note-" + cid;
    chat.noteInput = el("textarea", { id: noteId, rows: 2 });
    chat.noteForm = el(
      "form",
      { class: "note-form", onsubmit: (e) => { e.preventDefault(); addNote(chat); } },
      el("label", { for: noteId }, "Add a private note (the customer never sees it)"),
      chat.noteInput,
      el("button", { type: "submit" }, "Add note"),
    );

    chat.actions = el(
      "div",
      { class: "actions" },
      el("button", { type: "button", dataset: { action: "transfer" }, onclick: () => transferForm(chat) }, "Transfer"),
      el("button", { type: "button", dataset: { action: "escalate" }, onclick: () => escalateForm(chat) }, "Escalate to ticket"),
      el("button", { type: "button", dataset: { action: "handback" }, onclick: () => finish(chat, "handback") }, "Hand back to bot"),
      el("button", { type: "button", class: "primary", dataset: { action: "resolve" }, onclick: () => finish(chat, "resolve") }, "Resolve"),
    );
    chat.title = el("h2", { tabindex: "-1" }, customerName(view));
    chat.statusTag = el("span", { class: "tag chat-status" });
    chat.pane = el(
      "section",
      { class: "chat-pane", id: paneId, role: "tabpanel", "aria-labelledby": tabId, hidden: true, dataset: { conversation: cid } },
      el("header", { class: "chat-head" }, chat.title, chat.statusTag, el("span", { class: "spacer" }), chat.actions),
      chat.banner,
      chat.forms,
      el(
        "div",
        { class: "chat-body" },
        el("div", { class: "conversation" }, chat.transcript, chat.replyForm),
        el("aside", { class: "context" }, chat.handoff, el("section", { class: "notes-box", "aria-label": "Private notes" }, el("h3", {}, "Private notes"), chat.notes, chat.noteForm)),
      ),
    );
    return chat;
  }

  // `quiet`: the chat's history as first loaded (no unread count, no scrolling jump).
  function mergeView(chat, view, quiet = false) {
    chat.view = { ...chat.view, ...view };
    for (const m of view.messages || []) appendMessage(chat, m, { quiet });
    const handoff = JSON.stringify([view.handoff, view.customer, view.page_url]);
    if (handoff !== chat.shownHandoff) {
      chat.shownHandoff = handoff;
      add(clear(chat.handoff), handoffPanel(view.handoff, view));
    }
    chat.statusTag.textContent = view.status;
  }

  function appendMessage(chat, m, { quiet = false } = {}) {
    if (m.id !== undefined && chat.seen.has(m.id)) return;
    if (m.id !== undefined) chat.seen.add(m.id);
    const log = chat.transcript;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(messageItem(m));
    if (atBottom || !quiet) log.scrollTop = log.scrollHeight;
    if (!quiet && state.active !== chat.id && m.sender === "customer") {
      chat.unread += 1;
      chat.badge.hidden = false;
      chat.badge.textContent = chat.unread + " new";
    }
  }

  function selectChat(cid, { focus = false } = {}) {
    state.active = cid;
    for (const [id, chat] of state.chats) {
      const on = id === cid;
      chat.pane.hidden = !on;
      chat.tab.setAttribute("aria-selected", on ? "true" : "false");
      chat.tab.tabIndex = on ? 0 : -1;
      if (on) {
        chat.unread = 0;
        chat.badge.hidden = true;
        chat.transcript.scrollTop = chat.transcript.scrollHeight;
      }
    }
    ui.empty.hidden = state.chats.size > 0;
    const chat = state.chats.get(cid);
    if (focus && chat) (chat.closed ? chat.title : chat.reply).focus();
  }

  function tabKeys(e) {
    if (!["ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key)) return;
    const tabs = [...ui.chatList.querySelectorAll("[role=tab]")];
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    e.preventDefault();
    const next = e.key === "Home" ? 0 : e.key === "End" ? tabs.length - 1 : (at + (e.key === "ArrowDown" || e.key === "ArrowRight" ? 1 : -1) + tabs.length) % tabs.length;
    selectChat(tabs[next].dataset.conversation);
    tabs[next].focus();
  }

  async function refreshChats() {
    if (!state.agent) return;
    try {
      const views = await call(`/api/agents/${state.agent.id}/chats`);
      const current = new Set(views.map((v) => v.id));
      for (const view of views) openChat(view);
      for (const chat of state.chats.values()) {
        if (!chat.closed && !current.has(chat.id)) {
          // Gone from the list, or accepted while the list was on its way: ask the chat itself.
          const view = await call(`/api/conversations/${chat.id}`);
          mergeView(chat, view);
          const mine = view.status === "assigned" && view.assigned_agent && view.assigned_agent.id === state.agent.id;
          if (!mine && !chat.closed) {
            closeChat(chat, "This chat is now " + view.status + (view.ticket_id ? " (ticket " + view.ticket_id + ")" : "") + ".", view.ticket_id);
          }
        }
      }
    } catch (err) {
      failed(err);
    }
  }

  async function loadNotes(chat) {
    try {
      const notes = await call(`/api/conversations/${chat.id}/notes`);
      add(clear(chat.notes), ...notes.map(noteItem));
    } catch (err) {
      failed(err);
    }
  }

  async function send(chat) {
    const text = chat.reply.value;
    if (!text.trim() || chat.closed) return;
    chat.sendButton.disabled = true;
    chat.replyError.hidden = true;
    try {
      const turn = await call(`/api/conversations/${chat.id}/messages`, { method: "POST", body: { text, client_id: clientId() } });
      for (const m of turn.messages) appendMessage(chat, m);
      chat.reply.value = "";
      showHint(chat);
    } catch (err) {
      chat.replyError.textContent = "Not sent: " + err.message;
      chat.replyError.hidden = false;
    } finally {
      chat.sendButton.disabled = chat.closed;
      chat.reply.focus();
    }
  }

  async function addNote(chat) {
    const text = chat.noteInput.value.trim();
    if (!text) return;
    try {
      const note = await call(`/api/conversations/${chat.id}/notes`, { method: "POST", body: { text } });
      chat.notes.append(noteItem(note));
      chat.noteInput.value = "";
    } catch (err) {
      failed(err);
    }
  }

  // -- canned responses -----------------------------------------------------------------------

  function fillCanned(chat) {
    add(
      clear(chat.canned),
      el("option", { value: "" }, state.canned.length ? "Insert a canned response…" : "No canned responses yet"),
      state.canned.map((c) => el("option", { value: c.shortcut }, "/" + c.shortcut + " — " + c.text.slice(0, 60))),
    );
    chat.canned.disabled = !state.canned.length;
  }

  async function refreshCanned() {
    try {
      const canned = await call("/api/canned");
      if (JSON.stringify(canned) === JSON.stringify(state.canned)) return;
      state.canned = canned;
      for (const chat of state.chats.values()) if (!chat.closed) fillCanned(chat);
    } catch (err) {
      failed(err);
    }
  }

  function fillIn(chat, text) {
    const name = ((chat.view.customer && chat.view.customer.name) || "there").trim().split(/\s+/)[0] || "there";
    return text.split("{customer_name}").join(name);
  }

  // The "/shortcut" word just before the caret, if it names a canned response.
  function typedShortcut(chat) {
    const box = chat.reply;
    const before = box.value.slice(0, box.selectionStart);
    const match = /(^|\s)\/([\w-]+)$/.exec(before);
    if (!match) return null;
    const found = state.canned.find((c) => c.shortcut === match[2]);
    return found ? { canned: found, length: match[2].length + 1 } : null;
  }

  function insertCanned(chat, canned, replaceTyped) {
    const box = chat.reply;
    const text = fillIn(chat, canned.text);
    let start = box.selectionStart;
    const end = box.selectionEnd;
    if (replaceTyped) start -= replaceTyped;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    const caret = start + text.length;
    box.setSelectionRange(caret, caret);
    box.focus();
    showHint(chat);
  }

  function showHint(chat) {
    const typed = typedShortcut(chat);
    chat.hint.textContent = typed ? "Tab or Enter inserts /" + typed.canned.shortcut : "";
  }

  function replyKeys(chat, e) {
    if (e.isComposing) return;
    if (e.key === "Tab" && !e.shiftKey) {
      const typed = typedShortcut(chat);
      if (typed) {
        e.preventDefault();
        insertCanned(chat, typed.canned, typed.length);
      }
    } else if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      const typed = typedShortcut(chat);
      if (typed) insertCanned(chat, typed.canned, typed.length);
      else send(chat);
    } else if (e.key === "Escape") {
      clear(chat.forms);
    }
  }

  // -- transfer, escalate, resolve, hand back -------------------------------------------------

  function actionForm(chat, title, fields, submitLabel, onSubmit) {
    clear(chat.forms);
    const error = el("p", { class: "error", role: "alert", hidden: true });
    const form = el(
      "form",
      { class: "action-form card", onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        try {
          await onSubmit();
          clear(chat.forms);
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
        }
      }, onkeydown: (e) => { if (e.key === "Escape") { clear(chat.forms); chat.reply.focus(); } } },
      el("h3", {}, title),
      fields,
      error,
      el("div", { class: "row" }, el("button", { type: "submit", class: "primary" }, submitLabel), el("button", { type: "button", onclick: () => { clear(chat.forms); chat.reply.focus(); } }, "Cancel")),
    );
    chat.forms.append(form);
    const first = form.querySelector("select, textarea, input");
    if (first) first.focus();
  }

  async function transferForm(chat) {
    try {
      state.roster = await call("/api/agents/roster");
    } catch (err) {
      failed(err);
    }
    const cid = chat.id;
    const current = (chat.view.handoff && chat.view.handoff.skill) || "general";
    const skills = new Set(["general", current]);
    for (const a of state.roster) Object.keys(a.skills || {}).forEach((s) => skills.add(s));
    const skill = el("select", { id: "transfer-skill-" + cid }, [...skills].sort().map((s) => el("option", { value: s, selected: s === current }, s + (s === current ? " (current)" : ""))));
    const colleagues = state.roster.filter((a) => a.id !== state.agent.id && a.status === "online" && a.load < a.max_concurrent);
    const agent = el("select", { id: "transfer-agent-" + cid },
      el("option", { value: "" }, "Anyone with the skill"),
      colleagues.map((a) => el("option", { value: a.id }, a.name + " (" + Object.keys(a.skills).join(", ") + "; " + a.load + "/" + a.max_concurrent + ")")));
    const note = el("textarea", { id: "transfer-note-" + cid, rows: 2 });
    actionForm(
      chat,
      "Transfer this chat",
      [
        el("label", { for: skill.id }, "Skill"), skill,
        el("label", { for: agent.id }, "Colleague (online with a free slot)"), agent,
        el("label", { for: note.id }, "Note for the next agent (optional)"), note,
      ],
      "Transfer",
      async () => {
        const body = { skill: skill.value };
        if (agent.value) body.agent_id = agent.value;
        if (note.value.trim()) body.note = note.value.trim();
        await call(`/api/conversations/${cid}/transfer`, { method: "POST", body });
        closeChat(chat, "Transferred" + (agent.value ? " to " + agentName(agent.value) : " to " + skill.value) + ".");
      },
    );
  }

  function escalateForm(chat) {
    const note = el("textarea", { id: "escalate-note-" + chat.id, rows: 2 });
    actionForm(
      chat,
      "Escalate to a ticket",
      [el("p", { class: "muted" }, "The ticket carries the whole chat, the handoff and your notes; the customer is told its number."),
       el("label", { for: note.id }, "Note on the ticket (optional)"), note],
      "File ticket",
      async () => {
        const body = note.value.trim() ? { note: note.value.trim() } : {};
        const result = await call(`/api/conversations/${chat.id}/escalate`, { method: "POST", body });
        mergeView(chat, result);
        closeChat(chat, "Filed as ticket " + result.ticket_id + ".", result.ticket_id);
        loadTickets();
      },
    );
  }

  async function finish(chat, action) {
    try {
      const view = await call(`/api/conversations/${chat.id}/${action}`, { method: "POST" });
      mergeView(chat, view);
      closeChat(chat, action === "resolve" ? "Resolved: the customer was asked to rate the help." : "Handed back to the bot.");
    } catch (err) {
      failed(err);
    }
  }

  function closeChat(chat, text, ticketId) {
    chat.closed = true;
    clear(chat.forms);
    chat.pane.classList.add("closed");
    chat.tab.classList.add("closed");
    for (const b of chat.actions.querySelectorAll("button")) b.disabled = true;
    chat.reply.disabled = true;
    chat.sendButton.disabled = true;
    chat.canned.disabled = true;
    add(
      clear(chat.banner),
      el("span", {}, text),
      ticketId ? el("button", { type: "button", onclick: () => { showView("tickets"); openTicket(ticketId); } }, "Open ticket " + ticketId) : null,
      el("button", { type: "button", onclick: () => dropChat(chat) }, "Close this chat"),
    );
    chat.banner.hidden = false;
    chat.statusTag.textContent = chat.view.status;
    updateCounts();
    if (state.active === chat.id) chat.title.focus();
  }

  function dropChat(chat) {
    chat.tab.remove();
    chat.pane.remove();
    state.chats.delete(chat.id);
    const next = [...state.chats.keys()][0];
    state.active = null;
    if (next) selectChat(next, { focus: true });
    else ui.empty.hidden = false;
    updateCounts();
  }

  // -- tickets --------------------------------------------------------------------------------

  function buildTicketsView() {
    ui.ticketList = el("ul", { class: "ticket-list", id: "ticket-list", "aria-label": "Tickets" });
    ui.ticketPane = el("section", { class: "ticket-pane", id: "ticket-pane", "aria-label": "Ticket", hidden: true });
    const filter = el(
      "select",
      { id: "ticket-filter", onchange: () => { state.ticketFilter = filter.value; renderTickets(); } },
      el("option", { value: "active" }, "Needs work (new, open, pending)"),
      el("option", { value: "all" }, "All"),
      Object.keys(TICKET_MOVES).map((s) => el("option", { value: s }, s)),
    );
    const mine = el("input", { type: "checkbox", id: "ticket-mine", onchange: () => { state.mineOnly = mine.checked; renderTickets(); } });
    return el(
      "section",
      { id: "tickets-view", class: "tickets-view", "aria-label": "Tickets", hidden: true },
      el("div", { class: "inbox" },
        el("h2", {}, "Ticket inbox"),
        el("div", { class: "row inbox-tools" },
          el("label", { for: "ticket-filter" }, "Show"), filter,
          state.agent ? el("span", {}, mine, " ", el("label", { for: "ticket-mine" }, "Only mine")) : null,
          el("button", { type: "button", onclick: loadTickets }, "Refresh")),
        ui.ticketList),
      ui.ticketPane,
    );
  }

  async function loadTickets() {
    try {
      state.tickets = await call("/api/tickets?clocks=true&limit=200");
      renderTickets();
    } catch (err) {
      failed(err);
    }
  }

  function renderTickets() {
    clear(ui.ticketList);
    const shown = state.tickets.filter((t) =>
      (state.ticketFilter === "all" || (state.ticketFilter === "active" ? ACTIVE_TICKETS.includes(t.status) : t.status === state.ticketFilter)) &&
      (!state.mineOnly || (state.agent && t.assignee_agent_id === state.agent.id)));
    if (!shown.length) ui.ticketList.append(el("li", { class: "muted" }, "No tickets here."));
    for (const t of shown) {
      const clocks = t.sla_clocks || {};
      ui.ticketList.append(
        el("li", { class: "ticket-item", dataset: { ticket: t.id } },
          el("button", { type: "button", class: "ticket-row" + (state.openTicket === t.id ? " current" : ""), onclick: () => openTicket(t.id) },
            el("span", { class: "ticket-id" }, t.id),
            el("span", { class: "tag status-" + t.status }, t.status),
            el("span", { class: "tag priority-" + t.priority }, t.priority),
            el("span", { class: "tag" }, t.skill),
            el("span", { class: "muted reason" }, REASONS[t.reason] || t.reason),
            el("span", { class: "muted email" }, t.customer_email || "no email"),
            el("span", { class: "clocks" },
              Object.keys(METRICS).filter((m) => clocks[m]).map((m) => slaBadge(m, clocks[m], t.status))))),
      );
    }
    updateCounts();
  }

  async function openTicket(id) {
    state.openTicket = id;
    for (const row of ui.ticketList.querySelectorAll(".ticket-row")) row.classList.toggle("current", row.parentElement.dataset.ticket === id);
    try {
      const [ticket, clocks] = await Promise.all([call(`/api/tickets/${encodeURIComponent(id)}`), call(`/api/tickets/${encodeURIComponent(id)}/sla`)]);
      renderTicket(ticket, clocks);
    } catch (err) {
      failed(err);
    }
  }

  function renderTicket(t, clocks) {
    const pane = clear(ui.ticketPane);
    pane.hidden = false;
    pane.dataset.ticket = t.id;
    const status = el("select", { id: "ticket-status" },
      el("option", { value: "" }, t.status + " (now)"),
      (TICKET_MOVES[t.status] || []).map((s) => el("option", { value: s }, s)));
    const statusError = el("p", { class: "error", role: "alert", hidden: true });
    const act = async (fn) => {
      statusError.hidden = true;
      try {
        await fn();
        await Promise.all([openTicket(t.id), loadTickets()]);
      } catch (err) {
        statusError.textContent = err.message;
        statusError.hidden = false;
      }
    };
    const reply = el("textarea", { id: "ticket-reply", rows: 3 });
    const note = el("textarea", { id: "ticket-note", rows: 2 });
    const title = el("h2", { tabindex: "-1" }, "Ticket " + t.id);
    add(
      pane,
      el("header", { class: "ticket-head" },
        title,
        el("span", { class: "tag status-" + t.status }, t.status),
        el("span", { class: "tag priority-" + t.priority }, t.priority),
        el("span", { class: "tag" }, t.skill),
        el("span", { class: "spacer" }),
        el("button", { type: "button", onclick: () => { pane.hidden = true; state.openTicket = null; renderTickets(); } }, "Close")),
      el("p", { class: "clocks" }, Object.keys(METRICS).filter((m) => clocks[m]).map((m) => slaBadge(m, clocks[m], t.status))),
      el("p", { class: "muted" }, REASONS[t.reason] || t.reason, " · filed ", when(t.created_at), " · ", t.customer_email || "no email",
        t.assignee_agent_id ? " · assigned to " + agentName(t.assignee_agent_id) : " · unassigned"),
      el("form", { class: "row ticket-actions", onsubmit: (e) => { e.preventDefault(); if (status.value) act(() => call(`/api/tickets/${t.id}`, { method: "PATCH", body: { status: status.value } })); } },
        el("label", { for: "ticket-status" }, "Status"), status,
        el("button", { type: "submit" }, "Change status"),
        state.agent && t.assignee_agent_id !== state.agent.id
          ? el("button", { type: "button", onclick: () => act(() => call(`/api/tickets/${t.id}`, { method: "PATCH", body: { assignee_agent_id: state.agent.id } })) }, "Assign to me")
          : null),
      statusError,
      el("div", { class: "chat-body" },
        el("div", { class: "conversation" },
          el("h3", {}, "Transcript"),
          el("ol", { class: "transcript", role: "log", "aria-label": "Ticket transcript" }, (t.transcript || []).map(messageItem)),
          el("form", { class: "reply", onsubmit: (e) => { e.preventDefault(); if (reply.value.trim()) act(() => call(`/api/tickets/${t.id}/replies`, { method: "POST", body: { text: reply.value.trim() } })); } },
            el("label", { for: "ticket-reply" }, "Reply to the customer (in the chat and by email)"),
            reply,
            el("div", { class: "row" }, el("span", { class: "spacer" }), el("button", { type: "submit", class: "primary" }, "Send reply")))),
        el("aside", { class: "context" },
          handoffPanel(t.handoff, {}),
          el("section", { class: "notes-box", "aria-label": "Internal notes" },
            el("h3", {}, "Internal notes"),
            el("ul", { class: "notes" }, (t.notes || []).map(noteItem)),
            el("form", { class: "note-form", onsubmit: (e) => { e.preventDefault(); if (note.value.trim()) act(() => call(`/api/tickets/${t.id}/notes`, { method: "POST", body: { text: note.value.trim() } })); } },
              el("label", { for: "ticket-note" }, "Add an internal note"),
              note,
              el("button", { type: "submit" }, "Add note"))))),
    );
    const log = pane.querySelector(".transcript");
    log.scrollTop = log.scrollHeight;
    if (window.matchMedia("(max-width: 900px)").matches) pane.scrollIntoView();
    title.focus({ preventScroll: true });
  }

  // -- live updates ---------------------------------------------------------------------------

  function connect() {
    if (typeof io !== "function") {
      setLive(false);
      return;
    }
    const socket = window.Cascade.socket(state.token);
    socket.on("connect", () => {
      setLive(true);
      refreshOffers();
      refreshChats();
    });
    socket.on("disconnect", () => setLive(false));
    socket.on("connect_error", () => setLive(false));
    socket.on("offer", (offer) => {
      if (!offer || !offer.conversation_id) return;
      const fresh = !state.offers.has(offer.conversation_id);
      offerChanged(offer.conversation_id, offer);
      renderOffers();
      if (fresh) toast("New chat offered.");
    });
    socket.on("offer_withdrawn", (data) => {
      if (!data || !data.conversation_id) return;
      offerChanged(data.conversation_id, null);
      renderOffers();
    });
    socket.on("message", (data) => {
      if (!data || !data.message) return;
      const chat = state.chats.get(data.conversation_id);
      if (chat) appendMessage(chat, data.message);
      else refreshChats();
    });
  }

  function setLive(live) {
    state.live = live;
    ui.connection.textContent = live ? "● Live" : "○ Offline: checking every " + POLL_FALLBACK_MS / 1000 + " s";
    ui.connection.classList.toggle("down", !live);
    schedulePoll();
  }

  function schedulePoll() {
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(async () => {
      await Promise.all([refreshOffers(), refreshChats(), refreshCanned(), state.view === "tickets" ? loadTickets() : null]);
      schedulePoll();
    }, state.live ? POLL_LIVE_MS : POLL_FALLBACK_MS);
  }

  function tick() {
    for (const node of document.querySelectorAll(".countdown[data-expires]")) tickCountdown(node);
    for (const span of document.querySelectorAll(".sla[data-due]")) updateSla(span);
  }

  // -- start ----------------------------------------------------------------------------------

  async function start({ token, me, signOut }) {
    state.token = token;
    state.me = me;
    state.agent = me.agent || null;
    buildFrame(signOut);
    try {
      [state.canned, state.roster] = await Promise.all([call("/api/canned"), call("/api/agents/roster")]);
    } catch (err) {
      failed(err);
    }
    await Promise.all([refreshOffers(), refreshChats(), loadTickets()]);
    renderOffers();
    setLive(false);
    connect();
    setInterval(tick, 1000);
  }

  window.Cascade.signIn({ role: "agent", root: document.getElementById("app"), title: "Agent console" }).then(start);
})();

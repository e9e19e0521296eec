// The agent's chats, several at once: a tab and a pane each, transcript, handoff panel, reply
// box, private notes, and the chat closed once the agent's part in it ends. Canned responses are
// in canned.js; transfer / resolve / escalate in actions.js, which runs the header's buttons.

import { clear, el } from "../shared/dom.js";
import { forget, keep, kept } from "../shared/kept.js";
import { fillCanned, insertCanned, replyKeys, showHint } from "./canned.js";
import { add, customerName, handoffPanel, languageBadge, messageItem, noteItem } from "./parts.js";
import { updateCounts } from "./sections.js";
import { call, clientId, failed, state, ui } from "./state.js";
import { openTicket, showTickets } from "./tickets.js";
import { agentTyped, customerStopped } from "./typing.js";

export function openChat(view, { focus = false } = {}) {
  let chat = state.chats.get(view.id);
  const created = !chat;
  if (!chat) {
    chat = buildChat(view);
    state.chats.set(view.id, chat);
    ui.chatList.append(chat.tab);
    ui.panes.append(chat.pane);
    loadNotes(chat);
  }
  // A chat the agent closed their part in (resolved, say) comes back when its customer writes
  // again and the agent accepts it: it is live again, not read-only.
  if (chat.closed && view.status === "assigned") reopenChat(chat);
  mergeView(chat, view, created);
  if (focus || !state.active) selectChat(view.id, { focus });
  updateCounts();
  return chat;
}

// What the customer asked, under their name on the tab: chats of customers who gave no name
// ("Customer") are told apart by it.
function subjectLine(view) {
  const typed = (view.messages || []).find((m) => m.sender === "customer" && !m.text.startsWith("/"));
  const asked = (view.handoff && view.handoff.question) || (typed && typed.text);
  return asked ? el("small", { class: "tab-subject", title: asked }, asked) : null;
}

function buildChat(view) {
  const cid = view.id;
  const chat = { id: cid, view, seen: new Set(), unread: 0, closed: false };
  const tabId = "chat-tab-" + cid;
  const paneId = "chat-pane-" + cid;
  chat.tabLabel = el("span", { class: "tab-name" }, customerName(view));
  chat.badge = el("span", { class: "unread", hidden: true });
  chat.language = el("span", { class: "tab-language" }, languageBadge(view.language));
  chat.tab = el(
    "button",
    { type: "button", role: "tab", id: tabId, class: "chat-tab", "aria-controls": paneId, "aria-selected": "false", tabindex: "-1", dataset: { conversation: cid }, onclick: () => selectChat(cid, { focus: true }) },
    el("span", { class: "tab-who" }, chat.tabLabel, subjectLine(view)),
    chat.language,
    chat.badge,
  );
  chat.transcript = el("ol", { class: "transcript", role: "log", "aria-live": "polite", "aria-label": "Transcript" });
  chat.handoff = el("div", { class: "handoff-slot" });
  chat.typing = el("p", { class: "typing muted", hidden: true }, customerName(view) + " is typing…");
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
  chat.reply.value = draftOf(cid); // a reply half-written before the console reloaded
  chat.reply.addEventListener("keydown", (e) => replyKeys(chat, e, send));
  chat.reply.addEventListener("input", () => { showHint(chat); keepDraft(chat); agentTyped(chat); });
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
    el("button", { type: "button", dataset: { action: "transfer" } }, "Transfer"),
    el("button", { type: "button", dataset: { action: "escalate" } }, "Escalate to ticket"),
    el("button", { type: "button", dataset: { action: "handback" } }, "Hand back to bot"),
    el("button", { type: "button", class: "primary", dataset: { action: "resolve" } }, "Resolve"),
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
      el("div", { class: "conversation" }, chat.transcript, chat.typing, chat.replyForm),
      el("aside", { class: "context" }, chat.handoff, el("section", { class: "notes-box", "aria-label": "Private notes" }, el("h3", {}, "Private notes"), chat.notes, chat.noteForm)),
    ),
  );
  return chat;
}

// `quiet`: the chat's history as first loaded (no unread count, no scrolling jump).
export function mergeView(chat, view, quiet = false) {
  chat.view = { ...chat.view, ...view };
  for (const m of view.messages || []) appendMessage(chat, m, { quiet });
  const handoff = JSON.stringify([view.handoff, view.customer, view.page_url, view.language]);
  if (handoff !== chat.shownHandoff) {
    chat.shownHandoff = handoff;
    add(clear(chat.handoff), handoffPanel(view.handoff, chat.view));
    add(clear(chat.language), languageBadge(chat.view.language));
    chat.transcript.lang = chat.view.language || ""; // the glyphs of the customer's language
    if (!chat.closed) fillCanned(chat); // the canned texts of the chat's language now
  }
  chat.statusTag.textContent = view.status;
}

// A customer's message may move the chat to another language (the server decides): read the
// chat again, once for a burst of messages, so its badge, handoff and canned texts follow.
export function customerWrote(chat) {
  clearTimeout(chat.reread);
  chat.reread = setTimeout(async () => {
    try {
      if (!chat.closed) mergeView(chat, await call(`/api/conversations/${chat.id}`), true);
    } catch (_) {
      /* the next poll reads it */
    }
  }, 300);
}

export function appendMessage(chat, m, { quiet = false } = {}) {
  if (m.id !== undefined && chat.seen.has(m.id)) return;
  if (m.id !== undefined) chat.seen.add(m.id);
  const log = chat.transcript;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  // In the order they were written, whatever order they arrive in (a push can come before the
  // chat's history is read).
  const later = m.id === undefined ? null : [...log.children].find((li) => Number(li.dataset.id) > m.id);
  log.insertBefore(messageItem(m), later || null);
  if (m.sender === "customer" && !quiet) customerStopped(chat, { wrote: true });
  if (atBottom || !quiet) log.scrollTop = log.scrollHeight;
  // Unread: a customer's message in a chat not on screen (another chat's, or any while the
  // Tickets section shows).
  if (!quiet && (state.active !== chat.id || state.view !== "chats") && m.sender === "customer") {
    chat.unread += 1;
    chat.badge.hidden = false;
    chat.badge.textContent = chat.unread + " new";
    updateCounts();
  } else if (!quiet && m.sender === "customer" && document.visibilityState === "hidden") {
    state.unseen += 1; // the open chat, in a background tab
    updateCounts();
  }
}

export function selectChat(cid, { focus = false } = {}) {
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
  updateCounts();
  ui.empty.hidden = state.chats.size > 0;
  const chat = state.chats.get(cid);
  if (focus && chat) (chat.closed ? chat.title : chat.reply).focus();
}

export function tabKeys(e) {
  if (!["ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key)) return;
  const tabs = [...ui.chatList.querySelectorAll("[role=tab]")];
  const at = tabs.indexOf(document.activeElement);
  if (at < 0) return;
  e.preventDefault();
  const next = e.key === "Home" ? 0 : e.key === "End" ? tabs.length - 1 : (at + (e.key === "ArrowDown" || e.key === "ArrowRight" ? 1 : -1) + tabs.length) % tabs.length;
  selectChat(tabs[next].dataset.conversation);
  tabs[next].focus();
}

export async function refreshChats() {
  if (!state.agent) return;
  try {
    const views = await call(`/api/agents/${state.agent.id}/chats`);
    const current = new Set(views.map((v) => v.id));
    for (const view of views) openChat(view);
    for (const chat of state.chats.values()) {
      if (!chat.closed && !current.has(chat.id)) {
        // Gone from the list, or accepted while the list was on its way: ask the chat itself.
        // An agent reads only the chats offered or assigned to them, so a chat moved on
        // (a supervisor transferred or resolved it) is not theirs to read any more.
        const view = await call(`/api/conversations/${chat.id}`).catch((err) => {
          if (err.status !== 403) throw err;
          return null;
        });
        if (!view) {
          // Set away for a silent console, or gone offline, the agent's chats went back to the
          // queue.
          const away = state.agent.status === "away" || state.agent.status === "offline";
          // Not theirs to read any more: its tag says what is known, not the old "assigned".
          closeChat(chat, away ? "This chat is now queued." : "This chat is no longer assigned to you.", null, away ? "queued" : "moved on");
          continue;
        }
        mergeView(chat, view);
        const mine = view.status === "assigned" && view.assigned_agent && view.assigned_agent.id === state.agent.id;
        if (!mine && !chat.closed) {
          closeChat(chat, view.status === "abandoned" ? "The customer left: this chat is closed." : "This chat is now " + view.status + (view.ticket_id ? " (ticket " + view.ticket_id + ")" : "") + ".", view.ticket_id);
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

export async function send(chat) {
  const text = chat.reply.value;
  if (!text.trim() || chat.closed) return;
  chat.sendButton.disabled = true;
  chat.replyError.hidden = true;
  try {
    const turn = await call(`/api/conversations/${chat.id}/messages`, { method: "POST", body: { text, client_id: clientId() } });
    for (const m of turn.messages) appendMessage(chat, m);
    chat.reply.value = "";
    keepDraft(chat);
    showHint(chat);
  } catch (err) {
    chat.replyError.textContent = "Not sent: " + err.message;
    chat.replyError.hidden = false;
  } finally {
    chat.sendButton.disabled = chat.closed;
    // Back to the reply box, unless the agent has moved on (to an offer, say) while it was sent.
    const at = document.activeElement;
    if (!at || at === document.body || chat.pane.contains(at)) chat.reply.focus();
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

// Closed: read-only, its buttons, reply and note boxes off (a note there could no longer be
// kept: the chat is not the agent's); open again when its customer comes back.
function markClosed(chat, closed) {
  chat.closed = closed;
  chat.pane.classList.toggle("closed", closed);
  chat.tab.classList.toggle("closed", closed);
  for (const b of chat.actions.querySelectorAll("button")) b.disabled = closed;
  for (const part of chat.noteForm.elements) part.disabled = closed;
  chat.reply.disabled = closed;
  chat.sendButton.disabled = closed;
  chat.canned.disabled = closed;
}

export function closeChat(chat, text, ticketId, status) {
  markClosed(chat, true);
  clear(chat.forms);
  add(
    clear(chat.banner),
    el("span", {}, text),
    ticketId ? el("button", { type: "button", onclick: () => { showTickets(); openTicket(ticketId); } }, "Open ticket " + ticketId) : null,
    el("button", { type: "button", onclick: () => dropChat(chat) }, "Close this chat"),
  );
  chat.banner.hidden = false;
  chat.statusTag.textContent = status || chat.view.status;
  updateCounts();
  if (state.active === chat.id) chat.title.focus();
}

function reopenChat(chat) {
  markClosed(chat, false);
  clear(chat.banner);
  chat.banner.hidden = true;
  loadNotes(chat); // notes written since (a transfer's, a colleague's) come with it
}

// Replies being written are kept for this browser tab (shared/kept.js), so a reload loses none.
const DRAFT = "console-reply:";
function draftOf(cid) {
  return kept(DRAFT + cid) || "";
}
function keepDraft(chat) {
  if (chat.reply.value && !chat.closed) keep(DRAFT + chat.id, chat.reply.value);
  else forget(DRAFT + chat.id);
}
window.addEventListener("pagehide", () => state.chats.forEach(keepDraft)); // a canned insert too

function dropChat(chat) {
  chat.reply.value = "";
  keepDraft(chat);
  chat.tab.remove();
  chat.pane.remove();
  state.chats.delete(chat.id);
  const next = [...state.chats.keys()][0];
  state.active = null;
  if (next) selectChat(next, { focus: true });
  else ui.empty.hidden = false;
  updateCounts();
}

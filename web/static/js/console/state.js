// The console's shared state, the handles on its page parts (filled in by the frame, the chats
// and the ticket inbox), API calls with the signed-in token, and toasts.

import { client } from "../shared/api.js";
import { el } from "../shared/dom.js";

export const state = {
  token: null,
  me: null,
  agent: null, // {id, name, status, ...}; null for an admin or a supervisor token
  canWrite: false, // holds the agent role: replies, notes, canned responses (the admin too)
  oversees: false, // holds the supervisor role: every chat and ticket (the admin too)
  offers: new Map(), // conversation id -> offer
  chats: new Map(), // conversation id -> {view, pane, tab, seen, unread, closed, ...}
  active: null,
  unseen: 0, // customer messages in the open chat that came while the console's tab was hidden
  canned: [],
  roster: [],
  tickets: [],
  ticketFilter: "active",
  mineOnly: false,
  ticketSort: "newest", // or "due" (the soonest SLA deadline first), "priority"
  openTicket: null,
  view: "chats",
  live: false,
  socket: null, // socket.io's, when it could be opened
  pollTimer: null,
  heartbeatTimer: null,
  statusChanges: 0, // counts the agent's own status changes: a heartbeat sent before one is stale
  seq: 0, // counts offer changes seen here (pushes, accepts, declines)
  gone: new Map(), // conversation id -> seq when its offer went away
};
export const ui = {};

export const call = client(() => state.token);
export const clientId = () =>
  window.crypto && crypto.randomUUID
    ? crypto.randomUUID()
    : Date.now().toString(36) + Math.random().toString(36).slice(2);

// Why the server set the agent away (the agent's `away_reason`, a push's `reason`): said once
// as it happens (presence.js) and in the offers list until the agent picks a status (offers.js).
export const AWAY_WHY = {
  missed_offers: "You were set away: you let two chat offers in a row run out, so they were passed on: to a colleague, or filed as a ticket when nobody else could take one. Your open chats are still yours. Choose Online to take chats again.",
  no_heartbeat: "You were set away: this console sent no sign of life for too long, so your offers and chats were passed on: to colleagues, or filed as tickets (see Tickets) when nobody else could take them. Choose Online to take chats again.",
};

export function toast(text, kind, ms = 6000) {
  const item = el("p", { class: "toast " + (kind || "") }, text);
  ui.toasts.append(item);
  setTimeout(() => item.remove(), ms);
}

export function failed(err) {
  toast(err && err.message ? err.message : String(err), "error");
}

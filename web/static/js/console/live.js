// Live updates over socket.io (room agent:{id}: "offer", "offer_withdrawn", "message",
// "typing", "chat_closed", "agent_status", "transfer_declined"; room desk: "ticket"), polling
// that keeps the page right when the socket is down, and the one-second clock tick.

import { socket as openSocket } from "../shared/session.js";
import { refreshCanned } from "./canned.js";
import { appendMessage, closeChat, customerWrote, refreshChats } from "./chats.js";
import { offerChanged, refreshOffers, renderOffers, tickCountdown } from "./offers.js";
import { statusHeard } from "./presence.js";
import { state, toast, ui } from "./state.js";
import { loadTickets, refreshOpenTicket, updateSla } from "./tickets.js";
import { customerTyping } from "./typing.js";

const POLL_LIVE_MS = 20000;
const POLL_FALLBACK_MS = 4000;

export function connect() {
  const socket = openSocket(state.token);
  state.socket = socket; // the chats' typing signals go out on it
  if (!socket) {
    setLive(false);
    return;
  }
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
    if (data.accepted && !state.chats.has(data.conversation_id)) refreshChats(); // in another window
  });
  socket.on("ticket", (data) => {
    // A ticket was filed or changed somewhere: read the inbox again (once for a burst of
    // changes), whichever view is showing, so the Tickets tab's count stays true; and the
    // ticket open in the pane, when it is that one.
    clearTimeout(state.ticketReload);
    state.ticketReload = setTimeout(loadTickets, 250);
    if (data && data.ticket_id) refreshOpenTicket(data.ticket_id);
  });
  socket.on("chat_closed", (data) => {
    // Its customer left (or went quiet past the idle limit): said so, as the agent may no
    // longer read the chat itself.
    const chat = data && state.chats.get(data.conversation_id);
    if (chat && !chat.closed && data.status === "abandoned") closeChat(chat, "The customer left: this chat is closed.", null, "abandoned");
    refreshChats();
  });
  socket.on("typing", (data) => {
    const chat = data && data.who === "customer" && state.chats.get(data.conversation_id);
    if (chat) customerTyping(chat);
  });
  socket.on("transfer_declined", (data) => {
    // A colleague this agent transferred a chat to by name said no.
    const name = (data && data.by && data.by.name) || "Your colleague";
    toast(`${name} declined the chat you transferred: it goes to the next free colleague, or back to you if there is none.`, null, 10000);
  });
  socket.on("agent_status", (data) => statusHeard(data && data.status, data && data.reason)); // set away
  socket.on("message", (data) => {
    if (!data || !data.message) return;
    const chat = state.chats.get(data.conversation_id);
    if (chat) appendMessage(chat, data.message);
    else refreshChats();
    if (chat && data.message.sender === "customer") customerWrote(chat);
  });
}

export function setLive(live) {
  state.live = live;
  ui.connection.textContent = live ? "● Live" : "○ Offline: checking every " + POLL_FALLBACK_MS / 1000 + " s";
  ui.connection.classList.toggle("down", !live);
  schedulePoll();
}

function schedulePoll() {
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(async () => {
    await Promise.all([refreshOffers(), refreshChats(), refreshCanned(), loadTickets()]);
    schedulePoll();
  }, state.live ? POLL_LIVE_MS : POLL_FALLBACK_MS);
}

export function tick() {
  for (const node of document.querySelectorAll(".countdown[data-expires]")) tickCountdown(node);
  for (const span of document.querySelectorAll(".sla[data-due]")) updateSla(span);
}

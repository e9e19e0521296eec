// The agent console: status, offers with a countdown, several chats at once with their handoff
// package, replies with canned responses, private notes, transfer / resolve / hand back /
// escalate, and the ticket inbox with SLA clocks. Live updates come over socket.io (room
// agent:{id}: "offer", "offer_withdrawn", "message", "chat_closed", "agent_status"); polling keeps
// it right when the socket is down, and a heartbeat tells the server the console is open. Every
// text from the server goes into the page as text (shared/dom.js), never as HTML.
//
// The entry point, loaded by console.html as an ES module; each concept is a module of its own
// beside this one, and none imports a module that imports it back: a part that needs a sibling
// above it gets a callback, or the sibling listens (the chat header's buttons, actions.js).

import { signIn } from "../shared/session.js";
import { wireActions } from "./actions.js";
import { refreshChats } from "./chats.js";
import { buildFrame } from "./frame.js";
import { connect, setLive, tick } from "./live.js";
import { refreshOffers, renderOffers } from "./offers.js";
import { sayWhyAway, startHeartbeat } from "./presence.js";
import { call, failed, state } from "./state.js";
import { loadTickets } from "./tickets.js";

async function start({ token, me, signOut }) {
  state.token = token;
  state.me = me;
  state.agent = me.agent || null;
  state.canWrite = me.roles.includes("agent");
  state.oversees = me.roles.includes("supervisor");
  buildFrame(signOut);
  sayWhyAway();
  wireActions();
  try {
    [state.canned, state.roster] = await Promise.all([state.canWrite ? call("/api/canned") : [], call("/api/agents/roster")]);
  } catch (err) {
    failed(err);
  }
  await Promise.all([refreshOffers(), refreshChats(), loadTickets()]);
  renderOffers();
  setLive(false);
  connect();
  startHeartbeat();
  setInterval(tick, 1000);
}

// Agents work their chats here; supervisors watch the team's (team.js) and work the inbox.
signIn({ role: ["agent", "supervisor"], root: document.getElementById("app"), title: "Agent console" }).then(start);

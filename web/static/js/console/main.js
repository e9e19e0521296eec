// The agent console: status, offers with a countdown, several chats at once with their handoff
// package, replies with canned responses, private notes, transfer / resolve / hand back /
// escalate, and the ticket inbox with SLA clocks. Live updates come over socket.io (room
// agent:{id}: "offer", "offer_withdrawn", "message"); polling keeps it right when the socket is
// down. Every text from the server goes into the page as text (Cascade.el), never as HTML.
//
// The entry point, loaded by console.html as an ES module after common.js (window.Cascade);
// each concept is a module of its own beside this one.

import { refreshChats } from "./chats.js";
import { buildFrame } from "./frame.js";
import { connect, setLive, tick } from "./live.js";
import { refreshOffers, renderOffers } from "./offers.js";
import { call, failed, state } from "./state.js";
import { loadTickets } from "./tickets.js";

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

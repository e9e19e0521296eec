// The console's two sections, Chats and Tickets: which one shows, and the counts on their tabs,
// redrawn by every part that changes what they count.

import { clear, el } from "../shared/dom.js";
import { ACTIVE_TICKETS, add } from "./parts.js";
import { state, ui } from "./state.js";

export function showView(name) {
  state.view = name;
  ui.chatsView.hidden = name !== "chats";
  ui.ticketsView.hidden = name !== "tickets";
  ui.chatsTab.setAttribute("aria-current", name === "chats" ? "page" : "false");
  ui.ticketsTab.setAttribute("aria-current", name === "tickets" ? "page" : "false");
}

const TITLE = document.title;

// The browser tab's title counts what waits for the agent (offers, and customer messages not
// yet read: in another chat, or while the console was in a background tab), so an agent
// working elsewhere sees "(2) Cascade: agent console".
function updateTitle() {
  const unread = [...state.chats.values()].reduce((n, c) => n + c.unread, 0);
  const waiting = state.offers.size + unread + state.unseen;
  document.title = waiting ? `(${waiting}) ${TITLE}` : TITLE;
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    state.unseen = 0;
    updateTitle();
  }
});

export function updateCounts() {
  updateTitle();
  const open = [...state.chats.values()].filter((c) => !c.closed).length;
  const offers = state.offers.size;
  add(clear(ui.chatsTab), "Chats", el("span", { class: "count" }, String(open)), offers ? el("span", { class: "count offer-count" }, offers + " offered") : null);
  const active = state.tickets.filter((t) => ACTIVE_TICKETS.includes(t.status)).length;
  add(clear(ui.ticketsTab), "Tickets", el("span", { class: "count" }, String(active)));
}

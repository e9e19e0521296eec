// The page's frame: header with the agent's status and the live/offline light, and the Chats and
// Tickets sections (sections.js shows one of them and counts on their tabs). A token with no
// agent behind it (the admin's, a supervisor's) gets the team's chats (team.js) in the Chats
// section instead of its own.

import { clear, el } from "../shared/dom.js";
import { refreshChats, selectChat, tabKeys } from "./chats.js";
import { refreshOffers, renderOffers } from "./offers.js";
import { showView } from "./sections.js";
import { call, failed, state, toast, ui } from "./state.js";
import { buildTeamView, loadTeam } from "./team.js";
import { buildTicketsView, showTickets } from "./tickets.js";

export function buildFrame(signOut) {
  const root = document.getElementById("app");
  clear(root);
  ui.status = el(
    "select",
    { id: "agent-status", onchange: () => setStatus(ui.status.value) },
    ["online", "away", "offline"].map((s) => el("option", { value: s }, s[0].toUpperCase() + s.slice(1))),
  );
  ui.connection = el("span", { class: "connection", role: "status" }, "Connecting…");
  const team = !state.agent && state.oversees;
  const showChats = () => {
    showView("chats");
    if (team) loadTeam();
    else if (state.active) selectChat(state.active); // read now: its unread count clears
  };
  ui.chatsTab = el("button", { type: "button", class: "view-tab", id: "view-chats", "aria-controls": "chats-view", onclick: showChats }, "Chats");
  ui.ticketsTab = el("button", { type: "button", class: "view-tab", id: "view-tickets", "aria-controls": "tickets-view", onclick: showTickets }, "Tickets");
  ui.offers = el("ul", { class: "offers", id: "offers", tabindex: "-1", "aria-live": "polite", "aria-label": "Offers" });
  ui.chatList = el("div", { class: "chat-list", role: "tablist", "aria-label": "My chats", "aria-orientation": "vertical", onkeydown: tabKeys });
  ui.panes = el("div", { class: "panes" });
  ui.empty = el("p", { class: "empty muted" }, "Accept an offer to start chatting. Your open chats show here.");
  ui.panes.append(ui.empty);
  ui.toasts = el("div", { class: "toasts", role: "status", "aria-live": "polite" });

  const header = el(
    "header",
    { class: "bar" },
    el("h1", {}, "Agent console"),
    el("span", { class: "who", id: "who" }, state.agent ? state.agent.name : state.me.roles.includes("admin") ? "Admin" : state.me.subject + " (supervisor)"),
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
      : [
          state.me.roles.includes("admin")
            ? el("div", { class: "card admin-note", role: "note" },
                el("h2", {}, "Chats need an agent's own token"),
                el("p", {}, "Chats are offered to one agent at a time, by skill and free capacity, so taking them needs that agent's own sign-in (their email and password, or the token Cascade issued them). This admin sign-in has no agent behind it."),
                el("p", {}, "You can work the ticket inbox from here."))
            : null,
          team ? buildTeamView() : null,
        ],
  );
  ui.ticketsView = buildTicketsView();
  root.append(header, nav, el("main", { class: "console" }, ui.chatsView, ui.ticketsView), ui.toasts);
  if (state.agent) ui.status.value = state.agent.status;
  if (state.agent) showView("chats");
  else showTickets();
}

async function setStatus(status) {
  if (status === "offline" && !leaveChatsWaiting()) {
    ui.status.value = state.agent.status;
    return;
  }
  state.statusChanges += 1; // a heartbeat answered before or during this change is stale
  try {
    state.agent = await call(`/api/agents/${state.agent.id}/status`, { method: "PUT", body: { status } });
    state.statusChanges += 1;
    ui.status.value = state.agent.status;
    toast("You are " + status + ".");
    if (status === "offline") refreshChats(); // the chats went back to the queue: each shows it
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

// Going offline passes the agent's open chats on (back in the queue, the customers told): asked
// first, as a chat the agent meant to finish would go to a colleague. Away keeps them.
function leaveChatsWaiting() {
  const open = [...state.chats.values()].filter((chat) => !chat.closed).length;
  if (!open) return true;
  const passed = open === 1
    ? "You have 1 open chat. Going offline passes it on: it goes back in the queue for a colleague, and the customer is told."
    : `You have ${open} open chats. Going offline passes them on: they go back in the queue for colleagues, and the customers are told.`;
  return window.confirm(`${passed} To keep ${open === 1 ? "it" : "them"} while you step away, choose Away. Go offline anyway?`);
}

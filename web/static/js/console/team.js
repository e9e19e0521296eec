// The team, for supervisors: the chats waiting for a person now (the line, read again every few
// seconds while it shows), every agent with their status and load, and for the agent picked
// the chats they have now, read-only (transcript, handoff, private notes). Looking at an agent's
// chats is a read of customers' conversations and goes into the audit log, so they load when a
// supervisor asks, never on a timer.

import { clear, el } from "../shared/dom.js";
import { duration } from "../shared/format.js";
import { HANDOFF_REASONS_SHORT } from "../shared/labels.js";
import { add, customerName, handoffPanel, languageBadge, messageItem, noteItem } from "./parts.js";
import { call, failed, state, ui } from "./state.js";

const LINE_EVERY_MS = 5000;

export function buildTeamView() {
  ui.teamList = el("ul", { class: "team-list", id: "team-list", "aria-label": "Agents" });
  ui.teamChats = el("section", { class: "team-chats", id: "team-chats", "aria-label": "The agent's chats", hidden: true });
  ui.lineCount = el("span", { class: "count" }, "");
  ui.line = el("ol", { class: "line", id: "waiting-line", "aria-label": "Waiting for a person" });
  setInterval(() => {
    if (state.view === "chats" && !document.hidden) loadLine({ quiet: true });
  }, LINE_EVERY_MS);
  return el(
    "section",
    { class: "team", id: "team-view", "aria-label": "Team" },
    el("div", { class: "side" },
      el("div", { class: "row" },
        el("h2", {}, "Team"),
        el("span", { class: "spacer" }),
        el("button", { type: "button", onclick: loadTeam }, "Refresh")),
      el("h3", {}, "Waiting now ", ui.lineCount),
      ui.line,
      el("h3", {}, "Agents"),
      el("p", { class: "muted" }, "Pick an agent to read the chats they have now."),
      ui.teamList),
    ui.teamChats,
  );
}

export async function loadTeam() {
  try {
    state.roster = await call("/api/agents/roster");
    renderTeam();
  } catch (err) {
    failed(err);
  }
  loadLine();
}

async function loadLine({ quiet = false } = {}) {
  let line;
  try {
    line = await call("/api/queue");
  } catch (err) {
    if (!quiet) failed(err); // read again in a few seconds: said once, when asked
    return;
  }
  ui.lineCount.textContent = String(line.length);
  clear(ui.line);
  if (!line.length) ui.line.append(el("li", { class: "muted" }, "Nobody is waiting."));
  for (const chat of line) ui.line.append(inLine(chat));
}

// One waiting chat: who, in what language, for which skill, how long, and what happens next.
function inLine(chat) {
  const next = chat.offered_to
    ? "On offer to " + (chat.offered_to.name || "an agent")
    : chat.estimated_wait_s === null
      ? "Nobody online can take it"
      : "Expected to wait " + duration(chat.estimated_wait_s);
  const passed = chat.passed_on_by.map((a) => a.name || "an agent");
  return el("li", { class: "line-item", dataset: { conversation: chat.conversation_id } },
    el("div", { class: "row" },
      el("strong", {}, chat.customer_name || "Customer"),
      languageBadge(chat.language),
      el("span", { class: "tag" }, chat.skill),
      el("span", { class: "tag priority-" + chat.priority }, chat.priority)),
    el("p", { class: "muted" },
      `Waiting ${duration(chat.waited_s)}` + (chat.position ? `, number ${chat.position} for ${chat.skill}` : "") + (chat.reason ? ` · ${HANDOFF_REASONS_SHORT[chat.reason] || chat.reason}` : "")),
    el("p", { class: "next" }, next + "."),
    passed.length ? el("p", { class: "muted" }, "Passed on by " + passed.join(", ") + ".") : null);
}

function renderTeam() {
  clear(ui.teamList);
  if (!state.roster.length) ui.teamList.append(el("li", { class: "muted" }, "No agents yet."));
  for (const agent of state.roster) {
    ui.teamList.append(
      el("li", { class: "team-member", dataset: { agent: agent.id } },
        el("button", { type: "button", class: "team-row" + (state.teamAgent === agent.id ? " current" : ""), onclick: () => openAgent(agent) },
          el("span", { class: "team-name" }, agent.name),
          el("span", { class: "tag status-" + agent.status }, agent.status),
          el("span", { class: "muted load" }, agent.load + " of " + agent.max_concurrent))),
    );
  }
}

async function openAgent(agent) {
  state.teamAgent = agent.id;
  renderTeam();
  try {
    const chats = await call(`/api/agents/${encodeURIComponent(agent.id)}/chats`);
    const notes = await Promise.all(chats.map((c) => call(`/api/conversations/${c.id}/notes`)));
    const pane = clear(ui.teamChats);
    pane.hidden = false;
    add(pane, el("h2", { tabindex: "-1" }, agent.name + "'s chats"));
    if (!chats.length) pane.append(el("p", { class: "muted" }, agent.name + " has no chats right now."));
    chats.forEach((view, i) => pane.append(teamChat(view, notes[i])));
    pane.querySelector("h2").focus({ preventScroll: true });
  } catch (err) {
    failed(err);
  }
}

function teamChat(view, notes) {
  return el(
    "article",
    { class: "team-chat chat-pane", dataset: { conversation: view.id } },
    el("header", { class: "chat-head" },
      el("h3", {}, customerName(view)),
      languageBadge(view.language),
      el("span", { class: "tag chat-status" }, view.status)),
    el("div", { class: "chat-body" },
      el("ol", { class: "transcript", role: "log", "aria-label": "Transcript", lang: view.language || "" }, (view.messages || []).map(messageItem)),
      el("aside", { class: "context" },
        handoffPanel(view.handoff, view),
        el("section", { class: "notes-box", "aria-label": "Private notes" },
          el("h3", {}, "Private notes"),
          notes.length ? el("ul", { class: "notes" }, notes.map(noteItem)) : el("p", { class: "muted" }, "No notes.")))),
  );
}

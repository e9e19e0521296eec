// Ending an agent's part in a chat: transfer, escalate to a ticket, resolve, hand back to the
// bot; then the chat stays in view, closed (chats.js), until the agent drops it.

import { clear, el } from "../shared/dom.js";
import { closeChat, mergeView } from "./chats.js";
import { agentName, spoken } from "./parts.js";
import { call, failed, state, ui } from "./state.js";
import { loadTickets } from "./tickets.js";

// The buttons in each chat's header (chats.js draws them, each with its data-action): one
// listener on the panes runs them, so the chats never import their actions.
export function wireActions() {
  const run = {
    transfer: transferForm,
    escalate: escalateForm,
    handback: (chat) => finish(chat, "handback"),
    resolve: (chat) => finish(chat, "resolve"),
  };
  ui.panes.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-action]");
    const pane = button && button.closest(".chat-pane");
    const chat = pane && state.chats.get(pane.dataset.conversation);
    if (chat && run[button.dataset.action]) run[button.dataset.action](chat);
  });
}

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
    colleagues.map((a) => el("option", { value: a.id }, a.name + " (" + Object.keys(a.skills).join(", ") + "; " + spoken(a, chat.view.language) + "; " + a.load + "/" + a.max_concurrent + ")")));
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
      const view = await call(`/api/conversations/${cid}/transfer`, { method: "POST", body });
      mergeView(chat, view); // its status is now the queue's (or the colleague's offer)
      closeChat(chat, "Transferred" + (agent.value ? " to " + agentName(agent.value) : " to " + skill.value) + ".", null, "transferred");
    },
  );
}

function escalateForm(chat) {
  const note = el("textarea", { id: "escalate-note-" + chat.id, rows: 2 });
  const keep = el("input", { type: "checkbox", id: "escalate-keep-" + chat.id });
  actionForm(
    chat,
    "Escalate to a ticket",
    [el("p", { class: "muted" }, "The ticket carries the whole chat, the handoff and your notes; the customer is told its number."),
     el("label", { for: note.id }, "Note on the ticket (optional)"), note,
     el("label", { class: "check" }, keep, " Follow it up myself: assign the ticket to me (otherwise it goes to the team's unassigned tickets)")],
    "File ticket",
    async () => {
      const body = note.value.trim() ? { note: note.value.trim() } : {};
      if (keep.checked) body.keep = true;
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

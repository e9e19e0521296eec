// Ending an agent's part in a chat: transfer, escalate to a ticket, resolve, hand back to the
// bot; then the chat stays in view, closed, until the agent drops it.

import { mergeView, selectChat } from "./chats.js";
import { showView, updateCounts } from "./frame.js";
import { add, agentName } from "./parts.js";
import { call, failed, state, ui } from "./state.js";
import { loadTickets, openTicket } from "./tickets.js";

const { el, clear } = window.Cascade;

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

export async function transferForm(chat) {
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

export function escalateForm(chat) {
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

export async function finish(chat, action) {
  try {
    const view = await call(`/api/conversations/${chat.id}/${action}`, { method: "POST" });
    mergeView(chat, view);
    closeChat(chat, action === "resolve" ? "Resolved: the customer was asked to rate the help." : "Handed back to the bot.");
  } catch (err) {
    failed(err);
  }
}

export function closeChat(chat, text, ticketId) {
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

// The ticket inbox: the list with its filters, SLA clocks that change as time passes, and one
// ticket's view (status, assignee, transcript, reply, internal notes). An agent's inbox holds
// the tickets assigned to them and the unassigned ones in their languages; a supervisor's every ticket, which they
// reassign or move on but do not write in.

import { clear, drawKeyed, el } from "../shared/dom.js";
import { forget, keep, kept } from "../shared/kept.js";
import { duration, when } from "../shared/format.js";
import { HANDOFF_REASONS } from "../shared/labels.js";
import { ACTIVE_TICKETS, add, agentName, handoffPanel, languageBadge, messageItem, noteItem, spoken } from "./parts.js";
import { showView, updateCounts } from "./sections.js";
import { call, failed, state, ui } from "./state.js";

const TICKET_MOVES = {
  new: ["open", "pending", "solved", "closed"],
  open: ["pending", "solved", "closed"],
  pending: ["open", "solved", "closed"],
  solved: ["open", "closed"],
  closed: [],
};

// -- SLA clocks -----------------------------------------------------------------------------

const METRICS = { first_response: "First response", resolution: "Resolution" };

function slaBadge(metric, clock, ticketStatus) {
  const span = el("span", {
    class: "sla",
    dataset: {
      metric,
      warning: clock.warning_at,
      due: clock.due,
      met: clock.met_at || "",
      stopped: ["solved", "closed"].includes(ticketStatus) && !clock.met_at ? "1" : "",
    },
    title: METRICS[metric] + " due " + when(clock.due),
  });
  updateSla(span);
  return span;
}

function slaState(span, now) {
  const due = Date.parse(span.dataset.due);
  if (span.dataset.met) return Date.parse(span.dataset.met) <= due ? "met" : "missed";
  if (span.dataset.stopped) return "stopped";
  if (now >= due) return "breached";
  if (now >= Date.parse(span.dataset.warning)) return "warning";
  return "ok";
}

export function updateSla(span) {
  const now = Date.now();
  const s = slaState(span, now);
  const due = Date.parse(span.dataset.due);
  const label = METRICS[span.dataset.metric] + ": ";
  const text = {
    met: "met",
    missed: "met late",
    stopped: "stopped",
    breached: "overdue by " + duration((now - due) / 1000),
    warning: "due in " + duration((due - now) / 1000),
    ok: "due in " + duration((due - now) / 1000),
  }[s];
  if (span.dataset.state !== s) {
    span.dataset.state = s;
    span.className = "sla sla-" + s;
  }
  span.textContent = (s === "breached" || s === "warning" ? "⚠ " : "") + label + text;
}

// -- tickets --------------------------------------------------------------------------------

export function buildTicketsView() {
  ui.ticketList = el("ul", { class: "ticket-list", id: "ticket-list", "aria-label": "Tickets" });
  ui.ticketPane = el("section", { class: "ticket-pane", id: "ticket-pane", "aria-label": "Ticket", hidden: true });
  const filter = el(
    "select",
    { id: "ticket-filter", onchange: () => { state.ticketFilter = filter.value; renderTickets(); } },
    el("option", { value: "active" }, "Needs work (new, open, pending)"),
    el("option", { value: "all" }, "All"),
    Object.keys(TICKET_MOVES).map((s) => el("option", { value: s }, s)),
  );
  const sort = el(
    "select",
    { id: "ticket-sort", onchange: () => { state.ticketSort = sort.value; renderTickets(); } },
    el("option", { value: "newest" }, "Newest first"),
    el("option", { value: "due" }, "Due soonest"),
    el("option", { value: "priority" }, "Priority"),
  );
  sort.value = state.ticketSort;
  const mine = el("input", { type: "checkbox", id: "ticket-mine", onchange: () => { state.mineOnly = mine.checked; renderTickets(); } });
  return el(
    "section",
    { id: "tickets-view", class: "tickets-view", "aria-label": "Tickets", hidden: true },
    el("div", { class: "inbox" },
      el("h2", {}, "Ticket inbox"),
      el("div", { class: "row inbox-tools" },
        el("span", { class: "tool" }, el("label", { for: "ticket-filter" }, "Show"), filter),
        el("span", { class: "tool" }, el("label", { for: "ticket-sort" }, "Sort"), sort),
        state.agent ? el("span", { class: "tool" }, mine, el("label", { for: "ticket-mine" }, "Only mine")) : null,
        el("button", { type: "button", onclick: loadTickets }, "Refresh")),
      ui.ticketList),
    ui.ticketPane,
  );
}

// The Tickets section, shown with the inbox fresh.
export function showTickets() {
  showView("tickets");
  return loadTickets();
}

export async function loadTickets() {
  try {
    // Every ticket that needs work, however old (the most overdue are the oldest), and the
    // newest 200 of any status for the other views.
    const [active, recent] = await Promise.all([
      call("/api/tickets?clocks=true&limit=1000&" + ACTIVE_TICKETS.map((s) => "status=" + s).join("&")),
      call("/api/tickets?clocks=true&limit=200"),
    ]);
    const byId = new Map([...recent, ...active].map((t) => [t.id, t]));
    state.tickets = [...byId.values()];
    renderTickets();
    // The open ticket left the inbox (a colleague took it, a supervisor gave it to someone):
    // looked at again, so the pane never goes on offering what can no longer be done.
    if (state.openTicket && !ui.ticketPane.hidden && !byId.has(state.openTicket)) refreshOpenTicket(state.openTicket);
  } catch (err) {
    failed(err);
  }
}

// The inbox's orders. "Due soonest" goes by the earliest deadline among a ticket's running SLA
// clocks (overdue ones first); tickets with none running come last, newest first among them.
const RANK = { urgent: 0, high: 1, normal: 2, low: 3 };
const number = (t) => Number(t.id.replace(/\D/g, ""));
const newest = (a, b) => number(b) - number(a);
function nextDue(t) {
  if (["solved", "closed"].includes(t.status)) return Infinity; // its clocks stopped
  const running = Object.values(t.sla_clocks || {}).filter((c) => !c.met_at);
  return running.length ? Math.min(...running.map((c) => Date.parse(c.due))) : Infinity;
}
const ORDERS = {
  newest,
  due: (a, b) => nextDue(a) - nextDue(b) || newest(a, b),
  priority: (a, b) => (RANK[a.priority] ?? 2) - (RANK[b.priority] ?? 2) || number(a) - number(b),
};

// One row of the inbox, and what it shows: a row whose ticket shows the same is left in place.
function ticketRow(t) {
  const clocks = t.sla_clocks || {};
  return el("li", { class: "ticket-item", dataset: { ticket: t.id } },
    el("button", { type: "button", class: "ticket-row" + (state.openTicket === t.id ? " current" : ""), onclick: () => openTicket(t.id) },
      el("span", { class: "ticket-id" }, t.id),
      el("span", { class: "tag status-" + t.status }, t.status),
      el("span", { class: "tag priority-" + t.priority }, t.priority),
      el("span", { class: "tag" }, t.skill),
      languageBadge(t.language),
      el("span", { class: "subject" }, t.subject || "(no question typed)"),
      el("span", { class: "muted reason" }, HANDOFF_REASONS[t.reason] || t.reason),
      el("span", { class: "muted email" }, [t.customer_name && t.customer_name.trim(), t.customer_email || "no email"].filter(Boolean).join(" · ")),
      el("span", { class: "clocks" },
        Object.keys(METRICS).filter((m) => clocks[m]).map((m) => slaBadge(m, clocks[m], t.status)))));
}
const shows = (t) => JSON.stringify([t.status, t.priority, t.skill, t.language, t.subject, t.reason, t.customer_name, t.customer_email, t.sla_clocks]);

// The inbox is drawn again whenever any ticket changes (a poll, a colleague's action, an SLA
// event), often while the agent is reaching for a row: rows are kept by ticket and only a
// changed one is replaced, so a click begun on a row before a redraw still opens its ticket, and
// the row that had the keyboard keeps it.
const rows = new Map(); // ticket id -> { node, shows }: drawKeyed's memory
function renderTickets() {
  const had = ui.ticketList.contains(document.activeElement) && document.activeElement.closest(".ticket-item");
  const focused = had ? had.dataset.ticket : null;
  const shown = state.tickets.filter((t) =>
    (state.ticketFilter === "all" || (state.ticketFilter === "active" ? ACTIVE_TICKETS.includes(t.status) : t.status === state.ticketFilter)) &&
    (!state.mineOnly || (state.agent && t.assignee_agent_id === state.agent.id)));
  shown.sort(ORDERS[state.ticketSort] || ORDERS.newest);
  const items = shown.map((t) => ({ key: t.id, shows: shows(t), make: () => ticketRow(t) }));
  if (!items.length) items.push(el("li", { class: "muted" }, "No tickets here."));
  drawKeyed(ui.ticketList, rows, items);
  markCurrent();
  const row = focused && rows.get(focused);
  if (row && !row.node.contains(document.activeElement)) row.node.querySelector(".ticket-row").focus();
  updateCounts();
}

function markCurrent() {
  for (const row of ui.ticketList.querySelectorAll(".ticket-row")) row.classList.toggle("current", row.parentElement.dataset.ticket === state.openTicket);
}

export async function openTicket(id, { again = false } = {}) {
  state.openTicket = id;
  markCurrent();
  try {
    const [ticket, clocks] = await Promise.all([call(`/api/tickets/${encodeURIComponent(id)}`), call(`/api/tickets/${encodeURIComponent(id)}/sla`)]);
    if (state.openTicket !== id) return; // another was opened meanwhile
    renderTicket(ticket, clocks, again);
  } catch (err) {
    if (again && state.openTicket === id && (err.status === 403 || err.status === 404)) renderGone(id);
    else failed(err);
  }
}

// The open ticket is no longer this agent's to see: said in its pane, whose actions are gone.
// What they had typed stays kept, for if it comes back to them. Said once: a second look that
// finds it gone leaves the pane (and the Close button the agent may be reaching for) as it is.
function renderGone(id) {
  if (ui.ticketPane.dataset.ticket === id && ui.ticketPane.querySelector(".gone")) return;
  const pane = clear(ui.ticketPane);
  pane.dataset.ticket = id;
  add(
    pane,
    el("header", { class: "ticket-head" },
      el("h2", { tabindex: "-1" }, "Ticket " + id),
      el("span", { class: "spacer" }),
      el("button", { type: "button", onclick: () => closeTicket(id) }, "Close")),
    el("p", { class: "gone", role: "status" }, "This ticket is no longer yours: a colleague took it, or it was given to someone else."),
  );
}

// The open ticket changed elsewhere (the customer wrote, reopening it; a colleague replied):
// drawn again as it is now, where the agent was, with what they were typing (kept as drafts).
export async function refreshOpenTicket(id) {
  if (state.openTicket !== id || ui.ticketPane.hidden) return;
  await openTicket(id, { again: true });
}

// Where the agent is in the open ticket's pane, taken just before it is drawn again and given
// back after: the field they are in (with the caret where it was) and the transcript's scroll.
function placeInPane() {
  const active = ui.ticketPane.contains(document.activeElement) ? document.activeElement : null;
  const log = ui.ticketPane.querySelector(".transcript");
  const atBottom = !log || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const scrolled = log ? log.scrollTop : 0;
  const caret = active instanceof HTMLTextAreaElement ? [active.selectionStart, active.selectionEnd] : null;
  return () => {
    const again = active && active.id ? document.getElementById(active.id) : null;
    if (again) again.focus({ preventScroll: true });
    if (caret && again instanceof HTMLTextAreaElement) again.setSelectionRange(...caret);
    const fresh = ui.ticketPane.querySelector(".transcript");
    if (fresh) fresh.scrollTop = atBottom ? fresh.scrollHeight : scrolled;
  };
}

// What the agent has typed or picked in a ticket's pane and not yet sent, by ticket: a redraw
// (the ticket changed meanwhile) or a reload of the page puts it back; a send clears it. Kept for
// this browser tab (shared/kept.js), and in this page's memory when the browser refuses storage.
const DRAFT = "console-ticket:";
const drafts = new Map();
function draftOf(id) {
  if (!drafts.has(id)) drafts.set(id, { reply: "", note: "", status: "", assignee: "", ...(kept(DRAFT + id) || {}) });
  return drafts.get(id);
}
function keepDraft(id) {
  const draft = draftOf(id);
  if (draft.reply || draft.note || draft.status || draft.assignee) keep(DRAFT + id, draft);
  else forget(DRAFT + id);
}

// A supervisor hands a ticket to an agent, each named with the languages they chat in, or back
// to the shared inbox (agents take tickets with "Assign to me").
const NOBODY = "-";
// The one picked is kept with the ticket's draft, as the status is: a redraw before "Assign"
// (the ticket's SLA clock turning) does not lose it.
function reassign(t, act, draft) {
  const to = el("select", { id: "ticket-assignee", "aria-label": "Assign to", onchange: () => { draft.assignee = to.value; keepDraft(t.id); } },
    el("option", { value: "" }, "Assign to…"),
    t.assignee_agent_id ? el("option", { value: NOBODY }, "Nobody: back to the unassigned tickets") : null,
    state.roster.filter((a) => a.id !== t.assignee_agent_id).map((a) => el("option", { value: a.id }, a.name + " (" + spoken(a, t.language) + ")")));
  // A pick the ticket has since come to (given to that agent meanwhile, or to nobody) is done.
  if (draft.assignee && draft.assignee === (t.assignee_agent_id || NOBODY)) {
    draft.assignee = "";
    keepDraft(t.id);
  }
  to.value = draft.assignee || "";
  if (to.selectedIndex < 0) to.value = ""; // not among the choices (the roster not yet loaded)
  const assign = () => {
    if (to.value) act(() => call(`/api/tickets/${t.id}`, { method: "PATCH", body: { assignee_agent_id: to.value === NOBODY ? null : to.value } }), "assignee");
  };
  return [to, el("button", { type: "button", onclick: assign }, "Assign")];
}

// The pane closes and the keyboard is back on the ticket's row in the inbox.
function closeTicket(id) {
  ui.ticketPane.hidden = true;
  state.openTicket = null;
  renderTickets();
  const row = ui.ticketList.querySelector(`.ticket-item[data-ticket="${CSS.escape(id)}"] .ticket-row`);
  if (row) {
    row.focus();
    row.scrollIntoView({ block: "nearest" });
  }
}

// A status change with no new status picked says what is missing instead of doing nothing.
function pickFirst(status, errorLine) {
  if (status.value) return true;
  sayError(errorLine(), "Pick the new status first.");
  status.focus();
  return false;
}

// The ticket's error line, said anew: an alert, which screen readers read out as it appears.
// One carried over a redraw is on the page without the role (it was read out when it came, and
// is not read again each time a colleague's change draws the pane); a new error on it is put
// in a fresh alert.
function sayError(line, message) {
  if (line.getAttribute("role") === "alert") {
    line.textContent = message;
    line.hidden = false;
    return;
  }
  line.replaceWith(el("p", { class: "error", id: "ticket-error", role: "alert" }, message));
}

function renderTicket(t, clocks, again) {
  const putBack = again ? placeInPane() : null;
  // An error the agent was shown stays shown when the ticket is drawn again meanwhile (a
  // colleague's action, the customer writing): it goes with their next action.
  const shown = again && ui.ticketPane.dataset.ticket === t.id ? ui.ticketPane.querySelector("#ticket-error:not([hidden])") : null;
  const pane = clear(ui.ticketPane);
  pane.hidden = false;
  pane.dataset.ticket = t.id;
  const draft = draftOf(t.id);
  const status = el("select", { id: "ticket-status", onchange: () => { draft.status = status.value; keepDraft(t.id); } },
    el("option", { value: "" }, t.status + " (now)"),
    (TICKET_MOVES[t.status] || []).map((s) => el("option", { value: s }, s)));
  // A status picked before the ticket moved on is kept only while it is still a move from here.
  status.value = (TICKET_MOVES[t.status] || []).includes(draft.status) ? draft.status : "";
  const statusError = el("p", { class: "error", id: "ticket-error", role: shown ? null : "alert", hidden: !shown }, shown ? shown.textContent : "");
  // The error line in the pane as it is now: drawn again while a request was out (the push of
  // a colleague's change that refused it), this drawing's line is no longer on the page.
  const errorLine = () => (ui.ticketPane.dataset.ticket === t.id && ui.ticketPane.querySelector("#ticket-error")) || statusError;
  // `sent` names the draft the action used up (cleared once it succeeded).
  const act = async (fn, sent = null) => {
    errorLine().hidden = true;
    try {
      await fn();
      if (sent) {
        draft[sent] = "";
        keepDraft(t.id);
      }
      // Drawn again where the agent is (what they went on to type, and where), not opened
      // anew: the answer may come after they started on the next thing.
      await Promise.all([refreshOpenTicket(t.id), loadTickets()]);
      if (!ui.ticketPane.contains(document.activeElement)) ui.ticketPane.querySelector("h2")?.focus({ preventScroll: true });
    } catch (err) {
      sayError(errorLine(), err.message);
    }
  };
  const reply = el("textarea", { id: "ticket-reply", rows: 3, oninput: () => { draft.reply = reply.value; keepDraft(t.id); } });
  const note = el("textarea", { id: "ticket-note", rows: 2, oninput: () => { draft.note = note.value; keepDraft(t.id); } });
  reply.value = draft.reply;
  note.value = draft.note;
  const title = el("h2", { tabindex: "-1" }, "Ticket " + t.id);
  add(
    pane,
    el("header", { class: "ticket-head" },
      title,
      el("span", { class: "tag status-" + t.status }, t.status),
      el("span", { class: "tag priority-" + t.priority }, t.priority),
      el("span", { class: "tag" }, t.skill),
      el("span", { class: "spacer" }),
      el("button", { type: "button", onclick: () => closeTicket(t.id) }, "Close")),
    el("p", { class: "clocks" }, Object.keys(METRICS).filter((m) => clocks[m]).map((m) => slaBadge(m, clocks[m], t.status))),
    t.subject ? el("p", { class: "ticket-subject" }, t.subject) : null,
    el("p", { class: "muted" }, HANDOFF_REASONS[t.reason] || t.reason, " · filed ", when(t.created_at), " · ",
      [t.customer_name && t.customer_name.trim(), t.customer_email || "no email"].filter(Boolean).join(" · "),
      t.assignee_agent_id ? " · assigned to " + agentName(t.assignee_agent_id) : " · unassigned"),
    el("form", { class: "row ticket-actions", onsubmit: (e) => { e.preventDefault(); pickFirst(status, errorLine) && act(() => call(`/api/tickets/${t.id}`, { method: "PATCH", body: { status: status.value } }), "status"); } },
      el("label", { for: "ticket-status" }, "Status"), status,
      el("button", { type: "submit" }, "Change status"),
      state.agent && t.assignee_agent_id !== state.agent.id
        ? el("button", { type: "button", onclick: () => act(() => call(`/api/tickets/${t.id}`, { method: "PATCH", body: { assignee_agent_id: state.agent.id } })) }, "Assign to me")
        : null,
      !state.agent && state.oversees ? reassign(t, act, draft) : null),
    statusError,
    el("div", { class: "chat-body" },
      el("div", { class: "conversation" },
        el("h3", {}, "Transcript"),
        el("ol", { class: "transcript", role: "log", "aria-label": "Ticket transcript" }, (t.transcript || []).map(messageItem)),
        !state.canWrite ? null : t.status === "closed" ? el("p", { class: "muted", id: "ticket-closed" }, "This ticket is closed: no more replies can be sent on it.") : el("form", { class: "reply", onsubmit: (e) => { e.preventDefault(); if (reply.value.trim()) act(() => call(`/api/tickets/${t.id}/replies`, { method: "POST", body: { text: reply.value.trim() } }), "reply"); } },
          el("label", { for: "ticket-reply" }, "Reply to the customer (" + (t.emailed ? "in the chat and by email to " + t.customer_email : t.customer_email ? "in the chat: this server sends no email" : "in the chat: they gave no email address") + ")"),
          reply,
          el("div", { class: "row" }, el("span", { class: "spacer" }), el("button", { type: "submit", class: "primary" }, "Send reply")))),
      el("aside", { class: "context" },
        handoffPanel(t.handoff, { language: t.language, customer: { name: t.customer_name, email: t.customer_email } }),
        el("section", { class: "notes-box", "aria-label": "Internal notes" },
          el("h3", {}, "Internal notes"),
          el("ul", { class: "notes" }, (t.notes || []).map(noteItem)),
          !state.canWrite ? null : el("form", { class: "note-form", onsubmit: (e) => { e.preventDefault(); if (note.value.trim()) act(() => call(`/api/tickets/${t.id}/notes`, { method: "POST", body: { text: note.value.trim() } }), "note"); } },
            el("label", { for: "ticket-note" }, "Add an internal note"),
            note,
            el("button", { type: "submit" }, "Add note"))))),
  );
  const log = pane.querySelector(".transcript");
  log.scrollTop = log.scrollHeight;
  if (putBack) return putBack(); // drawn again where the agent already is (refreshOpenTicket)
  // Opened from far down the inbox, the ticket (above the list) is brought into view.
  const top = pane.getBoundingClientRect().top;
  if (window.matchMedia("(max-width: 900px)").matches || top < 0 || top > window.innerHeight) pane.scrollIntoView();
  title.focus({ preventScroll: true });
}

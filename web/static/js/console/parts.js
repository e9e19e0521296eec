// Building blocks shared by chats and tickets: transcript lines, the handoff panel (reason,
// summary, customer, knowledge attempts), notes. Every text goes in as text (shared/dom.js).

import { append, el } from "../shared/dom.js";
import { when } from "../shared/format.js";
import { markdown } from "../shared/markdown.js";
import { HANDOFF_REASONS, LANGUAGES } from "../shared/labels.js";
import { state } from "./state.js";

// Appends like el() does: skips null/false, flattens arrays, text as text nodes.
export const add = (node, ...children) => append(node, children);

const SENDERS = { customer: "Customer", bot: "Bot", agent: "Agent", system: "System" };
export const ACTIVE_TICKETS = ["new", "open", "pending"];

// -- building blocks ------------------------------------------------------------------------

export function customerName(view) {
  const c = (view && (view.customer || (view.handoff && view.handoff.customer))) || {};
  return c.name || c.email || "Customer";
}

export function messageItem(m) {
  const sender = SENDERS[m.sender] ? m.sender : "system";
  const time = m.created_at ? new Date(m.created_at) : null;
  return el(
    "li",
    { class: "msg msg-" + sender, dataset: { id: m.id, sender } },
    el("span", { class: "who" }, sender === "agent" && m.author ? SENDERS.agent + " · " + m.author : SENDERS[sender]),
    time && !Number.isNaN(time.getTime())
      ? el("time", { datetime: m.created_at }, time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }))
      : null,
    // The bot's and agents' Markdown shows as the customer saw it; a customer's words as typed.
    el("p", { class: "text" }, sender === "customer" ? m.text : markdown(m.text)),
    m.buttons && m.buttons.length
      ? el("p", { class: "buttons muted" }, "Offered buttons: ", m.buttons.map((b) => b.title).join(" · "))
      : null,
  );
}

// The language the customer writes in and is answered in (staff pages stay English; the
// customer's messages are shown as they wrote them).
export function languageBadge(code) {
  if (!code) return null;
  return el(
    "span",
    { class: "tag lang-badge", dataset: { language: code }, title: "The customer's language: Cascade writes to them in it" },
    LANGUAGES[code] || code,
  );
}

function safeLink(url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      return el("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer" }, url);
    }
  } catch (_) {
    /* not a URL: shown as text */
  }
  return el("span", {}, url);
}

function attemptItem(a) {
  const helped = a.offered
    ? ["unhelpful", "offered as a choice, not picked"]
    : a.helpful === true
      ? ["helped", "did help"]
      : a.helpful === false
        ? ["unhelpful", "did not help"]
        : ["unknown", "the customer did not say whether it helped"];
  return el(
    "li",
    { class: "attempt attempt-" + helped[0] },
    el("strong", {}, a.title || a.article_id || "article"),
    a.article_id && a.title ? el("span", { class: "muted" }, " (" + a.article_id + ")") : null,
    el("br"),
    "score ",
    typeof a.score === "number" ? a.score.toFixed(2) : "–",
    " · ",
    el("span", { class: "helped" }, helped[1]),
  );
}

export function handoffPanel(handoff, extra) {
  const h = handoff || {};
  // The chat's or ticket's own customer is newer than the package's (an address given since).
  const customer = (extra && extra.customer) || h.customer || {};
  const pageUrl = h.page_url || (extra && extra.page_url);
  const language = (extra && extra.language) || h.language;
  const attempts = h.knowledge_attempts || [];
  const row = (label, value) => [el("dt", {}, label), el("dd", {}, value === null || value === undefined || value === "" ? "–" : value)];
  return el(
    "section",
    { class: "handoff", "aria-label": "Handoff" },
    el("h3", {}, "Handoff"),
    handoff ? null : el("p", { class: "muted" }, "No handoff package: this chat came without one."),
    el(
      "dl",
      {},
      row("Reason", h.reason ? HANDOFF_REASONS[h.reason] || h.reason : null),
      row("Summary", h.summary),
      row("Skill", h.skill),
      row("Priority", h.priority),
      row("Sentiment", h.sentiment),
      row("Language", languageBadge(language)),
      row("Customer", customer.name),
      row("Email", customer.email),
      row("Page", pageUrl ? safeLink(pageUrl) : null),
    ),
    el("h4", {}, "Knowledge attempts"),
    attempts.length
      ? el("ol", { class: "attempts" }, attempts.map(attemptItem))
      : el("p", { class: "muted" }, "The bot showed no articles for this request (any shown for an earlier one are in the transcript)."),
  );
}

export function noteItem(n) {
  const author = n.agent_id ? (n.agent_id === (state.agent && state.agent.id) ? "You" : agentName(n.agent_id)) : "Team";
  return el(
    "li",
    { class: "note" },
    el("p", { class: "text" }, n.text),
    el("span", { class: "muted" }, author, " · ", when(n.created_at)),
  );
}

export function agentName(id) {
  const found = state.roster.find((a) => a.id === id);
  return found ? found.name : "Agent " + id;
}

// The languages a colleague chats in: routing offers them only chats in these; a chat or a
// ticket may still be given to them by name, with a word when they do not speak the customer's.
export function spoken(agent, language) {
  const languages = agent.languages || ["en"];
  const names = languages.map((code) => LANGUAGES[code] || code).join(", ");
  return language && !languages.includes(language) ? names + ", not the customer's language" : names;
}

// Offers: the list with a countdown each, accept and decline. A push and the answer to a request
// can cross; `state.seq` decides which wins.

import { drawKeyed, el } from "../shared/dom.js";
import { duration } from "../shared/format.js";
import { HANDOFF_REASONS } from "../shared/labels.js";
import { openChat, refreshChats } from "./chats.js";
import { customerName, languageBadge } from "./parts.js";
import { updateCounts } from "./sections.js";
import { AWAY_WHY, call, failed, state, toast, ui } from "./state.js";

// Drawn again on every push and poll, often while the agent is reaching for a card's button:
// cards are kept by chat and only a changed one is replaced, so a press begun on "Accept" before
// a redraw still lands; a keyboard user's focus stays on the button it was on.
const cards = new Map(); // conversation id -> { node, shows }: drawKeyed's memory
export function renderOffers() {
  const focused = document.activeElement;
  const card = ui.offers.contains(focused) ? focused.closest(".offer") : null;
  const kept = card ? { id: card.dataset.conversation, label: focused.textContent } : null;
  const items = [];
  if (state.agent && state.agent.status !== "online") {
    const why = state.agent.status === "away" && AWAY_WHY[state.agent.away_reason];
    items.push(el("li", { class: why ? "away-why" : "muted" }, why || "You are " + state.agent.status + ": go online to get offers."));
  } else if (!state.offers.size) {
    items.push(el("li", { class: "muted" }, "No offers right now."));
  }
  for (const offer of state.offers.values()) items.push({ key: offer.conversation_id, shows: cardShows(offer), make: () => offerCard(offer) });
  drawKeyed(ui.offers, cards, items);
  if (kept && !ui.offers.contains(document.activeElement)) {
    const again = [...ui.offers.querySelectorAll(".offer")].find((o) => o.dataset.conversation === kept.id);
    const button = again && [...again.querySelectorAll("button")].find((b) => b.textContent === kept.label);
    if (button) button.focus();
  }
  updateCounts();
}

// What a card draws, and nothing else: a waiting customer's every message (in the handoff's
// transcript) must not replace the card the agent is reaching for.
function cardShows(offer) {
  const h = offer.handoff || {};
  const c = h.customer || {};
  return JSON.stringify([offer.expires_at, offer.skill, offer.priority, offer.transfer, c.name, c.email, h.skill, h.language, h.reason, h.summary, state.agent && state.agent.id]);
}

function offerCard(offer) {
  const h = offer.handoff || {};
  const countdown = el("p", { class: "countdown", dataset: { expires: offer.expires_at } });
  const accept = el("button", { type: "button", class: "primary", onclick: () => accept_(offer, accept) }, "Accept");
  const card = el(
    "li",
    { class: "offer card", dataset: { conversation: offer.conversation_id } },
    el("h3", {}, customerName({ handoff: h })),
    el("p", { class: "tags" },
      el("span", { class: "tag" }, offer.skill || h.skill || "general"),
      " ",
      el("span", { class: "tag priority-" + (offer.priority || "normal") }, offer.priority || "normal"),
      h.language ? " " : null,
      languageBadge(h.language)),
    el("p", { class: "reason" }, HANDOFF_REASONS[h.reason] || h.reason || ""),
    offer.transfer ? transferLine(offer.transfer) : null,
    h.summary ? el("p", { class: "summary" }, h.summary) : null,
    countdown,
    el("div", { class: "row" }, accept, el("button", { type: "button", onclick: () => decline(offer) }, "Decline")),
  );
  tickCountdown(countdown); // in its card: an offer already over disables its Accept
  return card;
}

// How the colleague a chat was sent to by name let it go (`transfer.passed_on`): told to the
// agent who sent it, when it comes back to them, and to anyone else it is offered to next.
const BACK = {
  declined: "declined the chat you transferred",
  expired: "did not answer the chat you transferred in time",
  withdrawn: "went away before answering the chat you transferred",
};
const LET_GO = { declined: "declined it", expired: "did not answer in time", withdrawn: "went away before answering" };

// A chat a colleague transferred says so, with their note: why it is coming to this agent now.
// Sent by name to someone else (who passed it on), it says to whom: the note was for them.
function transferLine(transfer) {
  const named = transfer.to_agent ? transfer.to_agent.name || "a colleague" : null;
  if (transfer.from_agent && transfer.from_agent.id === state.agent.id && named) {
    return el("p", { class: "transfer" }, `${named} ${BACK[transfer.passed_on] || "did not take the chat you transferred"}: it is back with you.`);
  }
  const who = (transfer.from_agent && transfer.from_agent.name) || "a colleague";
  const letGo = LET_GO[transfer.passed_on];
  const to = named && transfer.to_agent.id !== state.agent.id ? ` to ${named}` + (letGo ? `, who ${letGo}` : "") : "";
  return el("p", { class: "transfer" }, `Transferred by ${who}${to}` + (transfer.note ? `: ${transfer.note}` : ""));
}

export function tickCountdown(node) {
  const left = (Date.parse(node.dataset.expires) - Date.now()) / 1000;
  node.classList.toggle("soon", left < 10);
  if (left <= 0) {
    node.textContent = "Offer expired: it goes to a colleague, or comes back to you if nobody else can take it.";
    const button = node.parentElement && node.parentElement.querySelector("button.primary");
    if (button) button.disabled = true;
  } else {
    node.textContent = "Offer ends in " + duration(left);
  }
}

// Pushes and answers to requests can cross: what was pushed or decided after a request left
// wins over that request's answer. `state.seq` orders them.
export function offerChanged(conversationId, offer) {
  state.seq += 1;
  if (offer) state.offers.set(conversationId, { ...offer, seq: state.seq });
  else {
    state.offers.delete(conversationId);
    state.gone.set(conversationId, state.seq);
  }
}

export async function refreshOffers() {
  if (!state.agent) return;
  const asked = state.seq;
  try {
    const offers = await call(`/api/agents/${state.agent.id}/offers`);
    const before = new Set(state.offers.keys());
    const next = new Map();
    for (const o of offers) {
      if (!((state.gone.get(o.conversation_id) || 0) > asked)) next.set(o.conversation_id, o);
    }
    for (const [cid, o] of state.offers) if (o.seq > asked && !next.has(cid)) next.set(cid, o);
    state.offers = next;
    if (offers.some((o) => !before.has(o.conversation_id))) toast("New chat offered.");
    renderOffers();
  } catch (err) {
    failed(err);
  }
}

async function accept_(offer, button) {
  button.disabled = true;
  try {
    const view = await call(`/api/conversations/${offer.conversation_id}/accept`, { method: "POST" });
    offerChanged(offer.conversation_id, null);
    renderOffers();
    openChat(view, { focus: true });
  } catch (err) {
    offerChanged(offer.conversation_id, null);
    renderOffers();
    if ((err.status === 409 || err.status === 403) && !/online agent/.test(err.message)) {
      // Accepted first by a colleague, or answered in another window, or the offer lapsed, or
      // the customer left: said in words, not the server's ids.
      toast("This chat is no longer waiting for you: it was taken or passed on, or its customer left.", "error");
      refreshChats();
    } else failed(err);
  }
}

async function decline(offer) {
  ui.offers.focus(); // its card goes: focus stays in the offers, not on the page's body
  try {
    const after = await call(`/api/conversations/${offer.conversation_id}/decline`, { method: "POST" });
    // Everyone online who chats in the customer's language has passed it on: it is a ticket now.
    toast(after && after.status === "ticketed"
      ? "Declined: nobody else online could take it, so it was filed as a ticket."
      : "Declined: it goes to someone else.");
  } catch (err) {
    failed(err);
  }
  offerChanged(offer.conversation_id, null);
  renderOffers();
}

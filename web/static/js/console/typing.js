// Typing indicators with each chat's customer (conversations/typing.py): the agent's typing is
// sent at most every few seconds while they write a reply; the customer's shows under the
// transcript for a few seconds after it comes, or until their message does (a signal sent just
// before it, overtaken on the way, is not shown after it).
import { state } from "./state.js";

const EVERY_MS = 3000;
const SHOWN_MS = 6000;
const LATE_MS = 1500;

export function agentTyped(chat) {
  const socket = state.socket;
  if (chat.closed || !socket || !socket.connected || !chat.reply.value.trim()) return;
  if (Date.now() - (chat.typingSent || 0) < EVERY_MS) return;
  chat.typingSent = Date.now();
  socket.emit("typing", { conversation_id: chat.id });
}

export function customerTyping(chat) {
  if (chat.closed || Date.now() - (chat.customerWrote || 0) < LATE_MS) return;
  chat.typing.hidden = false;
  clearTimeout(chat.typingTimer);
  chat.typingTimer = setTimeout(() => customerStopped(chat), SHOWN_MS);
}

export function customerStopped(chat, { wrote = false } = {}) {
  if (wrote) chat.customerWrote = Date.now();
  clearTimeout(chat.typingTimer);
  chat.typing.hidden = true;
}

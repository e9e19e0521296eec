// Canned responses in the reply box: the picker, and "/shortcut" + Tab or Enter. Each is put in
// in the chat's language when it has a text of its own in it (`texts`), else its default text.

import { clear, el } from "../shared/dom.js";
import { add } from "./parts.js";
import { call, failed, state } from "./state.js";

export function fillCanned(chat) {
  add(
    clear(chat.canned),
    el("option", { value: "" }, state.canned.length ? "Insert a canned response…" : "No canned responses yet"),
    state.canned.map((c) => el("option", { value: c.shortcut }, "/" + c.shortcut + " — " + inLanguage(chat, c).slice(0, 60))),
  );
  chat.canned.disabled = !state.canned.length;
}

export async function refreshCanned() {
  if (!state.canWrite) return; // canned responses are for those who write to customers
  try {
    const canned = await call("/api/canned");
    if (JSON.stringify(canned) === JSON.stringify(state.canned)) return;
    state.canned = canned;
    for (const chat of state.chats.values()) if (!chat.closed) fillCanned(chat);
  } catch (err) {
    failed(err);
  }
}

function inLanguage(chat, canned) {
  return (canned.texts && canned.texts[chat.view.language]) || canned.text;
}

// A customer who gave no name: the language's word for a customer (chat.po's
// chat.canned_no_name), standing alone where the text puts 様 after the name.
const NO_NAME = { en: "there", ja: "お客様" };

function fillIn(chat, text) {
  const name = ((chat.view.customer && chat.view.customer.name) || "").trim().split(/\s+/)[0];
  if (name) return text.split("{customer_name}").join(name);
  const nobody = NO_NAME[chat.view.language] || NO_NAME.en;
  return text.split("{customer_name}様").join(nobody).split("{customer_name}").join(nobody);
}

// The "/shortcut" word just before the caret: the canned response it names, or the only one it
// begins ("/look" for /lookup); `unknown` when it names none.
function typedShortcut(chat) {
  const box = chat.reply;
  const before = box.value.slice(0, box.selectionStart);
  const match = /(^|\s)\/([\w-]+)$/.exec(before);
  if (!match) return null;
  const word = match[2];
  const begun = state.canned.filter((c) => c.shortcut.startsWith(word));
  const found = state.canned.find((c) => c.shortcut === word) || (begun.length === 1 ? begun[0] : null);
  return found ? { canned: found, length: word.length + 1 } : { unknown: word, begun };
}

export function insertCanned(chat, canned, replaceTyped) {
  const box = chat.reply;
  const text = fillIn(chat, inLanguage(chat, canned));
  let start = box.selectionStart;
  const end = box.selectionEnd;
  if (replaceTyped) start -= replaceTyped;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  const caret = start + text.length;
  box.setSelectionRange(caret, caret);
  box.focus();
  showHint(chat);
}

export function showHint(chat) {
  const typed = typedShortcut(chat);
  chat.hint.textContent = !typed ? ""
    : typed.canned ? "Tab or Enter inserts /" + typed.canned.shortcut
    : typed.begun.length ? "Canned responses: " + typed.begun.map((c) => "/" + c.shortcut).join(", ")
    : "No canned response /" + typed.unknown;
}

// Keys in a chat's reply box; `send(chat)` sends the reply (the chat's own, in chats.js).
export function replyKeys(chat, e, send) {
  if (e.isComposing) return;
  if (e.key === "Tab" && !e.shiftKey) {
    const typed = typedShortcut(chat);
    if (typed && typed.canned) {
      e.preventDefault();
      insertCanned(chat, typed.canned, typed.length);
    } else if (typed) {
      e.preventDefault(); // stays in the box, where the hint says why nothing went in
    }
  } else if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    const typed = typedShortcut(chat);
    if (typed && typed.canned) insertCanned(chat, typed.canned, typed.length);
    // A reply that is only an unknown "/word" is a mistyped shortcut, not words for the customer.
    else if (typed && /^\/[\w-]+$/.test(chat.reply.value.trim())) showHint(chat);
    else send(chat);
  } else if (e.key === "Escape") {
    clear(chat.forms);
  }
}

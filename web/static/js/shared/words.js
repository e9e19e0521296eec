// The widget's words: every text it shows comes from the server's catalogue (widget.po) in one
// language, so no sentence is written here. `w("widget.send")` is a text, `{name}` fields are
// filled from `params`; `parts()` does the same with DOM nodes (a name in bold); elements with
// `data-word` (their text), `data-word-placeholder` or `data-word-aria-label` are filled by
// `applyWords()`.
import { api } from "./api.js";

const loaded = { language: null, words: {} };

export function language() {
  return loaded.language;
}

// Fetches the words of the first of `locales` Cascade speaks (else the default language);
// returns {language, matched}.
export async function loadWords(locales) {
  const query = new URLSearchParams();
  for (const locale of locales.filter(Boolean).slice(0, 10)) query.append("locale", locale);
  const found = await api("/api/widget/words?" + query.toString());
  loaded.language = found.language;
  loaded.words = found.words;
  applyWords(document);
  return { language: found.language, matched: found.matched, sends_email: found.sends_email };
}

export function w(key, params = {}) {
  const text = loaded.words[key];
  if (text === undefined) return key; // a missing text shows its key, never a guess
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// The text of `key` as a list of strings and nodes: `{name}` fields become `nodes[name]`.
export function parts(key, nodes) {
  return w(key)
    .split(/(\{\w+\})/)
    .filter((piece) => piece !== "")
    .map((piece) => {
      const name = /^\{(\w+)\}$/.exec(piece);
      return name && name[1] in nodes ? nodes[name[1]] : piece;
    });
}

export function applyWords(root) {
  document.documentElement.lang = loaded.language || "";
  for (const node of root.querySelectorAll("[data-word]")) node.textContent = w(node.dataset.word);
  for (const node of root.querySelectorAll("[data-word-placeholder]")) {
    node.placeholder = w(node.dataset.wordPlaceholder);
  }
  for (const node of root.querySelectorAll("[data-word-aria-label]")) {
    node.setAttribute("aria-label", w(node.dataset.wordAriaLabel));
  }
}

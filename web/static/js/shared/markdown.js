// The one Markdown rendering: what the chat widget shows a customer is what the knowledge
// editor previews. Articles are written in Markdown; **bold** and [links](https://…) show as
// such, built as DOM nodes (never as HTML), and everything else as the plain text it is.
import { el } from "./dom.js";

const PATTERN = /\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g;

// The text as a list of strings and elements, for el() or append().
export function markdown(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(PATTERN)) {
    nodes.push(text.slice(last, match.index));
    if (match[1] !== undefined) nodes.push(el("strong", {}, match[1]));
    else nodes.push(el("a", { href: match[3], target: "_blank", rel: "noopener noreferrer" }, match[2]));
    last = match.index + match[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

// The one Markdown rendering: what the chat widget shows a customer is what the knowledge
// editor previews. Articles are written in Markdown; **bold** and [links](https://…) show as
// such, built as DOM nodes (never as HTML), and everything else as the plain text it is. A bare
// web address (an agent pasting one) is a link too: ASCII only, so Japanese written right after
// it is not taken in, and without the full stop or comma that ends a sentence.
import { el } from "./dom.js";

const PATTERN = /\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)|(https?:\/\/[\w\-.~:/?#@!$&'*+,;=%]*[\w\-~/#=&%+])/g;

// The text as a list of strings and elements, for el() or append().
export function markdown(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(PATTERN)) {
    nodes.push(text.slice(last, match.index));
    if (match[1] !== undefined) nodes.push(el("strong", {}, match[1]));
    else if (match[4] !== undefined) nodes.push(link(match[4], match[4]));
    else nodes.push(link(match[3], match[2]));
    last = match.index + match[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

function link(href, text) {
  return el("a", { href, target: "_blank", rel: "noopener noreferrer" }, text);
}

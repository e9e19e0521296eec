// The one Markdown rendering: what the chat widget shows a customer is what the knowledge
// editor previews. Articles are written in Markdown; **bold**, [links](https://…) and lists
// (lines that start with "- ", "* " or "• ", or with "1. " or "1) " for numbered steps) show as
// such, built as DOM nodes (never as HTML), and everything else as the plain text it is (its
// line breaks kept by the page's CSS). A bare web address (an agent pasting one) is a link too:
// ASCII only, so Japanese written right after it is not taken in, and without the full stop or
// comma that ends a sentence.
import { el } from "./dom.js";

const PATTERN = /\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)|(https?:\/\/[\w\-.~:/?#@!$&'*+,;=%]*[\w\-~/#=&%+])/g;
const BULLET = /^\s{0,3}[-*•]\s+(\S.*)$/;
const NUMBERED = /^\s{0,3}(\d{1,3})[.)]\s+(\S.*)$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/; // "* * *", "---": a line across, shown as typed

// The text as a list of strings and elements, for el() or append(): runs of list lines become
// a <ul> or an <ol> (numbered from its first item's number), the lines between them text. A
// list is a block with margins of its own, so a blank line on either side of it is not written
// again (the text around it would start or end with an empty line on one side only).
export function markdown(text) {
  const nodes = [];
  let lines = [];
  let list = null;
  let afterList = false;
  const flushText = () => {
    if (afterList && lines[0] === "") lines.shift();
    if (lines.length) nodes.push(...inline(lines.join("\n")));
    lines = [];
  };
  for (const line of text.split(/\r?\n/)) {
    const bullet = RULE.test(line) ? null : BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    const kind = bullet ? "ul" : numbered ? "ol" : null;
    if (!kind) {
      list = null;
      lines.push(line);
      continue;
    }
    if (!list || list.tagName.toLowerCase() !== kind) {
      if (lines.length && lines[lines.length - 1] === "") lines.pop();
      flushText();
      afterList = true;
      list = kind === "ol" && numbered[1] !== "1" ? el("ol", { start: numbered[1] }) : el(kind, {});
      nodes.push(list);
    }
    list.append(el("li", {}, ...inline(bullet ? bullet[1] : numbered[2])));
  }
  flushText();
  return nodes;
}

function inline(text) {
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

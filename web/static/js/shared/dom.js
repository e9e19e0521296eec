// DOM building that escapes by construction: text only ever goes into the page as text nodes
// (never through innerHTML), so a message such as <img src=x onerror=alert(1)> shows as text.

// el("div", {class: "x", onclick: fn, dataset: {id: 1}}, "text", otherNode, [more])
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key === "class") {
      node.className = value;
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

// Appends like el() does: skips null/false, flattens arrays, strings as text nodes.
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// Lists drawn again on every push or poll (the console's inbox and offers, the editor's
// articles) while a person reaches for a row: `rows` in order, each a node to show as it is or
// { key, shows, make }. A keyed row whose `shows` is as when last drawn keeps its node (a press
// begun on it lands, the keyboard's focus stays), others are made anew, and only what is out of
// place moves. `drawn` (key -> { node, shows }) is the caller's memory between draws; a key no
// longer listed is forgotten. Hand-written: a few lines, where a rendering library would be the
// pages' only dependency.
export function drawKeyed(parent, drawn, rows) {
  const listed = new Set();
  const nodes = rows.map((row) => {
    if (row instanceof Node) return row;
    listed.add(row.key);
    const known = drawn.get(row.key);
    if (known && known.shows === row.shows) return known.node;
    const node = row.make();
    drawn.set(row.key, { node, shows: row.shows });
    return node;
  });
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  nodes.forEach((node, i) => {
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] || null);
  });
  for (const key of drawn.keys()) if (!listed.has(key)) drawn.delete(key);
}

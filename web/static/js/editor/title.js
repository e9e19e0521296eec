// An article's title: one another article already has is pointed out when the field is left
// and when an article opens (two articles of one title split the example questions and
// confuse customers picking one),
// with a button that opens the other. Saving is still allowed: the editor may mean it.
import { el } from "../shared/dom.js";
import { $, call, requestArticle, state } from "./state.js";

let asked = 0; // only the answer to the latest check is shown

export async function renderTitleNote() {
  const note = $("f-title-note");
  const title = $("f-title").value.trim();
  const mine = ++asked;
  // The note keeps its line (hidden, not removed) and changes only once the answer is in, so the
  // buttons below never move from under a pointer mid-click.
  let found = [];
  try {
    if (title) found = await call("/api/kb/articles?q=" + encodeURIComponent(title));
  } catch (_) {
    found = []; // only the hint is missing
  }
  if (mine !== asked) return;
  const own = state.current ? state.current.id : null;
  const same = found.find((a) => a.id !== own && a.title.trim().toLowerCase() === title.toLowerCase());
  note.replaceChildren();
  note.style.visibility = same ? "visible" : "hidden";
  if (!same) return;
  note.append(
    `An article titled “${same.title}” already exists (${same.status}). `,
    el("button", { type: "button", class: "link", onclick: () => requestArticle(same.id) }, "Open it"),
  );
}

export function clearTitleNote() {
  asked += 1;
  $("f-title-note").style.visibility = "hidden";
}

export function wireTitle() {
  $("f-title").addEventListener("change", renderTitleNote);
}

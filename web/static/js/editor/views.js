// The three views: articles, content gaps, try a question.
import { $ } from "./state.js";
import { loadGaps } from "./gaps.js";

export function showView(name) {
  for (const button of document.querySelectorAll("nav.views button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === name));
  }
  for (const view of ["articles", "gaps", "try"]) $("view-" + view).hidden = view !== name;
  if (name === "gaps") loadGaps();
  if (name === "try") $("try-q").focus();
}

export function wireViews() {
  for (const button of document.querySelectorAll("nav.views button")) {
    button.addEventListener("click", () => showView(button.dataset.view));
  }
}

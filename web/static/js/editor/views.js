// The views: articles, content gaps, try a question, quality, test run.
import { $ } from "./state.js";
import { loadGaps } from "./gaps.js";
import { loadQuality } from "./quality.js";

const VIEWS = ["articles", "gaps", "try", "quality", "test-run"];

export function showView(name) {
  for (const button of document.querySelectorAll("nav.views button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === name));
  }
  for (const view of VIEWS) $("view-" + view).hidden = view !== name;
  if (name === "gaps") loadGaps();
  if (name === "try") $("try-q").focus();
  if (name === "quality") loadQuality();
}

export function wireViews() {
  for (const button of document.querySelectorAll("nav.views button")) {
    button.addEventListener("click", () => showView(button.dataset.view));
  }
}

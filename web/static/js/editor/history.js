// An article's history (versions with their diffs, and a rollback button each) and its figures
// with customers.
import { clear, el } from "../shared/dom.js";
import { when } from "../shared/format.js";
import { $, path, call, reason } from "./state.js";

function diffView(diff) {
  const pre = el("pre", { class: "diff" });
  if (!diff) {
    pre.append(el("span", { class: "muted" }, "No change in the text (status only)."));
    return pre;
  }
  // A unified diff's machinery ("--- version 1", "@@ -1,4 +1,4 @@") means nothing to an editor:
  // the file lines are left out, and a break between two changed places reads "⋯".
  let hunks = 0;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+++") || line.startsWith("---")) continue;
    if (line.startsWith("@@")) {
      if (hunks++ > 0) pre.append(el("span", { class: "diff-hunk", "aria-label": "further on" }, "⋯\n"));
      continue;
    }
    let kind = "same";
    if (line.startsWith("+")) kind = "add";
    else if (line.startsWith("-")) kind = "del";
    pre.append(el("span", { class: "diff-" + kind }, line + "\n"));
  }
  return pre;
}

// Answers can arrive out of order (opening an article, then saving it at once): only the answer
// to the latest request is drawn, never an older list over a newer one.
let historyAsked = 0;
// The article whose history the list shows: drawing it again (after a save, a publish...) keeps
// the changes the editor had open, open.
let drawnFor = null;

function openDiffs() {
  const toggles = $("version-list").querySelectorAll('button[aria-expanded="true"]');
  return new Set([...toggles].map((toggle) => toggle.getAttribute("aria-controls")));
}

// `rollBack(version)` is what a version's "Roll back" button does (the form's, in form.js).
export async function loadHistory(id, rollBack) {
  const asked = ++historyAsked;
  let versions;
  try {
    versions = await call(path(id) + "/versions");
  } catch (err) {
    if (asked !== historyAsked) return;
    $("history").hidden = false;
    clear($("version-list")).append(el("li", { class: "error" }, "Could not load the history: " + reason(err)));
    return;
  }
  if (asked !== historyAsked) return;
  const shown = drawnFor === id ? openDiffs() : new Set();
  drawnFor = id;
  const list = clear($("version-list"));
  const latest = versions.length ? versions[0].version : null;
  for (const version of versions) {
    const diff = diffView(version.diff);
    const diffId = "diff-" + version.version;
    diff.id = diffId;
    diff.hidden = !shown.has(diffId);
    const toggle = el(
      "button",
      {
        type: "button",
        "aria-expanded": String(!diff.hidden),
        "aria-controls": diffId,
        onclick: () => {
          diff.hidden = !diff.hidden;
          toggle.setAttribute("aria-expanded", String(!diff.hidden));
          toggle.textContent = diff.hidden ? "Show changes" : "Hide changes";
        },
      },
      diff.hidden ? "Show changes" : "Hide changes"
    );
    const rollback =
      version.version === latest
        ? el("span", { class: "muted" }, "current")
        : el(
            "button",
            { type: "button", onclick: () => rollBack(version.version) },
            "Roll back to version " + version.version
          );
    list.append(
      el(
        "li",
        { class: "version" },
        el(
          "div",
          { class: "version-head" },
          el("strong", {}, "Version " + version.version),
          " " + version.change + " by " + (version.author || "someone") + ", " + when(version.created_at) + " ",
          el("span", { class: "status status-" + version.status }, version.status)
        ),
        el("div", { class: "row" }, toggle, rollback),
        diff
      )
    );
  }
  $("history").hidden = false;
}

// -- figures ----------------------------------------------------------------------------------

export async function loadFigures(id) {
  const list = clear($("figure-list"));
  $("figures").hidden = false;
  try {
    const f = await call(path(id) + "/feedback");
    const rated = f.helpful + f.not_helpful;
    const rows = [
      ["Times shown", String(f.shown)],
      [
        "Helpful",
        f.helpful_rate === null
          ? "no answers yet"
          : Math.round(f.helpful_rate * 100) + "% (" + f.helpful + " of " + rated + " said it helped)",
      ],
      ["Hand-overs after it", String(f.handoffs_after)],
    ];
    for (const [name, value] of rows) list.append(el("div", {}, el("dt", {}, name), el("dd", {}, value)));
  } catch (err) {
    list.append(el("div", { class: "error" }, "Could not load the figures: " + reason(err)));
  }
}

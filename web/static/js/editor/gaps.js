// Content gaps: questions the bot could not answer, grouped; each group becomes a draft or
// example questions of an existing article.
import { clear, el } from "../shared/dom.js";
import { when } from "../shared/format.js";
import { LANGUAGES } from "../shared/labels.js";
import { $, announceChange, call, guard, reason, requestArticle, tell } from "./state.js";

export async function loadGaps() {
  const list = clear($("gap-list"));
  let clusters;
  let articles;
  try {
    [clusters, articles] = await Promise.all([call("/api/kb/gaps"), call("/api/kb/articles")]);
  } catch (err) {
    tell("gaps", "Could not load the content gaps: " + reason(err), true);
    return;
  }
  $("gap-count").textContent = clusters.length ? "(" + clusters.length + ")" : "";
  if (!clusters.length) {
    list.append(el("li", { class: "muted" }, "No open content gaps: the bot answered everything it was asked."));
    return;
  }
  const choices = articles
    .filter((a) => a.status !== "archived")
    .sort((a, b) => a.title.localeCompare(b.title));
  // A question joins an article in its own language: another's would never be matched to it.
  for (const cluster of clusters) list.append(gapCard(cluster, choices.filter((a) => a.language === cluster.language)));
}

function gapCard(cluster, articles) {
  const key = "gap-" + cluster.id;
  const first = cluster.examples[0] || "";
  const titled = (question) => question.replace(/[?!.？！。\s]+$/u, "").replace(/^./, (c) => c.toUpperCase());
  const title = el("input", { id: key + "-title", value: titled(first), maxlength: 300, autocomplete: "off" });
  let titleTyped = false; // once the editor writes a title, it is theirs
  title.addEventListener("input", () => { titleTyped = true; });
  const target = el(
    "select",
    { id: key + "-article" },
    el("option", { value: "" }, "Choose an article…"),
    articles.map((a) => el("option", { value: a.id }, a.title + " (" + a.status + ")"))
  );
  // How often customers asked, and in how many wordings: one question asked 7 times is not 7.
  const times = cluster.count === 1 ? "Asked once" : "Asked " + cluster.count + " times";
  const worded = cluster.questions.length === 1 ? "" : " (" + cluster.questions.length + " wordings)";
  const heading = times + worded;
  // Each distinct question with a tick, all ticked: a question that does not belong with the
  // others is left out of the article (it stays a gap, for another article).
  const asked = cluster.questions;
  const ticks = asked.map((q, i) =>
    el("input", { type: "checkbox", id: key + "-q" + i, checked: true, dataset: { gaps: q.gap_ids.join(",") } }));
  const picked = () => ticks.filter((t) => t.checked).flatMap((t) => t.dataset.gaps.split(",").filter(Boolean).map(Number));
  // The title offered is a question the article will hold: an unticked one gives way to the
  // first still ticked.
  const followTicks = () => {
    if (titleTyped) return;
    const kept = asked.filter((q, i) => ticks[i].checked).map((q) => q.text);
    title.value = titled(kept.includes(first) || !kept.length ? first : kept[0]);
  };
  for (const tick of ticks) tick.addEventListener("change", followTicks);
  return el(
    "li",
    { class: "gap card" },
    el("h3", {}, heading, el("span", { class: "muted" }, " · " + (LANGUAGES[cluster.language] || cluster.language) + " · latest " + when(cluster.latest_at))),
    el("ul", { class: "examples" }, asked.map((q, i) => el("li", {}, ticks[i], " ", el("label", { for: ticks[i].id }, q.text)))),
    el("p", { class: "muted" }, "Why: ", cluster.reasons.map((r) => el("span", { class: "tag" }, r.replace(/_/g, " ")))),
    el(
      "form",
      {
        class: "row",
        onsubmit: (e) => {
          e.preventDefault();
          draftFromGap(picked(), title.value.trim());
        },
      },
      el("label", { for: key + "-title" }, "Title"),
      title,
      el("button", { type: "submit", class: "primary" }, "Create article")
    ),
    el(
      "form",
      {
        class: "row",
        onsubmit: (e) => {
          e.preventDefault();
          attachGap(picked(), target.value);
        },
      },
      el("label", { for: key + "-article" }, "Add to"),
      target,
      el("button", { type: "submit" }, "Add to article")
    )
  );
}

// The gaps of the questions ticked; none ticked is said, not sent.
function ticked(gapIds) {
  if (!gapIds.length) tell("gaps", "Tick at least one question.", true);
  return gapIds.length > 0;
}

async function draftFromGap(gapIds, title) {
  if (!ticked(gapIds)) return;
  if (!guard.mayLeave()) return; // before the draft is made, not after: nothing half done
  try {
    const draft = await call("/api/kb/gaps/draft", {
      method: "POST",
      body: { gap_ids: gapIds, title: title || null },
    });
    const count = gapIds.length === 1 ? "1 customer question" : gapIds.length + " customer questions";
    requestArticle(draft.id, {
      message: "Draft created from " + count + ": write the answer, then publish.",
      confirmed: true,
    });
    refreshGapCount();
  } catch (err) {
    tell("gaps", "Could not create the article: " + reason(err), true);
  }
}

async function attachGap(gapIds, articleId) {
  if (!articleId) {
    tell("gaps", "Choose the article to add these questions to.", true);
    return;
  }
  if (!ticked(gapIds)) return;
  try {
    const article = await call("/api/kb/gaps/attach", {
      method: "POST",
      body: { gap_ids: gapIds, article_id: articleId },
    });
    announceChange();
    tell("gaps", "Added to “" + article.title + "” as example questions (version " + article.version + ").");
    await loadGaps();
  } catch (err) {
    tell("gaps", "Could not add the questions: " + reason(err), true);
  }
}

export async function refreshGapCount() {
  try {
    const clusters = await call("/api/kb/gaps");
    $("gap-count").textContent = clusters.length ? "(" + clusters.length + ")" : "";
  } catch (_) {
    /* the count is a hint only */
  }
}

export function wireGaps() {
  $("refresh-gaps").addEventListener("click", loadGaps);
}

// Content gaps: questions the bot could not answer, grouped; each group becomes a draft or
// example questions of an existing article.
import { clear, el } from "../shared/dom.js";
import { when } from "../shared/format.js";
import { $, announceChange, call, reason, requestArticle, tell } from "./state.js";

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
  const title = el("input", {
    id: key + "-title",
    value: first.replace(/[?!. ]+$/, "").replace(/^./, (c) => c.toUpperCase()),
    maxlength: 300,
    autocomplete: "off",
  });
  const target = el(
    "select",
    { id: key + "-article" },
    el("option", { value: "" }, "Choose an article…"),
    articles.map((a) => el("option", { value: a.id }, a.title + " (" + a.status + ")"))
  );
  const heading = cluster.count === 1 ? "1 question" : cluster.count + " questions";
  return el(
    "li",
    { class: "gap card" },
    el("h3", {}, heading, el("span", { class: "muted" }, " · latest " + when(cluster.latest_at))),
    el("ul", { class: "examples" }, cluster.examples.map((q) => el("li", {}, q))),
    el("p", { class: "muted" }, "Why: ", cluster.reasons.map((r) => el("span", { class: "tag" }, r.replace(/_/g, " ")))),
    el(
      "form",
      {
        class: "row",
        onsubmit: (e) => {
          e.preventDefault();
          draftFromGap(cluster, title.value.trim());
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
          attachGap(cluster, target.value);
        },
      },
      el("label", { for: key + "-article" }, "Add to"),
      target,
      el("button", { type: "submit" }, "Add to article")
    )
  );
}

async function draftFromGap(cluster, title) {
  try {
    const draft = await call("/api/kb/gaps/draft", {
      method: "POST",
      body: { gap_ids: cluster.gap_ids, title: title || null },
    });
    requestArticle(draft.id, {
      message: "Draft created from " + cluster.count + " customer questions: write the answer, then publish.",
    });
    refreshGapCount();
  } catch (err) {
    tell("gaps", "Could not create the article: " + reason(err), true);
  }
}

async function attachGap(cluster, articleId) {
  if (!articleId) {
    tell("gaps", "Choose the article to add these questions to.", true);
    return;
  }
  try {
    const article = await call("/api/kb/gaps/attach", {
      method: "POST",
      body: { gap_ids: cluster.gap_ids, article_id: articleId },
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

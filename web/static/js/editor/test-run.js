// Test run: a file of past customer questions (JSON Lines, optionally labelled with the article
// that should answer) through the bot's own decision, before go-live. Shows the figures, per skill
// and per article, the questions that would go to a person grouped by meaning, and gives the
// rows as CSV, made here from the answer (the same columns as `cascade replay --csv`).
import { clear, el } from "../shared/dom.js";
import { $, call, reason, requestArticle, state, tell } from "./state.js";
import { exact, plural } from "./shares.js";

const CSV_FIELDS = ["text", "decision", "article_id", "choices", "to_person", "score", "expected", "verdict"];
const NO_ARTICLE = "(escalated)"; // the group of questions no article took

let last = null; // { name, report } of the latest run, for the CSV

function count(rows, test) {
  return rows.filter(test).length;
}

async function run(event) {
  event.preventDefault();
  const file = $("test-run-file").files[0];
  clear($("test-run-problems"));
  $("test-run-result").hidden = true; // never an earlier run's figures under this file's name
  last = null;
  if (!file) {
    tell("test-run", "Choose a .jsonl file of questions first.", true);
    return;
  }
  const button = $("test-run-go");
  button.disabled = true;
  tell("test-run", "Running the questions in " + file.name + "…");
  try {
    const [response, articles] = await Promise.all([
      fetch("/api/kb/replay", {
        method: "POST",
        headers: { Authorization: "Bearer " + state.token, "Content-Type": "application/x-ndjson" },
        body: file,
      }),
      call("/api/kb/articles").catch(() => []),
    ]);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (Array.isArray(data.problems)) {
        tell("test-run", "The file was not run: fix these lines and run it again.", true);
        for (const problem of data.problems) $("test-run-problems").append(el("li", {}, problem));
      } else {
        tell("test-run", "The file was not run: " + (data.detail || response.statusText), true);
      }
      return;
    }
    last = { name: file.name, report: data };
    const titles = new Map(articles.map((a) => [a.id, a.title]));
    render(data, titles);
    tell("test-run", "Ran " + plural(data.figures.questions, "question", "questions") + " from " + file.name + ".");
  } catch (err) {
    tell("test-run", "The file was not run: " + reason(err), true);
  } finally {
    button.disabled = false;
  }
}

function render(report, titles) {
  const f = report.figures;
  const rows = report.rows;
  const labelled = f.in_scope + f.out_of_scope > 0;
  // Shares from the counts shown beside them: the server's shares are rounded already, and
  // rounding them again can print 19.1% for 4 of 21.
  const of = (verdicts, whole, field = "verdict") => {
    const n = count(rows, (r) => verdicts.includes(r[field]));
    return exact(whole ? n / whole : null) + " (" + n + (field === "verdict" ? " of " + whole : "") + ")";
  };
  const figures = [
    ["Questions", String(f.questions)],
    ["Answered", of(["answer"], f.questions, "decision")],
    ["Choices offered", of(["clarify"], f.questions, "decision")],
    ["Escalated to a person", of(["escalate"], f.questions, "decision")],
  ];
  // An article tagged sensitive (fraud, bereavement, ...) found: the bot hands the chat to a
  // person at once, however the search decided.
  const toPerson = count(rows, (r) => r.to_person);
  if (toPerson) figures.push(["Sent to a person at once (a sensitive article)", exact(toPerson / f.questions) + " (" + toPerson + ")"]);
  if (f.in_scope) {
    figures.push(
      ["Answered correctly", of(["right"], f.in_scope)],
      ["Answered wrongly", of(["wrong"], f.in_scope)],
      ["Helpful (right answer or right choice)", of(["right", "choice right"], f.in_scope)]
    );
  }
  if (f.out_of_scope) {
    figures.push(["Out of scope answered", of(["out of scope answered"], f.out_of_scope)]);
  }
  const list = clear($("test-run-figures"));
  for (const [name, value] of figures) list.append(el("div", {}, el("dt", {}, name), el("dd", {}, value)));
  $("test-run-labels").textContent = labelled
    ? "Labelled: " + plural(f.in_scope, "question an article should answer", "questions an article should answer") +
      ", " + plural(f.out_of_scope, "question none should", "questions none should") + "."
    : "No question has an \"expected\" article, so right and wrong are not counted.";

  const skillName = (name) => (name === NO_ARTICLE ? "None: to a person" : name);
  const articleName = (name) =>
    name === NO_ARTICLE
      ? "None: to a person"
      : [
          el("button", { type: "button", class: "link", onclick: () => requestArticle(name) }, titles.get(name) || name),
          el("span", { class: "muted" }, " " + name),
        ];
  groupTable($("test-run-skills"), "Skill", report.skills, skillName, labelled, toPerson > 0);
  groupTable($("test-run-articles"), "Article", report.articles, articleName, labelled, toPerson > 0);

  const clusters = clear($("test-run-escalated"));
  for (const cluster of report.escalated) {
    clusters.append(
      el(
        "li",
        {},
        el("strong", {}, plural(cluster.count, "question", "questions")),
        el("ul", { class: "examples" }, cluster.examples.map((text) => el("li", {}, text)))
      )
    );
  }
  if (!report.escalated.length) clusters.append(el("li", { class: "muted" }, "None: every question was answered or offered choices."));
  $("test-run-result").hidden = false;
}

function groupTable(table, heading, groups, name, labelled, toPerson) {
  const columns = ["Questions", "Answered", "Choices", "Escalated"];
  if (toPerson) columns.push("To a person (sensitive)");
  if (labelled) columns.push("Right", "Wrong");
  clear(table).append(
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, heading), columns.map((c) => el("th", { scope: "col", class: "number" }, c)))),
    el(
      "tbody",
      {},
      groups.map((g) => {
        const numbers = [g.questions, g.answered, g.choices, g.escalated];
        if (toPerson) numbers.push(g.to_person);
        if (labelled) numbers.push(g.right, g.wrong);
        return el(
          "tr",
          {},
          el("th", { scope: "row" }, name(g.name)),
          numbers.map((n) => el("td", { class: "number" }, String(n)))
        );
      })
    )
  );
}

// -- the rows as CSV ---------------------------------------------------------------------------

function cell(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

// A question a spreadsheet would take for a formula (=, +, -, @) is kept as text.
function spreadsheetSafe(text) {
  return /^[=+\-@]/.test(text) ? "'" + text : text;
}

export function csv(rows) {
  const lines = rows.map((r) => [
    spreadsheetSafe(r.text),
    r.decision,
    r.article_id,
    r.choices.join(" "),
    r.to_person,
    r.score,
    r.verdict ? (r.expected === null ? "(none)" : r.expected) : "", // unlabelled: no verdict
    r.verdict,
  ]);
  return [CSV_FIELDS, ...lines].map((line) => line.map(cell).join(",")).join("\r\n") + "\r\n";
}

function downloadCsv() {
  if (!last) return;
  // The byte order mark lets spreadsheets read the questions as UTF-8 (accents, Japanese).
  const blob = new Blob(["\ufeff" + csv(last.report.rows)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const name = last.name.replace(/\.[^.]*$/, "") + "-test-run.csv";
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function wireTestRun() {
  $("test-run-form").addEventListener("submit", run);
  $("test-run-csv").addEventListener("click", downloadCsv);
}

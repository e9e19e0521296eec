// Try a question: search published articles the way the bot does, and say what it would do.
import { clear, el } from "../shared/dom.js";
import { $, call, reason, requestArticle } from "./state.js";

const DECISIONS = {
  answer: "The bot answers with the first article.",
  clarify: "The bot offers these articles as buttons and asks which one fits.",
  escalate: "No article fits: the bot hands the customer over to a person.",
};

async function tryQuestion(event) {
  event.preventDefault();
  const query = $("try-q").value.trim();
  const out = clear($("try-result"));
  $("try-error").textContent = "";
  if (!query) return;
  try {
    const outcome = await call("/api/kb/search", { method: "POST", body: { query, limit: 5 } });
    out.append(
      el(
        "p",
        { class: "decision" },
        el("strong", { class: "decision-" + outcome.decision }, outcome.decision),
        " " + DECISIONS[outcome.decision]
      )
    );
    if (!outcome.results.length) return;
    out.append(
      el(
        "table",
        { class: "results" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Article"), el("th", { scope: "col" }, "Score"), el("th", { scope: "col" }, "Skill"))),
        el(
          "tbody",
          {},
          outcome.results.map((hit) =>
            el(
              "tr",
              {},
              el(
                "td",
                {},
                el(
                  "button",
                  {
                    type: "button",
                    class: "link",
                    onclick: () => requestArticle(hit.article_id),
                  },
                  hit.title
                ),
                el("span", { class: "muted" }, " " + hit.article_id)
              ),
              el("td", { class: "score" }, hit.score.toFixed(3)),
              el("td", {}, hit.skill)
            )
          )
        )
      )
    );
  } catch (err) {
    $("try-error").textContent = "Could not search: " + reason(err);
  }
}

export function wireTry() {
  $("try-form").addEventListener("submit", tryQuestion);
}

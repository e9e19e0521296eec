// Try a question: search published articles the way the bot does, and say what it would do.
import { clear, el } from "../shared/dom.js";
import { $, call, reason, requestArticle } from "./state.js";

const DECISIONS = {
  answer: "The bot answers with the first article.",
  clarify: "The bot offers these articles as buttons and asks which one fits.",
  escalate: "No article fits: the bot hands the customer over to a person.",
};
// An article tagged sensitive sends the customer to a person at once, as the bot does.
const TO_PERSON = {
  answer: "The bot shows the first article, then hands the customer to a person at once: it is tagged sensitive.",
  clarify: "An article tagged sensitive is as close as the best: the bot offers no choices and hands the customer to a person at once.",
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
        " " + ((outcome.to_person && TO_PERSON[outcome.decision]) || DECISIONS[outcome.decision])
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
                el("span", { class: "muted" }, " " + hit.article_id),
                hit.article_id === outcome.to_person ? el("span", { class: "sensitive" }, " sensitive: to a person") : null
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

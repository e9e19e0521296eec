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

// Written in kana or kanji, however short, a question is searched among the Japanese articles
// (core/language.py reads it the same way), scored by their own model and words.
const JAPANESE = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]/u;

// The scores mean something only beside the limits the bot decides with, which differ by
// language (a Japanese score adds word agreement to the cosine, and can pass 1).
async function limitsNote(query) {
  const japanese = JAPANESE.test(query);
  const calibration = await call("/api/kb/calibration?language=" + (japanese ? "ja" : "en"));
  const { answer, margin, clarify } = calibration.limits;
  return el(
    "p",
    { class: "muted", id: "try-limits" },
    (japanese ? "Japanese questions are scored by their own model and words (a score can pass 1)" : "English questions are scored by cosine") +
      ": the bot answers from " + answer.toFixed(3) + " when the first leads the next by " + margin.toFixed(3) +
      ", and offers choices from " + clarify.toFixed(3) + "."
  );
}

let tries = 0; // only the latest question's note is drawn

async function tryQuestion(event) {
  event.preventDefault();
  const asked = ++tries;
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
    const note = limitsNote(query).catch(() => null); // the table is drawn whatever it says
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
    const said = await note;
    if (said && asked === tries) out.append(said);
  } catch (err) {
    $("try-error").textContent = "Could not search: " + reason(err);
  }
}

export function wireTry() {
  $("try-form").addEventListener("submit", tryQuestion);
}

// Quality: what the limits calibrated on this knowledge base expect of questions like its example
// questions, and which articles are too close to tell apart (each title opens the article, so the
// editor can sharpen its examples). Drawn again whenever the articles change.
import { clear, el } from "../shared/dom.js";
import { LANGUAGES } from "../shared/labels.js";
import { $, call, onChange, reason, requestArticle, tell } from "./state.js";
import { about, plural } from "./shares.js";

// Only the answer to the latest request is drawn (a publish right after opening the view).
let asked = 0;
let loaded = false;

export async function loadQuality() {
  const mine = ++asked;
  let calibration;
  try {
    // Each language is calibrated on its own articles; until one is picked, the server's main.
    const language = $("quality-language").value;
    calibration = await call("/api/kb/calibration" + (language ? "?language=" + language : ""));
  } catch (err) {
    if (mine === asked) tell("quality", "Could not load the calibration: " + reason(err), true);
    return;
  }
  if (mine !== asked) return;
  loaded = true;
  $("quality-language").value = calibration.language;
  tell("quality", "");
  renderSummary(calibration);
  renderConfusable(calibration);
}

// The questions neither answered nor given choices go to a person: said only when there are some.
function toPerson(c) {
  const rest = Math.max(1 - c.answered - c.choices, 0);
  return about(rest) === about(0) ? "." : "; the rest, " + about(rest) + ", go to a person.";
}

function renderSummary(c) {
  const out = clear($("quality-summary"));
  if (c.calibrated) {
    out.append(
      el(
        "p",
        { id: "quality-expectation", class: "expectation" },
        // `wrong` is a share of all the questions, as `answered` is: the two parts add up.
        "About " + about(c.answered) + " of questions like your examples are answered: " +
          about(Math.max(c.answered - c.wrong, 0)) + " rightly and " + about(c.wrong) + " wrongly. " +
          about(c.choices) + " get choices" + toPerson(c)
      )
    );
    if (c.limits.answer > 1) {
      out.append(
        el("p", { class: "warning" }, "No answer limit keeps within the targets: the bot offers choices instead of answering.")
      );
    }
    if (c.pool) {
      out.append(
        el(
          "p",
          { id: "quality-out-of-scope" },
          "Of " + c.pool + " everyday questions no article answers (small talk, other services), " +
            about(c.out_of_scope_answered) + " would be answered."
        )
      );
    }
  } else {
    const advice =
      c.target_wrong === null
        ? "Calibration is turned off in the settings."
        : "Add example questions to your published articles (how customers ask them): with enough of them the limits are fitted to your knowledge base.";
    out.append(
      el("p", { id: "quality-note", class: "warning" }, "Not calibrated: the standard limits apply. " + advice),
      c.note ? el("p", { class: "muted" }, "Why: " + c.note + ".") : null
    );
  }
  out.append(el("p", { id: "quality-limits", class: "small muted" }, limitsText(c)));
}

function limitsText(c) {
  const l = c.limits;
  const parts = [
    l.answer > 1
      ? "Limits: never answer"
      : "Limits: answer from a score of " + l.answer.toFixed(3) +
        (l.margin > 0 ? " when it leads the next article by " + l.margin.toFixed(3) : ""),
    "offer choices from " + l.clarify.toFixed(3) + "; below that, a person.",
  ];
  let text = parts.join("; ");
  if (c.given_by_settings.length) text += " Set by the settings: " + c.given_by_settings.join(", ") + ".";
  if (c.target_wrong !== null) {
    text +=
      " Targets: at most " + about(c.target_wrong) + " answered wrongly and " + about(c.target_out_of_scope) +
      " of out-of-scope questions answered.";
  }
  if (c.calibrated) {
    text +=
      " Fitted on " + plural(c.examples, "example question", "example questions") + " in " +
      plural(c.articles, "published article", "published articles") + ", each asked with itself left out.";
  }
  return text;
}

function articleLink(id, title) {
  return el("button", { type: "button", class: "link", title: "Open " + id, onclick: () => requestArticle(id) }, title);
}

function renderConfusable(c) {
  const list = clear($("confusable-list"));
  if (!c.calibrated) {
    list.append(el("li", { class: "muted" }, "Known once the knowledge base is calibrated."));
    return;
  }
  if (!c.confusable.length) {
    list.append(el("li", { class: "muted" }, "None: every article's example questions find their own article."));
    return;
  }
  for (const pair of c.confusable) {
    list.append(
      el(
        "li",
        {},
        articleLink(pair.first, pair.first_title),
        " ↔ ",
        articleLink(pair.second, pair.second_title),
        ": " + pair.stolen + " of " + plural(pair.examples, "example question", "example questions") + " land on the other"
      )
    );
  }
}

export function wireQuality() {
  const picker = $("quality-language");
  picker.append(...Object.entries(LANGUAGES).map(([code, name]) => el("option", { value: code }, name)));
  picker.value = "";
  picker.addEventListener("change", loadQuality);
  $("refresh-quality").addEventListener("click", loadQuality);
  // A change is drawn at once when the view was seen; otherwise when it is opened (views.js).
  onChange(() => {
    if (loaded) loadQuality();
  });
}

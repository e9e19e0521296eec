// The article list, with its search box and its filters: status (asked of the server), language
// and skill (the listed articles narrowed here, as a knowledge base in two languages and a dozen
// skills is long to scroll).
import { clear, drawKeyed, el } from "../shared/dom.js";
import { when } from "../shared/format.js";
import { $, state, call, reason, debounce, requestArticle } from "./state.js";
import { keptIds } from "./changes.js";

const LANGUAGES = { en: "English", ja: "日本語" }; // which customers the article answers

// Answers can arrive out of order (a filter changed twice, a save right after opening): only
// the answer to the latest request is drawn, never an older list over a newer one.
let listAsked = 0;
let listed = [];
let kept = new Set(); // the articles keeping unpublished changes

// The list's orders: by title as people read them (digits as numbers, case and accents aside),
// the most recently changed first, or by id as the server gives them.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
const ORDERS = {
  title: (a, b) => collator.compare(a.title, b.title) || collator.compare(a.id, b.id),
  updated: (a, b) => b.updated_at.localeCompare(a.updated_at) || collator.compare(a.title, b.title),
  id: () => 0,
};

export async function loadList() {
  const asked = ++listAsked;
  const params = new URLSearchParams();
  if (state.status) params.set("status", state.status);
  if (state.query) params.set("q", state.query);
  try {
    const [articles, withChanges] = await Promise.all([
      call("/api/kb/articles?" + params),
      keptIds().catch(() => new Set()), // the list without the marks, rather than none
    ]);
    if (asked !== listAsked) return;
    kept = withChanges;
    renderList((listed = articles));
  } catch (err) {
    if (asked === listAsked) $("list-count").textContent = "Could not load the articles: " + reason(err);
  }
}

// The skill filter offers the skills of the articles listed in the language shown (the one
// picked stays offered).
function offerSkills(articles) {
  const select = $("list-skill");
  const skills = new Set(articles.filter((a) => !state.language || a.language === state.language).map((a) => a.skill));
  if (state.skill) skills.add(state.skill);
  clear(select).append(
    el("option", { value: "" }, "All"),
    ...[...skills].sort(collator.compare).map((skill) => el("option", { value: skill }, skill)),
  );
  select.value = state.skill;
}

// The list is drawn again after each search keystroke, open and save, often while the editor is
// reaching for an article: items are kept by article and only a changed one is replaced, so a
// click begun on an item before a redraw still opens it.
const items = new Map(); // article id -> { node, shows }: drawKeyed's memory
function articleItem(article) {
  return el(
    "li",
    {},
    el(
      "button",
      {
        type: "button",
        class: "article-item",
        dataset: { id: article.id },
        onclick: () => requestArticle(article.id),
      },
      el("span", { class: "article-title" }, article.title),
      el(
        "span",
        { class: "article-meta" },
        el("span", { class: "status status-" + article.status }, article.status),
        kept.has(article.id) && el("span", { class: "status status-changes" }, "unpublished changes"),
        [" " + article.skill, LANGUAGES[article.language] || article.language, article.id, "v" + article.version, when(article.updated_at)].join(" · ")
      )
    )
  );
}

function renderList(all) {
  offerSkills(all);
  const articles = all.filter((a) => (!state.language || a.language === state.language) && (!state.skill || a.skill === state.skill));
  const list = $("article-list");
  drawKeyed(list, items, [...articles].sort(ORDERS[state.order] || ORDERS.title).map((article) => ({
    key: article.id,
    shows: JSON.stringify([article.title, article.status, kept.has(article.id), article.skill, article.language, article.version, article.updated_at]),
    make: () => articleItem(article),
  })));
  // The open article marked in place: the item just clicked keeps the keyboard's focus.
  for (const button of list.querySelectorAll(".article-item")) {
    if (state.current && state.current.id === button.dataset.id) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  const filtered = state.status || state.query || state.language || state.skill;
  const narrowed = articles.length < all.length ? ` (of ${all.length})` : "";
  $("list-count").textContent =
    articles.length === 0
      ? filtered ? "No articles match." : "No articles yet."
      : articles.length + (articles.length === 1 ? " article" : " articles") + narrowed;
}

export function wireList() {
  const search = debounce(() => {
    state.query = $("list-q").value.trim();
    loadList();
  }, 200);
  $("list-q").addEventListener("input", search);
  $("list-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    state.query = $("list-q").value.trim();
    loadList();
  });
  for (const [id, key] of [["list-language", "language"], ["list-skill", "skill"]]) {
    $(id).addEventListener("change", () => {
      state[key] = $(id).value;
      renderList(listed);
    });
  }
  $("list-order").addEventListener("change", () => {
    state.order = $("list-order").value;
    renderList(listed);
  });
  for (const radio of document.querySelectorAll("input[name=status]")) {
    radio.addEventListener("change", () => {
      state.status = radio.value;
      loadList();
    });
  }
}

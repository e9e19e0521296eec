// What every part of the knowledge editor shares: the page's state (the signed-in token, the list's
// filters, the article being edited), API calls with the token, how messages are shown, the
// request to open an article, and the news that the articles changed.
import { ApiError, client } from "../shared/api.js";

export const $ = (id) => document.getElementById(id);
export const path = (id) => "/api/kb/articles/" + encodeURIComponent(id);

export const state = {
  token: null,
  status: "",
  query: "",
  order: "title",
  language: "", // the list narrowed to one language ("": all)
  skill: "", // and to one skill
  current: null, // the article as last loaded or saved; null while writing a new one
  base: null, // the version unsaved changes kept across a sign-in began from (form.js)
  changes: null, // a published article's kept changes, while the form edits them (changes.js)
  pending: null, // the open article's kept changes, as the note about them says
  questions: [],
};

export const call = client(() => state.token);

// The list, content gaps and search results ask for an article with this event; the form
// (form.js) opens it. So the parts that show articles never import the form that imports them.
const OPEN = "editor:open-article";

// `confirmed`: the editor already agreed to leave the article open in the form (guard.mayLeave).
export function requestArticle(id, { message, confirmed = false } = {}) {
  document.dispatchEvent(new CustomEvent(OPEN, { detail: { id, message, confirmed } }));
}

export function onArticleRequest(open) {
  document.addEventListener(OPEN, (event) => open(event.detail.id, event.detail));
}

// Whether the article open in the form may be left (asking first over unsaved changes): a part
// that is about to change articles before opening one (a gap becoming a draft) asks it first.
export const guard = { mayLeave: () => true };

// A save, publish, archive, rollback or import changes what the bot searches, and so what the
// calibration expects: the parts that show it (quality.js) hear of it with this event.
const CHANGED = "editor:articles-changed";

export function announceChange() {
  document.dispatchEvent(new CustomEvent(CHANGED));
}

export function onChange(react) {
  document.addEventListener(CHANGED, () => react());
}

// The API's own words, made readable: FastAPI's validation errors arrive as a JSON list.
export function reason(err) {
  const text = err && err.message ? err.message : String(err);
  if (err instanceof ApiError) {
    try {
      const items = JSON.parse(text);
      if (Array.isArray(items)) {
        return items
          .map((item) => {
            const where = (item.loc || []).filter((p) => p !== "body" && p !== "query").join(".");
            if (where === "id" && item.type === "article_id") {
              return "the id may hold only letters, digits, - _ and . (starting with a letter or digit, at most 128), or be left empty";
            }
            return (where ? where + ": " : "") + item.msg;
          })
          .join("; ");
      }
    } catch (_) {
      /* plain text already */
    }
    if (err.status === 401 || err.status === 403) return text + " (sign in again with an editor token)";
  }
  return text;
}

export function tell(prefix, message, error) {
  $(prefix + "-message").textContent = error ? "" : message || "";
  $(prefix + "-error").textContent = error ? message : "";
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

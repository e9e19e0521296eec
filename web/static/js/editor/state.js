// What every part of the knowledge editor shares: the page's state (the signed-in token, the list's
// filters, the article being edited), API calls with the token, and how messages are shown.
const { api, ApiError } = window.Cascade;

export const $ = (id) => document.getElementById(id);
export const path = (id) => "/api/kb/articles/" + encodeURIComponent(id);

export const state = {
  token: null,
  status: "",
  query: "",
  current: null, // the article as last loaded or saved; null while writing a new one
  questions: [],
  idTouched: false,
};

export function call(url, options = {}) {
  return api(url, { ...options, token: state.token });
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

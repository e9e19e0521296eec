// A published article's changes kept apart until published (knowledge_base/changes.py): saving
// them without publishing, the note that says an article keeps some, and opening, publishing and
// discarding them. While they are open in the form (state.changes), the form edits them, not the
// published article: its submit keeps them, and Publish publishes them.
import { when } from "../shared/format.js";
import { $, path, state, call, reason, tell, announceChange, requestArticle } from "./state.js";

let form = null; // what the form lends: fill, collect, dirty, mayLeave, after, ask, answered

export function wireChanges(hooks) {
  form = hooks;
  $("keep-changes").addEventListener("click", keepChanges);
  $("open-changes").addEventListener("click", openChanges);
  $("discard-changes").addEventListener("click", discardChanges);
  $("show-published").addEventListener("click", () => requestArticle(state.current.id));
}

// The article's kept changes as the list of them says (null: none), for the note.
export async function keptFor(id) {
  const all = await call("/api/kb/changes");
  return all.find((c) => c.article_id === id) || null;
}

// Kept changes open in the form of an article that is published: the form edits them apart.
export function apart() {
  return Boolean(state.changes) && Boolean(state.current) && state.current.status === "published";
}

// An article no longer published (archived, or back to a draft) keeps the changes saved while
// it was: opened, they are saved into it as any edit is, and then no longer kept apart.
export async function carriedOver(id) {
  try {
    await call(path(id) + "/changes", { method: "DELETE" });
    return true;
  } catch (_) {
    return false; // gone already
  }
}

// The ids of the articles that keep changes, for the list.
export async function keptIds() {
  return new Set((await call("/api/kb/changes")).map((c) => c.article_id));
}

export function renderChanges() {
  const kept = state.changes || state.pending;
  $("changes-note").hidden = !kept;
  $("keep-changes").hidden = !state.current || state.current.status !== "published";
  if (!kept) return;
  const published = state.current.status === "published";
  const live = state.current.version;
  const moved = kept.based_on !== live
    ? " The published article has changed since they began (version " + kept.based_on + " then): see the history before publishing them."
    : "";
  const saved = " (saved by " + (kept.author || "someone") + ", " + when(kept.updated_at) + ")";
  $("changes-text").textContent = !published
    ? "This article keeps changes saved while it was published" + saved + (state.changes ? ": they are in the form, and saving puts them in the article." : ": open them to carry them over, or discard them.")
    : state.changes
      ? "You are editing unpublished changes" + saved + ". Customers see version " + live + " until you publish them." + moved
      : "This article has unpublished changes" + saved + ". Customers see version " + live + "." + moved;
  $("open-changes").hidden = Boolean(state.changes);
  $("show-published").hidden = !state.changes;
}

async function openChanges() {
  if (!form.mayLeave()) return;
  const asked = form.ask();
  try {
    const changes = await call(path(state.current.id) + "/changes");
    const live = await call(path(state.current.id));
    if (!form.answered(asked)) return;
    form.fill(live, changes);
    tell("editor", "The unpublished changes are in the form: save them without publishing, or publish them.");
  } catch (err) {
    tell("editor", "Could not open the changes: " + reason(err), true);
  }
}

// Save what the form holds apart from the published article; the answer says whether any
// changes are kept (null: the form is as published).
export async function keepChanges() {
  if (!state.current) return null;
  const asked = form.ask();
  try {
    const kept = await call(path(state.current.id) + "/changes?base_version=" + (state.base || state.current.version), {
      method: "PUT",
      body: form.collect(),
    });
    if (!form.answered(asked)) return null;
    const live = state.current;
    form.fill(live, kept);
    tell(
      "editor",
      kept
        ? "Saved without publishing. Customers still see version " + live.version + ": publish the changes when they are ready."
        : "Nothing differs from the published version: no unpublished changes are kept."
    );
    await form.after(live.id);
    return kept || live;
  } catch (err) {
    tell("editor", "Not saved: " + reason(err), true);
    return null;
  }
}

export async function publishChanges() {
  if (form.dirty() && !(await keepChanges())) return;
  if (!state.changes) return; // they were the published text: nothing to publish
  const asked = form.ask();
  try {
    const article = await call(path(state.current.id) + "/changes/publish?base_version=" + state.current.version, { method: "POST" });
    if (!form.answered(asked)) return;
    form.fill(article, null);
    announceChange();
    tell("editor", "Published: version " + article.version + " holds the changes, live for customers now.");
    await form.after(article.id);
  } catch (err) {
    tell("editor", "Could not publish the changes: " + reason(err), true);
  }
}

async function discardChanges() {
  if (!window.confirm("Discard the unpublished changes to this article? Customers keep seeing the published version.")) return;
  const id = state.current.id;
  const asked = form.ask();
  try {
    await call(path(id) + "/changes", { method: "DELETE" });
    const live = await call(path(id));
    if (!form.answered(asked)) return;
    form.fill(live, null);
    tell("editor", "The unpublished changes are discarded: the article is as published (version " + live.version + ").");
    await form.after(id);
  } catch (err) {
    tell("editor", "Could not discard the changes: " + reason(err), true);
  }
}

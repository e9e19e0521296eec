// A published article's changes kept apart until published (knowledge_base/changes.py): saving
// them without publishing, the note that says an article keeps some, and opening, publishing and
// discarding them. While they are open in the form (state.changes), the form edits them, not the
// published article: its submit keeps them, and Publish publishes them.
import { when } from "../shared/format.js";
import { $, path, state, call, reason, tell, announceChange, requestArticle } from "./state.js";

let form = null; // what the form lends: fill, collect, dirty, mayLeave, after, ask, answered

export function wireChanges(hooks) {
  form = hooks;
  $("keep-changes").addEventListener("click", () => keepChanges());
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

// Which kept changes the editor saw, for the server to refuse a save or a publish over others
// (another editor's, saved meanwhile): those open in the form, or those the editor chose to
// save over (keepOver). None seen: a save is refused when some are kept.
let over = null;
const seen = () => (state.changes ? state.changes.updated_at : over) || "";

// Save what the form holds apart from the published article; the answer says whether any
// changes are kept (null: the form is as published). `rebase`: they now build on the version
// published (the editor was asked), not the one they began from.
export async function keepChanges({ rebase = false } = {}) {
  if (!state.current) return null;
  const asked = form.ask();
  try {
    const base = state.base || state.current.version;
    const kept = await call(path(state.current.id) + "/changes?base_version=" + base + "&changes_at=" + encodeURIComponent(seen()) + (rebase ? "&rebase=true" : ""), {
      method: "PUT",
      body: form.collect(),
    });
    over = null;
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
    const conflict = err.status === 409;
    tell("editor", "Not saved: " + reason(err) + (conflict ? ". Your words are still in the form." : ""), true);
    if (conflict) form.offerSaveOver(keepOver);
    return null;
  }
}

// After a refusal: the editor has read what a colleague saved (the history, the kept changes)
// and saves the form's words over it all the same.
async function keepOver() {
  const id = state.current.id;
  const [live, kept] = await Promise.all([call(path(id)), keptFor(id)]);
  state.current = live; // what customers see now, as the note says
  over = kept ? kept.updated_at : null;
  if (state.changes) state.changes = { ...state.changes, updated_at: over, based_on: kept ? kept.based_on : live.version };
  return keepChanges();
}

export async function publishChanges() {
  if (form.dirty() && !(await keepChanges())) return;
  if (!state.changes) return; // they were the published text: nothing to publish
  // Begun from an older version than the one customers see: publishing them undoes that one's
  // change unless the editor carried it over. Asked, then saved again on it first.
  const then = state.changes.based_on;
  const now = state.current.version;
  if (then !== now) {
    const sure = window.confirm(
      "These changes began from version " + then + "; customers see version " + now + " now. Publishing them replaces version " + now +
        "'s text, undoing its changes unless you carried them over (see the history). Publish them anyway?"
    );
    if (!sure || !(await keepChanges({ rebase: true }))) return;
    if (!state.changes) return;
  }
  const asked = form.ask();
  try {
    const query = "?base_version=" + state.current.version + "&changes_at=" + encodeURIComponent(seen());
    const article = await call(path(state.current.id) + "/changes/publish" + query, { method: "POST" });
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

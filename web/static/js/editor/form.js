// The article form: fields, the Markdown preview, example questions, and save, publish, archive,
// roll back (a published article's changes kept apart until published: changes.js). The preview is drawn by the widget's own renderer (shared/markdown.js): what the
// editor previews is what a customer is shown.
import { append, clear, el } from "../shared/dom.js";
import { forget, keep, kept } from "../shared/kept.js";
import { signInEnding } from "../shared/session.js";
import { markdown } from "../shared/markdown.js";
import { $, path, state, call, reason, tell, debounce, guard, onArticleRequest, announceChange } from "./state.js";
import { loadList } from "./list.js";
import { loadHistory, loadFigures } from "./history.js";
import { showView } from "./views.js";
import { renderSkillNote } from "./skill.js";
import { clearTitleNote, renderTitleNote } from "./title.js";
import { apart, carriedOver, keepChanges, keptFor, publishChanges, renderChanges, wireChanges } from "./changes.js";

// Commas split tags, Japanese ones (、，) too: "billing、sensitive" is two tags.
function tags(text) {
  return text.split(/[,、，]/).map((t) => t.trim()).filter(Boolean);
}

function collect() {
  return {
    id: $("f-id").value.trim(),
    title: $("f-title").value.trim(),
    body: $("f-body").value,
    questions: [...state.questions],
    skill: $("f-skill").value.trim() || "general",
    tags: tags($("f-tags").value),
    // Left to the server when not chosen: detected from the title and example questions.
    language: $("f-language").value || undefined,
  };
}

// What the form began from: the kept changes when they are open (changes.js), else the article.
function shown() {
  return state.changes ? { ...state.current, ...state.changes.article } : state.current;
}

function dirty() {
  const now = collect();
  const was = shown();
  if (!was) return Boolean(now.title || now.body.trim() || now.questions.length);
  return (
    now.title !== was.title ||
    now.body.trim() !== was.body.trim() ||
    now.skill !== was.skill ||
    (now.language || was.language) !== was.language ||
    JSON.stringify(now.tags) !== JSON.stringify(was.tags) ||
    JSON.stringify(now.questions) !== JSON.stringify(was.questions)
  );
}

function renderDirty() {
  $("dirty").textContent = state.current && dirty() ? "Unsaved changes" : "";
  keepForm();
}

// Unsaved changes are kept for this browser tab as they are made (shared/kept.js, the signed-in
// editor's): a reload, or a sign-in that ended under the page (the next call is refused and the
// page asks to sign in again), loses none of them. Signed in again, the form comes back as it
// was (restoreKept), and saving it still names the version the edit began from. Until that is
// done, nothing the form does forgets them.
const KEPT = "editor-article";
let restoring = null; // what was kept, until it is back in the form
let keptNow = false; // the form's unsaved changes are kept at this moment

function keepForm() {
  if (restoring) return;
  if (!dirty()) {
    forget(KEPT);
    keptNow = false;
    return;
  }
  keptNow = keep(KEPT, {
    id: state.current ? state.current.id : null,
    changes: Boolean(state.changes), // the kept changes were open: they come back as such
    version: state.base || (state.current ? state.current.version : null),
    title: $("f-title").value,
    newId: $("f-id").value,
    skill: $("f-skill").value,
    tags: $("f-tags").value,
    language: $("f-language").value,
    body: $("f-body").value,
    questions: [...state.questions],
    question: $("f-question").value,
  });
}

export async function restoreKept() {
  const was = restoring;
  if (!was) return;
  const asked = ++formAsked;
  let article = null;
  if (was.id) {
    try {
      article = await call(path(was.id));
    } catch (err) {
      // Still kept (for the next time the page opens); this page's own changes are not.
      tell("editor", "Your unsaved changes to " + was.id + " are kept, but it could not be opened: " + reason(err), true);
      return;
    }
  }
  let changes = null;
  if (article && was.changes) {
    // Discarded or published meanwhile: what the form holds is kept apart again when saved.
    changes = await call(path(was.id) + "/changes").catch(() => ({ article, based_on: article.version }));
  }
  if (asked !== formAsked) return; // the editor opened something meanwhile: still kept, as above
  restoring = null;
  fill(article, changes);
  state.base = was.version;
  state.questions = [...was.questions];
  $("f-title").value = was.title;
  $("f-skill").value = was.skill;
  $("f-tags").value = was.tags;
  $("f-language").value = was.language;
  $("f-body").value = was.body;
  $("f-question").value = was.question;
  if (!article) $("f-id").value = was.newId;
  renderSkillNote();
  renderQuestions();
  renderPreview();
  renderDirty();
  const moved = article && article.version !== was.version;
  tell(
    "editor",
    "Your unsaved changes are back in the form: save them to keep them." +
      (moved ? " The article has changed since you began (it is at version " + article.version + " now): saving will say so." : "")
  );
  if (article) await after(article.id);
  focusEditor();
}

// A save refused because a colleague saved meanwhile offers "Save mine over theirs": `how`
// saves the form's words all the same, once the editor has read their change.
let overWith = null;
function offerSaveOver(how) {
  overWith = how;
  $("save-over").hidden = false;
}

// After a colleague's save refused this one: their change is in the history, and the form's
// words become the next version all the same.
async function saveOver() {
  state.base = (await call(path(state.current.id))).version;
  await save();
}

// What is drawn beside the form once an article is open or saved: the list, the history, the
// figures and whether the article keeps unpublished changes.
function after(id) {
  return Promise.all([loadList(), showHistory(id), loadFigures(id), notePending(id)]);
}

async function notePending(id) {
  try {
    const pending = await keptFor(id);
    if (state.current && state.current.id === id) {
      state.pending = pending;
      renderChanges();
    }
  } catch (_) {
    /* the note stays as it was; the list says whether the articles could be loaded */
  }
}

const renderPreview = debounce(() => {
  append(clear($("preview")), markdown($("f-body").value || ""));
}, 80);

function renderQuestions() {
  const list = clear($("question-list"));
  state.questions.forEach((question, index) => {
    list.append(
      el(
        "li",
        {},
        el("span", { class: "question-text" }, question),
        el(
          "button",
          {
            type: "button",
            class: "remove",
            "aria-label": "Remove question: " + question,
            onclick: () => {
              state.questions.splice(index, 1);
              edits += 1;
              renderQuestions();
              renderDirty();
              $("f-question").focus();
            },
          },
          "Remove"
        )
      )
    );
  });
  if (!state.questions.length) list.append(el("li", { class: "muted" }, "No example questions yet."));
}

function addQuestion() {
  const input = $("f-question");
  const text = input.value.trim();
  if (!text) return;
  if (state.questions.some((q) => q.toLowerCase() === text.toLowerCase())) {
    tell("editor", "That question is already in the list.", true);
    return;
  }
  state.questions.push(text);
  input.value = "";
  tell("editor", "");
  renderQuestions();
  renderDirty();
}

function renderStatus() {
  const article = state.current;
  const status = article ? article.status : "new";
  const badge = $("editor-status");
  badge.className = "status status-" + status;
  badge.textContent = article ? status : "new draft";
  $("editor-version").textContent = article ? "version " + article.version : "";
  $("editor-heading").textContent = article ? article.title : "New article";
  $("f-id").readOnly = Boolean(article);
  $("save").textContent = article ? "Save" : "Create draft";
  $("publish").hidden = !article;
  $("archive").hidden = !article;
  $("publish").disabled = !article || (article.status === "published" && !apart());
  $("archive").disabled = !article || article.status === "archived";
  $("publish").textContent = apart() ? "Publish changes" : article && article.status === "archived" ? "Publish again" : "Publish";
  // A published article's kept changes open: the form saves them apart (Enter too), and
  // publishing publishes them. (Those of an article no longer published are saved into it.)
  $("save").hidden = apart();
  $("archive").hidden = !article || apart();
  $("keep-changes").classList.toggle("primary", apart());
  if (state.changes) $("editor-version").textContent += " · unpublished changes open";
  renderChanges();
}

// The article into the form; with `changes`, its kept changes are what the form edits.
function fill(article, changes = null) {
  $("save-over").hidden = true;
  const same = state.current && article && state.current.id === article.id;
  state.current = article;
  state.changes = changes;
  state.pending = changes || (same ? state.pending : null);
  state.base = null; // the version an edit kept across a sign-in began from, when not current's
  const text = shown();
  state.questions = article ? [...text.questions] : [];
  $("f-title").value = article ? text.title : "";
  $("f-id").value = article ? article.id : "";
  $("f-skill").value = article ? text.skill : "general";
  renderSkillNote();
  // A title another article has is pointed out on opening too (a draft made from content gaps
  // takes its title from a customer's question, which an article may already be called).
  if (article) renderTitleNote();
  else clearTitleNote();
  $("f-tags").value = article ? text.tags.join(", ") : "";
  $("f-language").value = article ? text.language || "" : "";
  $("f-body").value = article ? text.body : "";
  $("f-question").value = "";
  $("editor").hidden = false;
  $("editor-empty").hidden = true;
  renderStatus();
  renderQuestions();
  renderPreview();
  renderDirty();
}

function focusEditor() {
  const heading = $("editor-heading");
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: "start", behavior: "auto" });
}

// Opening, saving, publishing and rolling back each draw the article they get back into the form.
// Answers can arrive late (a busy server): only the latest request's answer is drawn, so an
// article opened before a save never comes back over the saved one. And an article the editor
// began typing into while it opened keeps their words: the answer is an older copy of it.
let formAsked = 0;
let edits = 0; // counts the editor's changes to the form
let saving = false; // a save is on its way

async function openArticle(id, { message } = {}) {
  const asked = ++formAsked;
  const editsWhenAsked = edits;
  try {
    const article = await call(path(id));
    if (asked !== formAsked) return;
    const typedMeanwhile = edits !== editsWhenAsked && state.current && state.current.id === id;
    if (!typedMeanwhile) fill(article);
    tell("editor", message || "");
    if (!typedMeanwhile) focusEditor(); // not away from the field they are typing in
    await after(id);
  } catch (err) {
    tell("editor", "Could not open the article: " + reason(err), true);
  }
}

function showHistory(id) {
  return loadHistory(id, (version) => rollBack(id, version));
}

// Rolling back replaces what the form holds, and a published article's text for customers at
// once: over unsaved changes it asks as opening another article does, and for a published
// article it asks before it goes live.
async function rollBack(id, version) {
  if (!mayLeave()) return;
  const live = state.current && state.current.status === "published";
  if (live && !window.confirm("Roll back to version " + version + "? Customers are answered with its text at once.")) return;
  const asked = ++formAsked;
  try {
    const article = await call(path(id) + "/rollback", { method: "POST", body: { version } });
    if (asked !== formAsked) return;
    fill(article);
    announceChange();
    tell("editor", "Rolled back: version " + article.version + " holds version " + version + "'s text.");
    await after(id);
    focusEditor();
  } catch (err) {
    tell("editor", "Could not roll back: " + reason(err), true);
  }
}

// Opening an article (another, or this one again: its saved copy) or a new one over unsaved
// changes asks first; so does leaving the page, the browser's own question.
function mayLeave() {
  return !dirty() || window.confirm("Discard your unsaved changes to this article?");
}

function newArticle() {
  if (!mayLeave()) return;
  fill(null);
  tell("editor", "");
  $("figures").hidden = true;
  $("history").hidden = true;
  loadList();
  $("f-title").focus();
}

async function save() {
  const body = collect();
  const creating = !state.current;
  if (!body.title) {
    tell("editor", "Give the article a title.", true);
    $("f-title").focus();
    return null;
  }
  // Left empty, the id is the server's to make: a slug of a Latin title, a short id otherwise
  // (a Japanese title), unique either way.
  if (creating && !body.id) delete body.id;
  if (saving) return null; // a double click, or Enter twice: one save
  saving = true;
  $("save").disabled = true;
  const asked = ++formAsked;
  const before = creating ? null : state.current.version;
  try {
    const saved = creating
      ? await call("/api/kb/articles", { method: "POST", body })
      : await call(path(body.id) + "?base_version=" + (state.base || state.current.version), { method: "PUT", body });
    if (asked !== formAsked) return null;
    const carried = !creating && state.changes && (await carriedOver(saved.id));
    fill(saved);
    announceChange();
    tell(
      "editor",
      creating
        ? "Draft created. Customers will not see it until you publish it."
        : saved.version === before
          ? "Nothing to save: the article is as it was."
          : "Saved as version " + saved.version + (saved.status === "published" ? ": live for customers now." : ".") +
            (carried ? " The unpublished changes are in it now, and no longer kept apart." : "")
    );
    await after(saved.id);
    return saved;
  } catch (err) {
    const conflict = !creating && err.status === 409;
    tell(
      "editor",
      (creating ? "Not created: " : "Not saved: ") + reason(err) +
        (conflict ? ". Their change is at the top of the history; your words are still in the form." : ""),
      true
    );
    if (conflict) {
      offerSaveOver(saveOver);
      await showHistory(body.id);
    }
    return null;
  } finally {
    saving = false;
    $("save").disabled = false;
  }
}

async function setStatus(action) {
  if (!state.current) return;
  if (apart()) return publishChanges();
  if (dirty() && !(await save())) return;
  const asked = ++formAsked;
  try {
    const article = await call(path(state.current.id) + "/" + action, { method: "POST" });
    if (asked !== formAsked) return;
    fill(article);
    // The button pressed is disabled now, and focus would fall to the page: keep it in the form,
    // on its heading (not on the opposite action, which a second Enter would then take).
    if (document.activeElement === document.body || document.activeElement.disabled) $("editor-heading").focus();
    announceChange();
    tell(
      "editor",
      action === "publish"
        ? "Published: the bot answers with it from now on."
        : "Archived: the bot no longer answers with it."
    );
    await after(article.id);
  } catch (err) {
    tell("editor", "Could not " + action + ": " + reason(err), true);
  }
}

export function wireForm() {
  restoring = kept(KEPT);
  guard.mayLeave = mayLeave;
  onArticleRequest((id, options) => {
    if (!options.confirmed && !mayLeave()) return;
    showView("articles");
    openArticle(id, options);
  });
  window.addEventListener("beforeunload", (e) => {
    if (dirty() && !(keptNow && signInEnding())) e.preventDefault();
  });
  $("new-article").addEventListener("click", newArticle);
  $("editor").addEventListener("submit", (e) => {
    e.preventDefault();
    if (apart()) keepChanges();
    else save();
  });
  $("editor").addEventListener("input", () => {
    edits += 1;
    renderDirty();
  });
  $("f-body").addEventListener("input", renderPreview);
  $("add-question").addEventListener("click", addQuestion);
  $("f-question").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      addQuestion();
    }
  });
  $("publish").addEventListener("click", () => setStatus("publish"));
  $("archive").addEventListener("click", () => setStatus("archive"));
  $("save-over").addEventListener("click", async () => {
    $("save-over").hidden = true;
    try {
      await overWith();
    } catch (err) {
      tell("editor", "Not saved: " + reason(err), true);
    }
  });
  wireChanges({
    offerSaveOver,
    fill,
    collect,
    dirty,
    mayLeave,
    after,
    ask: () => ++formAsked,
    answered: (asked) => asked === formAsked,
  });
}

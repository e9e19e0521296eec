// The knowledge editor: articles with search and status filters, an editor with a Markdown
// preview, versions with diffs and rollback, content gaps, per-article figures, and a box to try
// a question the way the bot searches. Text from data only ever enters the page as text nodes;
// the one exception is the Markdown preview, which goes through DOMPurify first.
(function () {
  "use strict";

  const { api, ApiError, el, clear, when, signIn } = window.Cascade;
  const $ = (id) => document.getElementById(id);
  const path = (id) => "/api/kb/articles/" + encodeURIComponent(id);

  const DECISIONS = {
    answer: "The bot answers with the first article.",
    clarify: "The bot offers these articles as buttons and asks which one fits.",
    escalate: "No article fits: the bot hands the customer over to a person.",
  };

  const state = {
    token: null,
    status: "",
    query: "",
    current: null, // the article as last loaded or saved; null while writing a new one
    questions: [],
    idTouched: false,
  };

  function call(url, options = {}) {
    return api(url, { ...options, token: state.token });
  }

  // The API's own words, made readable: FastAPI's validation errors arrive as a JSON list.
  function reason(err) {
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

  function tell(prefix, message, error) {
    $(prefix + "-message").textContent = error ? "" : message || "";
    $(prefix + "-error").textContent = error ? message : "";
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  // -- views ------------------------------------------------------------------------------------

  function showView(name) {
    for (const button of document.querySelectorAll("nav.views button")) {
      button.setAttribute("aria-pressed", String(button.dataset.view === name));
    }
    for (const view of ["articles", "gaps", "try"]) $("view-" + view).hidden = view !== name;
    if (name === "gaps") loadGaps();
    if (name === "try") $("try-q").focus();
  }

  // -- the list ---------------------------------------------------------------------------------

  async function loadList() {
    const params = new URLSearchParams();
    if (state.status) params.set("status", state.status);
    if (state.query) params.set("q", state.query);
    try {
      renderList(await call("/api/kb/articles?" + params));
    } catch (err) {
      $("list-count").textContent = "Could not load the articles: " + reason(err);
    }
  }

  function renderList(articles) {
    const list = clear($("article-list"));
    for (const article of articles) {
      const selected = state.current && state.current.id === article.id;
      list.append(
        el(
          "li",
          {},
          el(
            "button",
            {
              type: "button",
              class: "article-item",
              "aria-current": selected ? "true" : null,
              dataset: { id: article.id },
              onclick: () => openArticle(article.id),
            },
            el("span", { class: "article-title" }, article.title),
            el(
              "span",
              { class: "article-meta" },
              el("span", { class: "status status-" + article.status }, article.status),
              " " + article.skill + " · v" + article.version + " · " + when(article.updated_at)
            )
          )
        )
      );
    }
    const filtered = state.status || state.query;
    $("list-count").textContent =
      articles.length === 0
        ? filtered ? "No articles match." : "No articles yet."
        : articles.length + (articles.length === 1 ? " article" : " articles");
  }

  // -- the editor -------------------------------------------------------------------------------

  function slug(text) {
    const words = text.toLowerCase().match(/[a-z0-9]+/g) || [];
    return words.slice(0, 8).join("-");
  }

  function tags(text) {
    return text.split(",").map((t) => t.trim()).filter(Boolean);
  }

  function collect() {
    return {
      id: $("f-id").value.trim(),
      title: $("f-title").value.trim(),
      body: $("f-body").value,
      questions: [...state.questions],
      skill: $("f-skill").value.trim() || "general",
      tags: tags($("f-tags").value),
    };
  }

  function dirty() {
    const now = collect();
    const was = state.current;
    if (!was) return Boolean(now.title || now.body.trim() || now.questions.length);
    return (
      now.title !== was.title ||
      now.body.trim() !== was.body.trim() ||
      now.skill !== was.skill ||
      JSON.stringify(now.tags) !== JSON.stringify(was.tags) ||
      JSON.stringify(now.questions) !== JSON.stringify(was.questions)
    );
  }

  function renderDirty() {
    $("dirty").textContent = state.current && dirty() ? "Unsaved changes" : "";
  }

  // What an article's HTML may hold in the preview: no scripts or handlers (DOMPurify's default),
  // and nothing that could act on the editor around it: no form controls (the preview sits inside
  // the editor's form), no ids or names to shadow the editor's own, no styles to restyle the page.
  const PREVIEW_POLICY = {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "select", "option", "textarea"],
    FORBID_ATTR: ["id", "name", "style", "form", "formaction"],
  };

  const renderPreview = debounce(() => {
    const html = window.marked.parse($("f-body").value || "", { async: false });
    // The one place HTML made from data enters the page, and only as DOMPurify leaves it.
    $("preview").innerHTML = window.DOMPurify.sanitize(html, PREVIEW_POLICY);
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
    $("publish").disabled = !article || article.status === "published";
    $("archive").disabled = !article || article.status === "archived";
    $("publish").textContent = article && article.status === "archived" ? "Publish again" : "Publish";
  }

  function fill(article) {
    state.current = article;
    state.questions = article ? [...article.questions] : [];
    state.idTouched = false;
    $("f-title").value = article ? article.title : "";
    $("f-id").value = article ? article.id : "";
    $("f-skill").value = article ? article.skill : "general";
    $("f-tags").value = article ? article.tags.join(", ") : "";
    $("f-body").value = article ? article.body : "";
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

  async function openArticle(id, { message } = {}) {
    try {
      const article = await call(path(id));
      fill(article);
      tell("editor", message || "");
      focusEditor();
      await Promise.all([loadList(), loadHistory(id), loadFigures(id)]);
    } catch (err) {
      tell("editor", "Could not open the article: " + reason(err), true);
    }
  }

  function newArticle() {
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
    if (creating && !body.id) body.id = slug(body.title);
    try {
      const saved = creating
        ? await call("/api/kb/articles", { method: "POST", body })
        : await call(path(body.id) + "?base_version=" + state.current.version, { method: "PUT", body });
      fill(saved);
      tell(
        "editor",
        creating
          ? "Draft created. Customers will not see it until you publish it."
          : "Saved as version " + saved.version + (saved.status === "published" ? ": live for customers now." : ".")
      );
      await Promise.all([loadList(), loadHistory(saved.id), loadFigures(saved.id)]);
      return saved;
    } catch (err) {
      tell("editor", (creating ? "Not created: " : "Not saved: ") + reason(err), true);
      return null;
    }
  }

  async function setStatus(action) {
    if (!state.current) return;
    if (dirty() && !(await save())) return;
    try {
      const article = await call(path(state.current.id) + "/" + action, { method: "POST" });
      fill(article);
      tell(
        "editor",
        action === "publish"
          ? "Published: the bot answers with it from now on."
          : "Archived: the bot no longer answers with it."
      );
      await Promise.all([loadList(), loadHistory(article.id)]);
    } catch (err) {
      tell("editor", "Could not " + action + ": " + reason(err), true);
    }
  }

  // -- history ----------------------------------------------------------------------------------

  function diffView(diff) {
    const pre = el("pre", { class: "diff" });
    if (!diff) {
      pre.append(el("span", { class: "muted" }, "No change in the text (status only)."));
      return pre;
    }
    for (const line of diff.split("\n")) {
      let kind = "same";
      if (line.startsWith("@@")) kind = "hunk";
      else if (line.startsWith("+++") || line.startsWith("---")) kind = "file";
      else if (line.startsWith("+")) kind = "add";
      else if (line.startsWith("-")) kind = "del";
      pre.append(el("span", { class: "diff-" + kind }, line + "\n"));
    }
    return pre;
  }

  async function loadHistory(id) {
    let versions;
    try {
      versions = await call(path(id) + "/versions");
    } catch (err) {
      $("history").hidden = false;
      clear($("version-list")).append(el("li", { class: "error" }, "Could not load the history: " + reason(err)));
      return;
    }
    const list = clear($("version-list"));
    const latest = versions.length ? versions[0].version : null;
    for (const version of versions) {
      const diff = diffView(version.diff);
      diff.hidden = true;
      const diffId = "diff-" + version.version;
      diff.id = diffId;
      const toggle = el(
        "button",
        {
          type: "button",
          "aria-expanded": "false",
          "aria-controls": diffId,
          onclick: () => {
            diff.hidden = !diff.hidden;
            toggle.setAttribute("aria-expanded", String(!diff.hidden));
            toggle.textContent = diff.hidden ? "Show changes" : "Hide changes";
          },
        },
        "Show changes"
      );
      const rollback =
        version.version === latest
          ? el("span", { class: "muted" }, "current")
          : el(
              "button",
              { type: "button", onclick: () => rollBack(id, version.version) },
              "Roll back to version " + version.version
            );
      list.append(
        el(
          "li",
          { class: "version" },
          el(
            "div",
            { class: "version-head" },
            el("strong", {}, "Version " + version.version),
            " " + version.change + " by " + (version.author || "someone") + ", " + when(version.created_at) + " ",
            el("span", { class: "status status-" + version.status }, version.status)
          ),
          el("div", { class: "row" }, toggle, rollback),
          diff
        )
      );
    }
    $("history").hidden = false;
  }

  async function rollBack(id, version) {
    try {
      const article = await call(path(id) + "/rollback", { method: "POST", body: { version } });
      fill(article);
      tell("editor", "Rolled back: version " + article.version + " holds version " + version + "'s text.");
      await Promise.all([loadList(), loadHistory(id)]);
      focusEditor();
    } catch (err) {
      tell("editor", "Could not roll back: " + reason(err), true);
    }
  }

  // -- figures ----------------------------------------------------------------------------------

  async function loadFigures(id) {
    const list = clear($("figure-list"));
    $("figures").hidden = false;
    try {
      const f = await call(path(id) + "/feedback");
      const rated = f.helpful + f.not_helpful;
      const rows = [
        ["Times shown", String(f.shown)],
        [
          "Helpful",
          f.helpful_rate === null
            ? "no answers yet"
            : Math.round(f.helpful_rate * 100) + "% (" + f.helpful + " of " + rated + " said it helped)",
        ],
        ["Hand-overs after it", String(f.handoffs_after)],
      ];
      for (const [name, value] of rows) list.append(el("div", {}, el("dt", {}, name), el("dd", {}, value)));
    } catch (err) {
      list.append(el("div", { class: "error" }, "Could not load the figures: " + reason(err)));
    }
  }

  // -- content gaps -----------------------------------------------------------------------------

  async function loadGaps() {
    const list = clear($("gap-list"));
    let clusters;
    let articles;
    try {
      [clusters, articles] = await Promise.all([call("/api/kb/gaps"), call("/api/kb/articles")]);
    } catch (err) {
      tell("gaps", "Could not load the content gaps: " + reason(err), true);
      return;
    }
    $("gap-count").textContent = clusters.length ? "(" + clusters.length + ")" : "";
    if (!clusters.length) {
      list.append(el("li", { class: "muted" }, "No open content gaps: the bot answered everything it was asked."));
      return;
    }
    const choices = articles.filter((a) => a.status !== "archived");
    for (const cluster of clusters) list.append(gapCard(cluster, choices));
  }

  function gapCard(cluster, articles) {
    const key = "gap-" + cluster.id;
    const first = cluster.examples[0] || "";
    const title = el("input", {
      id: key + "-title",
      value: first.replace(/[?!. ]+$/, "").replace(/^./, (c) => c.toUpperCase()),
      maxlength: 300,
      autocomplete: "off",
    });
    const target = el(
      "select",
      { id: key + "-article" },
      el("option", { value: "" }, "Choose an article…"),
      articles.map((a) => el("option", { value: a.id }, a.title + " (" + a.status + ")"))
    );
    const heading = cluster.count === 1 ? "1 question" : cluster.count + " questions";
    return el(
      "li",
      { class: "gap card" },
      el("h3", {}, heading, el("span", { class: "muted" }, " · latest " + when(cluster.latest_at))),
      el("ul", { class: "examples" }, cluster.examples.map((q) => el("li", {}, q))),
      el("p", { class: "muted" }, "Why: ", cluster.reasons.map((r) => el("span", { class: "tag" }, r.replace(/_/g, " ")))),
      el(
        "form",
        {
          class: "row",
          onsubmit: (e) => {
            e.preventDefault();
            draftFromGap(cluster, title.value.trim());
          },
        },
        el("label", { for: key + "-title" }, "Title"),
        title,
        el("button", { type: "submit", class: "primary" }, "Create article")
      ),
      el(
        "form",
        {
          class: "row",
          onsubmit: (e) => {
            e.preventDefault();
            attachGap(cluster, target.value);
          },
        },
        el("label", { for: key + "-article" }, "Add to"),
        target,
        el("button", { type: "submit" }, "Add to article")
      )
    );
  }

  async function draftFromGap(cluster, title) {
    try {
      const draft = await call("/api/kb/gaps/draft", {
        method: "POST",
        body: { gap_ids: cluster.gap_ids, title: title || null },
      });
      showView("articles");
      await openArticle(draft.id, {
        message: "Draft created from " + cluster.count + " customer questions: write the answer, then publish.",
      });
      refreshGapCount();
    } catch (err) {
      tell("gaps", "Could not create the article: " + reason(err), true);
    }
  }

  async function attachGap(cluster, articleId) {
    if (!articleId) {
      tell("gaps", "Choose the article to add these questions to.", true);
      return;
    }
    try {
      const article = await call("/api/kb/gaps/attach", {
        method: "POST",
        body: { gap_ids: cluster.gap_ids, article_id: articleId },
      });
      tell("gaps", "Added to “" + article.title + "” as example questions (version " + article.version + ").");
      await loadGaps();
    } catch (err) {
      tell("gaps", "Could not add the questions: " + reason(err), true);
    }
  }

  async function refreshGapCount() {
    try {
      const clusters = await call("/api/kb/gaps");
      $("gap-count").textContent = clusters.length ? "(" + clusters.length + ")" : "";
    } catch (_) {
      /* the count is a hint only */
    }
  }

  // -- try a question ---------------------------------------------------------------------------

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
                      onclick: () => {
                        showView("articles");
                        openArticle(hit.article_id);
                      },
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

  // -- import and export ------------------------------------------------------------------------

  async function download(format, name) {
    tell("transfer", "");
    try {
      const response = await call("/api/kb/export?format=" + format, { raw: true });
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      tell("transfer", "Downloaded " + name + ".");
    } catch (err) {
      tell("transfer", "Could not export: " + reason(err), true);
    }
  }

  async function importFile() {
    const file = $("import-file").files[0];
    if (!file) {
      tell("transfer", "Choose a .zip or .jsonl file first.", true);
      return;
    }
    const zip = /\.zip$/i.test(file.name);
    try {
      const response = await fetch("/api/kb/import", {
        method: "POST",
        headers: {
          Authorization: "Bearer " + state.token,
          "Content-Type": zip ? "application/zip" : "application/x-ndjson",
        },
        body: file,
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        const problems = Array.isArray(data.problems) ? data.problems.join("; ") : null;
        throw new Error(problems ? "import rejected, nothing was kept: " + problems : data.detail || response.statusText);
      }
      const count = data.imported === 1 ? "1 article" : data.imported + " articles";
      tell("transfer", "Imported " + count + " from " + file.name + ".");
      $("import-file").value = "";
      loadList();
    } catch (err) {
      tell("transfer", reason(err), true);
    }
  }

  // -- start ------------------------------------------------------------------------------------

  function wire() {
    for (const button of document.querySelectorAll("nav.views button")) {
      button.addEventListener("click", () => showView(button.dataset.view));
    }
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
    for (const radio of document.querySelectorAll("input[name=status]")) {
      radio.addEventListener("change", () => {
        state.status = radio.value;
        loadList();
      });
    }
    $("new-article").addEventListener("click", newArticle);
    $("editor").addEventListener("submit", (e) => {
      e.preventDefault();
      save();
    });
    $("editor").addEventListener("input", renderDirty);
    $("f-body").addEventListener("input", renderPreview);
    $("f-title").addEventListener("input", () => {
      if (!state.current && !state.idTouched) $("f-id").value = slug($("f-title").value);
    });
    $("f-id").addEventListener("input", () => {
      state.idTouched = true;
    });
    $("add-question").addEventListener("click", addQuestion);
    $("f-question").addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        addQuestion();
      }
    });
    $("publish").addEventListener("click", () => setStatus("publish"));
    $("archive").addEventListener("click", () => setStatus("archive"));
    $("refresh-gaps").addEventListener("click", loadGaps);
    $("try-form").addEventListener("submit", tryQuestion);
    $("export-markdown").addEventListener("click", () => download("markdown", "knowledge-base.zip"));
    $("export-jsonl").addEventListener("click", () => download("jsonl", "knowledge-base.jsonl"));
    $("import").addEventListener("click", importFile);
  }

  async function start() {
    const session = await signIn({ role: "editor", root: $("signin"), title: "Knowledge editor" });
    state.token = session.token;
    $("who").textContent = session.me.subject ? "Signed in as " + session.me.subject : "Signed in";
    $("sign-out").hidden = false;
    $("sign-out").addEventListener("click", session.signOut);
    $("workspace").hidden = false;
    wire();
    await Promise.all([loadList(), refreshGapCount()]);
  }

  start();
})();

"""The knowledge editor in a real browser against the real app (real embedding model): an editor
writes, previews, saves and publishes an article that then answers customers; history with diffs
and rollback; conflicts explained; hostile text shown as text; content gaps from real
conversations (real Rasa) turned into a draft; figures as the API gives them; only editors."""

from __future__ import annotations

import re
import uuid
import zipfile

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import ADMIN, ADMIN_HEADERS, wait_held

pytestmark = [pytest.mark.browser, pytest.mark.model]

XSS = "<img src=x onerror=alert(1)>"
# A save re-embeds the article and calibrates every language again before it answers.
SAVE_TIMEOUT_MS = 60_000


def unique() -> str:
    return uuid.uuid4().hex[:8]


def open_editor(page, url: str, token: str = ADMIN) -> None:
    page.goto(f"{url}/editor#token={token}")
    expect(page.locator("#workspace")).to_be_visible()


def open_article(page, title: str) -> None:
    page.fill("#list-q", title)
    page.locator(".article-item", has_text=title).click()
    expect(page.locator("#editor-heading")).to_have_text(title)


def draft(url: str, **article: str) -> None:
    """A draft made over the API (its body: "Ask in store.")."""
    created = httpx.post(
        f"{url}/api/kb/articles",
        json={"body": "Ask in store.", **article},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert created.status_code == 201, created.text


def search(url: str, query: str) -> dict:
    response = httpx.post(f"{url}/api/kb/search", json={"query": query}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_editor_writes_publishes_and_customers_are_answered_with_it(web_app, page, shoot):
    tag = unique()
    title = f"Insurance for ferrets {tag}"
    question = "do you insure pet ferrets"
    holder = httpx.post(
        f"{web_app}/api/agents",
        json={"name": f"Ida {tag}", "skills": {"accounts": 2}},
        headers=ADMIN_HEADERS,
        timeout=30,
    )
    assert holder.status_code == 201, holder.text

    page.goto(web_app + "/editor")
    page.get_by_role("button", name="Use a token instead").click()
    page.fill("#token", ADMIN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#workspace")).to_be_visible()

    # A title another article has is pointed out when the field is left, with a way to it.
    twin = httpx.post(
        f"{web_app}/api/kb/articles",
        json={"id": f"ferret-cover-{tag}", "title": f"Ferret cover {tag}", "body": "Soon."},
        headers=ADMIN_HEADERS,
        timeout=30,
    )
    assert twin.status_code == 201, twin.text
    page.get_by_role("button", name="New article").click()
    expect(page.locator("#f-title")).to_be_focused()
    page.keyboard.type(f"ferret COVER {tag}")
    page.keyboard.press("Tab")
    note = page.locator("#f-title-note")
    expect(note).to_have_text(
        f"An article titled “Ferret cover {tag}” already exists (draft). Open it"
    )
    page.fill("#f-title", title)
    page.locator("#f-title").press("Tab")
    expect(note).to_be_hidden()
    page.locator("#f-title").focus()
    expect(page.locator("#f-id")).to_have_value("")  # left to the server to make
    # A skill no agent holds (a typo) is pointed out; the skills agents hold are offered.
    page.fill("#f-skill", "acounts")
    expect(page.locator("#f-skill-note")).to_be_hidden()  # not while typing
    page.locator("#f-skill").press("Tab")
    expect(page.locator("#f-skill-note")).to_contain_text("No agent has the skill “acounts”")
    expect(page.locator('#skill-options option[value="accounts"]')).to_have_count(1)
    page.fill("#f-skill", "accounts")
    expect(page.locator("#f-skill-note")).to_be_hidden()
    page.fill("#f-tags", "insurance, pets")
    page.fill("#f-body", "# Ferrets\n\nWe **do** cover ferrets, from £4 a month.")
    # The preview is what the customer's chat shows: bold and links, the rest as typed.
    expect(page.locator("#preview")).to_have_text(
        "# Ferrets\n\nWe do cover ferrets, from £4 a month."
    )
    expect(page.locator("#preview strong")).to_have_text("do")
    for q in (question, "ferret insurance cost"):
        page.fill("#f-question", q)
        page.keyboard.press("Enter")
    expect(page.locator("#question-list .question-text")).to_have_text(
        [question, "ferret insurance cost"]
    )

    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("#editor-message")).to_contain_text("Draft created")
    expect(page.locator("#editor-status")).to_have_text("draft")
    expect(page.locator("#f-id")).to_have_value(f"insurance-for-ferrets-{tag}")
    page.get_by_label("Draft", exact=True).check()
    expect(page.locator(".article-item", has_text=title)).to_be_visible()
    page.get_by_label("Published", exact=True).check()
    expect(page.locator("#list-count")).to_be_visible()
    expect(page.locator(".article-item", has_text=title)).to_have_count(0)
    assert f"insurance-for-ferrets-{tag}" not in [
        r["article_id"] for r in search(web_app, question)["results"]
    ]

    page.fill("#f-body", "# Ferrets\n\nWe **do** cover ferrets, from £5 a month.")
    expect(page.locator("#dirty")).to_have_text("Unsaved changes")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#editor-message")).to_contain_text("Saved as version 2")
    page.get_by_role("button", name="Save", exact=True).click()  # again, with nothing changed
    expect(page.locator("#editor-message")).to_have_text(
        "Nothing to save: the article is as it was."
    )
    page.get_by_role("button", name="Publish", exact=True).press("Enter")  # from the keyboard
    expect(page.locator("#editor-message")).to_contain_text("Published")
    expect(page.locator("#editor-status")).to_have_text("published")
    expect(page.locator("#editor-heading")).to_be_focused()  # not lost with the button
    expect(page.locator(".article-item", has_text=title)).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "editor")

    answer = search(web_app, question)
    assert answer["decision"] == "answer"
    assert answer["results"][0]["article_id"] == f"insurance-for-ferrets-{tag}"
    assert answer["results"][0]["title"] == title

    page.get_by_role("button", name="Try a question").click()
    page.fill("#try-q", question)
    page.keyboard.press("Enter")
    expect(page.locator("#try-result .decision")).to_contain_text("answer")
    expect(page.locator("#try-result tbody tr").first).to_contain_text(title)
    expect(page.locator("#try-result .score").first).to_have_text(
        f"{answer['results'][0]['score']:.3f}"
    )
    # Beside the scores, the limits the bot reads them against.
    limits = httpx.get(
        f"{web_app}/api/kb/calibration?language=en", headers=ADMIN_HEADERS, timeout=30
    ).json()["limits"]
    expect(page.locator("#try-limits")).to_have_text(
        f"English questions are scored by cosine: the bot answers from {limits['answer']:.3f}"
        f" when the first leads the next by {limits['margin']:.3f}, and offers choices from"
        f" {limits['clarify']:.3f}."
    )

    # Edit, see the diff, roll back to the published text.
    page.locator("#try-result tbody button").first.click()
    expect(page.locator("#editor-heading")).to_have_text(title)
    page.fill("#f-body", "# Ferrets\n\nWe no longer cover ferrets.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#editor-message")).to_contain_text("Saved as version 4: live")
    newest = page.locator("#version-list > li").first
    expect(newest).to_contain_text("Version 4 edited by admin")
    newest.get_by_role("button", name="Show changes").click()
    expect(newest.locator(".diff-del")).to_have_text(["-We **do** cover ferrets, from £5 a month."])
    expect(newest.locator(".diff-add")).to_have_text(["+We no longer cover ferrets."])
    expect(newest.locator(".diff")).not_to_contain_text("@@")  # no diff machinery for editors
    expect(newest.locator(".diff")).not_to_contain_text("--- version")
    shoot(page, "editor-history")

    page.dialog_answers = [True]  # it goes live: asked first
    page.get_by_role("button", name="Roll back to version 3").click()
    expect(page.locator("#editor-message")).to_contain_text("version 5 holds version 3")
    assert page.dialogs == ["Roll back to version 3? Customers are answered with its text at once."]
    expect(page.locator("#f-body")).to_have_value(
        "# Ferrets\n\nWe **do** cover ferrets, from £5 a month."
    )
    expect(page.locator("#preview strong")).to_have_text("do")
    expect(page.locator("#version-list > li").first).to_contain_text("rolled back to version 3")
    served = httpx.get(f"{web_app}/api/kb/articles/insurance-for-ferrets-{tag}").json()
    assert served["body"] == "# Ferrets\n\nWe **do** cover ferrets, from £5 a month."
    assert served["version"] == 5

    page.get_by_role("button", name="Archive", exact=True).click()
    expect(page.locator("#editor-status")).to_have_text("archived")
    assert f"insurance-for-ferrets-{tag}" not in [
        r["article_id"] for r in search(web_app, question)["results"]
    ]
    assert page.errors == []


def test_words_typed_while_an_article_opens_are_kept_and_open_changes_stay_open(web_app, page):
    # Opening the article again (from the list, the try box...) while the server is slow to
    # answer, and typing meanwhile: the late answer is an older copy and must not take the words
    # back, or the save would keep the old text and show no change.
    tag = unique()
    article_id = f"parcel-times-{tag}"
    title = f"Parcel times {tag}"
    created = httpx.post(
        f"{web_app}/api/kb/articles",
        json={"id": article_id, "title": title, "body": "Parcels arrive in 3 days."},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    open_editor(page, web_app)
    open_article(page, title)

    held = []
    page.route(
        re.compile(rf".*/api/kb/articles/{article_id}$"),
        lambda route: held.append(route) if route.request.method == "GET" else route.continue_(),
    )
    page.locator(".article-item", has_text=title).click()
    page.fill("#f-body", "Parcels arrive in 2 days.")
    wait_held(page, held)
    # The open goes on to the history once its answer is handled.
    with page.expect_request(re.compile(rf".*/api/kb/articles/{article_id}/versions$")):
        held[0].continue_()
    expect(page.locator("#f-body")).to_have_value("Parcels arrive in 2 days.")
    expect(page.locator("#dirty")).to_have_text("Unsaved changes")

    # The save's own answer first (SAVE_TIMEOUT_MS: a busy machine stretches it past the page's).
    with page.expect_response(
        lambda r: r.request.method == "PUT" and f"/api/kb/articles/{article_id}?" in r.url,
        timeout=SAVE_TIMEOUT_MS,
    ) as saved:
        page.get_by_role("button", name="Save", exact=True).click()
    assert saved.value.status == 200, saved.value.text()
    expect(page.locator("#editor-message")).to_contain_text("Saved as version 2")
    newest = page.locator("#version-list > li").first
    expect(newest).to_contain_text("Version 2 edited by admin")
    newest.get_by_role("button", name="Show changes").click()
    expect(newest.locator(".diff-del")).to_have_text(["-Parcels arrive in 3 days."])
    expect(newest.locator(".diff-add")).to_have_text(["+Parcels arrive in 2 days."])

    # Publishing draws the history again: the changes the editor had open stay open.
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#version-list > li").first).to_contain_text("Version 3 published")
    edited = page.locator("#version-list > li", has_text="Version 2 edited")
    expect(edited.locator(".diff-add")).to_be_visible()
    expect(edited.get_by_role("button", name="Hide changes")).to_have_attribute(
        "aria-expanded", "true"
    )
    assert page.errors == []


def test_opening_another_article_over_unsaved_changes_asks_first(web_app, page):
    tag = unique()
    titles = [f"Gift cards {tag}", f"Store cards {tag}"]
    for title in titles:
        created = httpx.post(
            f"{web_app}/api/kb/articles",
            json={"title": title, "body": "Ask in store."},
            headers=ADMIN_HEADERS,
            timeout=60,
        )
        assert created.status_code == 201, created.text
    open_editor(page, web_app)
    open_article(page, titles[0])
    page.fill("#f-body", "Ask in store, or online.")
    question = "Discard your unsaved changes to this article?"

    page.dialog_answers = [False, False, True]  # keep, keep, then discard
    page.fill("#list-q", titles[1])
    page.locator(".article-item", has_text=titles[1]).click()
    expect(page.locator("#f-body")).to_have_value("Ask in store, or online.")  # kept
    expect(page.locator("#editor-heading")).to_have_text(titles[0])
    page.get_by_role("button", name="New article").click()
    expect(page.locator("#f-body")).to_have_value("Ask in store, or online.")
    assert page.dialogs == [question, question]

    page.locator(".article-item", has_text=titles[1]).click()
    expect(page.locator("#editor-heading")).to_have_text(titles[1])
    expect(page.locator("#f-body")).to_have_value("Ask in store.")
    assert page.dialogs == [question] * 3

    # The same article, clicked again in the list, is its saved copy: that asks too.
    page.fill("#f-body", "Ask in store, online or by phone.")
    page.dialog_answers = [False]
    page.locator(".article-item", has_text=titles[1]).click()
    expect(page.locator("#dirty")).to_have_text("Unsaved changes")
    assert page.dialogs == [question] * 4
    expect(page.locator("#f-body")).to_have_value("Ask in store, online or by phone.")
    assert page.errors == []


def test_an_article_keeps_its_language_and_a_double_click_creates_one(web_app, page):
    """A Japanese article with a Latin title (a brand name) stays Japanese when edited; a new
    one's language can be chosen; Japanese commas split tags; one draft however fast the clicks."""
    tag = unique()
    title = f"PayPay {tag}"
    created = httpx.post(
        f"{web_app}/api/kb/articles",
        json={"title": title, "body": "PayPayでお支払いいただけます。", "language": "ja"},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert created.status_code == 201 and created.json()["language"] == "ja", created.text
    article_id = created.json()["id"]
    open_editor(page, web_app)
    open_article(page, title)
    expect(page.get_by_label("Language", exact=True)).to_have_value("ja")
    expect(page.locator(".article-item", has_text=title)).to_contain_text("日本語")
    page.fill("#f-body", "PayPayでお支払いいただけます（手数料は無料です）。")
    page.fill("#f-tags", "payments、sensitive")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#editor-message")).to_contain_text("Saved as version 2")
    saved = httpx.get(f"{web_app}/api/kb/articles/{article_id}", headers=ADMIN_HEADERS).json()
    assert saved["language"] == "ja" and saved["tags"] == ["payments", "sensitive"]

    page.get_by_role("button", name="New article").click()
    page.fill("#f-title", f"Amazon Pay {tag}")
    page.fill("#f-body", "Amazon Payでもお支払いいただけます。")
    page.get_by_label("Language", exact=True).select_option("ja")
    page.get_by_role("button", name="Create draft").dblclick()
    expect(page.locator("#editor-message")).to_contain_text("Draft created")
    expect(page.get_by_label("Language", exact=True)).to_have_value("ja")
    made = httpx.get(f"{web_app}/api/kb/articles?q=Amazon+Pay+{tag}", headers=ADMIN_HEADERS)
    assert [(a["title"], a["language"]) for a in made.json()] == [(f"Amazon Pay {tag}", "ja")]
    assert page.errors == []


def test_the_list_reads_by_title_or_by_the_latest_change(web_app, page):
    tag = unique()
    for article_id, title in [  # written in this order
        (f"b-{tag}", f"Apple 9 {tag}"),
        (f"a-{tag}", f"Zoo passes {tag}"),
        (f"c-{tag}", f"apple 10 {tag}"),
    ]:
        draft(web_app, id=article_id, title=title)
    open_editor(page, web_app)
    page.fill("#list-q", tag)
    titles = page.locator(".article-item .article-title")
    # By title as people read them: case aside, 9 before 10; not by id.
    expect(titles).to_have_text([f"Apple 9 {tag}", f"apple 10 {tag}", f"Zoo passes {tag}"])
    expect(page.locator(".article-item .article-meta").first).to_contain_text(f"b-{tag}")
    page.select_option("#list-order", "updated")
    expect(titles).to_have_text([f"apple 10 {tag}", f"Zoo passes {tag}", f"Apple 9 {tag}"])
    page.select_option("#list-order", "id")
    expect(titles).to_have_text([f"Zoo passes {tag}", f"Apple 9 {tag}", f"apple 10 {tag}"])
    assert page.errors == []


def test_hostile_text_shows_as_text_and_the_preview_does_not_run_it(web_app, page):
    article_id = f"xss-{unique()}"
    body = (
        f'{XSS}\n\nSee <a href="javascript:alert(2)">this</a> and **bold**.\n\n'
        '<style>body { display: none }</style><input id="f-question"><button id="publish">x</button>'
    )
    created = httpx.post(
        f"{web_app}/api/kb/articles",
        json={"id": article_id, "title": XSS, "body": body, "questions": [XSS], "tags": [XSS]},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    httpx.post(f"{web_app}/api/kb/articles/{article_id}/publish", headers=ADMIN_HEADERS, timeout=60)

    open_editor(page, web_app)
    page.fill("#list-q", "onerror")
    item = page.locator(".article-item", has_text=XSS)
    expect(item.locator(".article-title")).to_have_text(XSS)
    item.click()
    expect(page.locator("#editor-heading")).to_have_text(XSS)
    expect(page.locator("#f-title")).to_have_value(XSS)
    expect(page.locator("#f-tags")).to_have_value(XSS)
    expect(page.locator("#question-list .question-text")).to_have_text([XSS])
    expect(page.locator("#preview strong")).to_have_text("bold")
    # Markup in a body shows as the text it is, as in the customer's chat: it cannot run, restyle
    # the page or stand in for the editor's own controls.
    expect(page.locator("#preview")).to_contain_text(XSS)
    expect(page.locator("#preview")).to_contain_text('<a href="javascript:alert(2)">this</a>')
    expect(page.locator("#preview")).to_contain_text('<input id="f-question">')
    expect(page.locator("#preview *")).to_have_count(1)  # the <strong> alone
    expect(page.locator("#f-question")).to_have_count(1)
    page.fill("#f-question", "still the real question box")
    page.keyboard.press("Enter")
    expect(page.locator("#question-list .question-text")).to_have_text(
        [XSS, "still the real question box"]
    )
    created_version = page.locator("#version-list > li").last
    created_version.get_by_role("button", name="Show changes").click()
    expect(created_version.locator(".diff")).to_contain_text(f"+title: {XSS}")

    page.get_by_role("button", name="Try a question").click()
    page.fill("#try-q", XSS)
    page.keyboard.press("Enter")
    expect(page.locator("#try-result tbody button", has_text=XSS).first).to_be_visible()
    # The markup stayed text: no image (and so no handler on one) was made of it.
    expect(page.locator("img")).to_have_count(0)
    assert page.dialogs == []
    assert page.errors == []


def test_conflicts_and_refusals_are_explained_to_the_editor(web_app, page):
    tag = unique()
    article_id = f"opening-hours-{tag}"
    httpx.post(
        f"{web_app}/api/kb/articles",
        json={"id": article_id, "title": f"Opening hours {tag}", "body": "9 to 5."},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    open_editor(page, web_app)
    open_article(page, f"Opening hours {tag}")

    # Someone else saves while this editor has the article open.
    other = httpx.put(
        f"{web_app}/api/kb/articles/{article_id}",
        json={"id": article_id, "title": f"Opening hours {tag}", "body": "8 to 6."},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert other.status_code == 200
    page.fill("#f-body", "10 to 4.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#editor-error")).to_contain_text(
        "Not saved: article 'opening-hours-" + tag + "' changed since you opened it"
    )
    expect(page.locator("#editor-error")).to_contain_text("it is now at version 2")
    expect(page.locator("#editor-error")).to_contain_text(  # a time a person reads
        re.compile(r"saved it at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\); open it again from the list")
    )
    assert (
        httpx.get(f"{web_app}/api/kb/articles/{article_id}", headers=ADMIN_HEADERS).json()["body"]
        == "8 to 6."
    )
    # Their change is shown, the words typed kept, and saving them over it is one deliberate press.
    expect(page.locator("#editor-error")).to_contain_text(
        "Their change is at the top of the history; your words are still in the form."
    )
    expect(page.locator("#version-list > li").first).to_contain_text("Version 2 edited by admin")
    expect(page.locator("#f-body")).to_have_value("10 to 4.")
    page.get_by_role("button", name="Save mine over theirs").click()
    expect(page.locator("#editor-message")).to_have_text("Saved as version 3.")
    expect(page.locator("#save-over")).to_be_hidden()
    assert (
        httpx.get(f"{web_app}/api/kb/articles/{article_id}", headers=ADMIN_HEADERS).json()["body"]
        == "10 to 4."
    )

    page.get_by_role("button", name="New article").click()
    page.fill("#f-title", f"Opening hours {tag}")
    page.fill("#f-id", article_id)
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("#editor-error")).to_contain_text(
        f"Not created: an article with id '{article_id}' already exists"
    )
    page.fill("#f-id", "not a valid id!")
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("#editor-error")).to_contain_text(
        "Not created: the id may hold only letters, digits, - _ and ."
    )
    # Left empty under a Japanese title, the id is made for it.
    page.fill("#f-id", "")
    page.fill("#f-title", f"配送先住所を変更したい {tag}")
    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("#editor-message")).to_contain_text("Draft created")
    made = page.locator("#f-id").input_value()
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]+", made), made
    found = httpx.get(f"{web_app}/api/kb/articles/{made}", headers=ADMIN_HEADERS).json()
    assert found["title"] == f"配送先住所を変更したい {tag}"
    assert page.errors == []


def test_markdown_zip_download_and_import_from_the_page(web_app, page, tmp_path):
    tag = unique()
    httpx.post(
        f"{web_app}/api/kb/articles",
        json={"id": f"kept-draft-{tag}", "title": f"Kept draft {tag}", "body": "Not yet."},
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    open_editor(page, web_app)
    page.get_by_text("Import and export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Markdown zip").click()
    assert download.value.suggested_filename == "knowledge-base.zip"
    with zipfile.ZipFile(download.value.path()) as bundle:
        text = bundle.read(f"kept-draft-{tag}.md").decode()
    assert text.startswith(f"---\nid: kept-draft-{tag}\ntitle: Kept draft {tag}\n")
    assert "status: draft\n---\n\nNot yet.\n" in text

    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    with zipfile.ZipFile(good, "w") as bundle:
        bundle.writestr(
            f"from-git-{tag}.md", f"---\ntitle: From git {tag}\nstatus: draft\n---\nHi."
        )
        bundle.writestr("images/logo.png", b"\x89PNG")
        bundle.writestr(f"todo-{tag}.md", "---\ntitle: Still to write\n---\n")
    with zipfile.ZipFile(bad, "w") as bundle:
        bundle.writestr("fine.md", "---\ntitle: Fine\n---\nFine.")
        bundle.writestr("broken.md", "---\ntitle: [unclosed\n---\nBody")
    page.set_input_files("#import-file", str(bad))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#transfer-error")).to_have_text(
        "import rejected, nothing was kept: broken.md: unreadable front matter (ParserError)"
    )
    page.set_input_files("#import-file", str(good))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#transfer-message")).to_have_text(
        f"Imported 2 articles from good.zip. Kept as drafts, with no body to answer with:"
        f" todo-{tag}. Skipped 1 file that is not Markdown: images/logo.png."
    )
    expect(page.locator("#transfer-error")).to_have_text("")
    open_article(page, f"From git {tag}")
    expect(page.locator("#editor-status")).to_have_text("draft")
    expect(page.locator("#f-body")).to_have_value("Hi.")
    assert httpx.get(f"{web_app}/api/kb/articles/fine", headers=ADMIN_HEADERS).status_code == 404
    assert page.errors == []


def test_a_token_without_the_editor_role_is_refused(web_app, page):
    agent = httpx.post(
        f"{web_app}/api/agents",
        json={"name": "Agent Only", "skills": {"cards": 1}, "max_concurrent": 1},
        headers=ADMIN_HEADERS,
        timeout=60,
    ).json()
    page.goto(f"{web_app}/editor#token={agent['token']}")
    expect(page.get_by_role("alert")).to_have_text("this token does not hold the editor role")
    expect(page.locator("#workspace")).to_be_hidden()
    expect(page.locator(".article-item")).to_have_count(0)
    agent_h = {"Authorization": f"Bearer {agent['token']}"}
    assert httpx.get(f"{web_app}/api/kb/gaps", headers=agent_h).status_code == 403
    assert httpx.get(f"{web_app}/api/kb/articles?status=draft", headers=agent_h).status_code == 403

    page.fill("#token", "not-a-token")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("unknown or revoked token")
    expect(page.locator("#workspace")).to_be_hidden()


def test_at_phone_width_with_the_keyboard(web_app, new_page, shoot):
    page = new_page(width=375, height=800, mobile=True)
    tag = unique()
    open_editor(page, web_app)
    # Every section's tab is in sight, none pushed off the screen's edge.
    tabs = page.locator("nav.views button")
    expect(tabs).to_have_count(5)
    for box in [tab.bounding_box() for tab in tabs.all()]:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.locator("#list-q").focus()
    for _ in range(12):  # Tab through the filters to the "New article" button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "new-article":
            break
    expect(page.locator("#new-article")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.type(f"Phone keyboard {tag}")
    for _ in range(5):  # id, skill, tags, language, body
        page.keyboard.press("Tab")
    expect(page.locator("#f-body")).to_be_focused()
    page.keyboard.type("Typed on a **phone**.")
    expect(page.locator("#preview strong")).to_have_text("phone")
    page.locator("#f-question").focus()
    page.keyboard.type("can I edit on my phone")
    page.keyboard.press("Enter")
    page.locator("#f-title").focus()
    page.keyboard.press("Enter")  # Enter in a field saves the form
    expect(page.locator("#editor-message")).to_contain_text("Draft created")
    expect(page.locator("#question-list .question-text")).to_have_text(["can I edit on my phone"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "editor-phone")
    assert page.errors == []


@pytest.mark.rasa
def test_content_gaps_from_real_chats_become_a_draft_and_figures_follow(live, new_page, shoot):
    """Customers ask what no article answers (the real bot hands them over); the editor turns one
    group into a draft and teaches another article the other group's questions."""
    tag = unique()
    http = live.client()
    agent = http.post(
        "/api/agents",
        json={"name": "Gap Watcher", "skills": {"general": 1}, "max_concurrent": 20},
        headers=live.admin,
    ).json()
    agent_h = {"Authorization": f"Bearer {agent['token']}"}
    http.put(f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=agent_h)
    chats: list[str] = []
    try:
        for text in (
            "do you offer pet insurance",
            "is there insurance for my cat",
            "when are your branches open at the weekend",
        ):
            started = http.post("/api/conversations", json={}).json()
            turn = http.post(
                f"/api/conversations/{started['id']}/messages",
                json={"text": text},
                headers={"Authorization": f"Bearer {started['token']}"},
            ).json()
            assert turn["status"] == "queued", turn  # the bot had no answer and handed over
            chats.append(started["id"])
        started = http.post("/api/conversations", json={}).json()
        customer = {"Authorization": f"Bearer {started['token']}"}
        path = f"/api/conversations/{started['id']}/messages"
        answered = http.post(path, json={"text": "how do I freeze my card"}, headers=customer)
        shown = [m["article_id"] for m in answered.json()["messages"] if m.get("article_id")]
        assert shown == ["freeze-unfreeze-card"]
        assert http.post(path, json={"text": "/affirm"}, headers=customer).json()["status"] == (
            "resolved"
        )
    finally:
        for cid in chats:  # leave no chat waiting for the other tests' agents
            http.post(f"/api/conversations/{cid}/accept", headers=agent_h)
            http.post(f"/api/conversations/{cid}/resolve", headers=agent_h)
        http.put(f"/api/agents/{agent['id']}/status", json={"status": "offline"}, headers=agent_h)
    twin = http.post(  # a pet insurance article begun earlier
        "/api/kb/articles",
        json={"id": f"pet-cover-{tag}", "title": "Pet insurance", "body": "Coming soon."},
        headers=live.admin,
    )
    assert twin.status_code == 201, twin.text
    branches = f"Branches and opening hours {tag}"
    http.post(
        "/api/kb/articles",
        json={"id": f"branches-{tag}", "title": branches, "body": "Weekdays 9 to 5."},
        headers=live.admin,
    )

    page = new_page()
    open_editor(page, live.url)
    # Unsaved words in an article: a gap becomes a draft only once the editor lets them go.
    open_article(page, "Freeze or unfreeze your card")
    page.fill("#f-body", "Words not saved.")
    page.get_by_role("button", name=re.compile("Content gaps")).click()
    pets = page.locator("#gap-list > li", has_text="do you offer pet insurance")
    hours = page.locator("#gap-list > li", has_text="when are your branches open at the weekend")
    expect(pets.locator(".examples li")).to_have_text(
        ["is there insurance for my cat", "do you offer pet insurance"]
    )
    expect(pets.locator("h3")).to_contain_text("Asked 2 times (2 wordings) · English · latest")
    expect(pets).to_contain_text("no answer")
    shoot(page, "editor-gaps")

    # Only articles in the questions' language are offered (the knowledge base has Japanese ones).
    languages = {a["language"] for a in http.get("/api/kb/articles", headers=live.admin).json()}
    assert languages == {"en", "ja"}
    offered = hours.get_by_label("Add to").locator("option").all_inner_texts()[1:]
    assert offered and not [t for t in offered if re.search("[\u3040-\u30ff\u4e00-\u9fff]", t)]
    hours.get_by_label("Add to").select_option(f"branches-{tag}")
    hours.get_by_role("button", name="Add to article").click()
    expect(page.locator("#gaps-message")).to_contain_text(f"Added to “{branches}”")
    expect(hours).to_have_count(0)

    # A question the editor does not want in the article is unticked: it stays a gap, and the
    # title offered follows the questions left, until the editor writes one.
    offered_title = pets.get_by_label("Title").input_value()
    assert offered_title in ("Is there insurance for my cat", "Do you offer pet insurance")
    unticked, kept = (
        ("is there insurance for my cat", "Do you offer pet insurance")
        if offered_title.startswith("Is")
        else ("do you offer pet insurance", "Is there insurance for my cat")
    )
    pets.get_by_label(unticked, exact=True).uncheck()
    expect(pets.get_by_label("Title")).to_have_value(kept)
    pets.get_by_label(unticked, exact=True).check()
    pets.get_by_label("Title").fill("Pet insurance")
    pets.get_by_label("is there insurance for my cat", exact=True).uncheck()
    expect(pets.get_by_label("Title")).to_have_value("Pet insurance")
    page.dialog_answers = [False, True]  # keep the words, then let them go
    pets.get_by_role("button", name="Create article").click()
    expect(page.locator("#view-gaps")).to_be_visible()
    assert page.dialogs == ["Discard your unsaved changes to this article?"]
    gaps = http.get("/api/kb/gaps", headers=live.admin).json()
    assert any("do you offer pet insurance" in g["examples"] for g in gaps)  # no draft made
    pets.get_by_role("button", name="Create article").click()
    expect(page.locator("#view-articles")).to_be_visible()
    expect(page.locator("#editor-heading")).to_have_text("Pet insurance")
    # An article of that title exists already: the draft says so as it opens.
    expect(page.locator("#f-title-note")).to_have_text(
        "An article titled “Pet insurance” already exists (draft). Open it"
    )
    expect(page.locator("#editor-status")).to_have_text("draft")
    expect(page.locator("#editor-message")).to_contain_text(
        "Draft created from 1 customer question:"
    )
    expect(page.locator("#question-list .question-text")).to_have_text(
        ["do you offer pet insurance"]
    )
    gaps = http.get("/api/kb/gaps", headers=live.admin).json()
    assert not any("do you offer pet insurance" in g["examples"] for g in gaps)
    assert any(g["examples"] == ["is there insurance for my cat"] for g in gaps)
    draft_id = page.locator("#f-id").input_value()
    assert draft_id.startswith("pet-insurance")
    assert draft_id not in [
        r["article_id"] for r in search(live.url, "do you offer pet insurance")["results"]
    ]

    open_article(page, branches)
    expect(page.locator("#question-list .question-text")).to_have_text(
        ["when are your branches open at the weekend"]
    )
    expect(page.locator("#version-list > li").first).to_contain_text(
        "added 1 example question from content gaps"
    )

    figures = http.get("/api/kb/articles/freeze-unfreeze-card/feedback", headers=live.admin).json()
    assert figures["shown"] >= 1 and figures["helpful"] >= 1
    open_article(page, "Freeze or unfreeze your card")
    figure = page.locator("#figure-list div")
    expect(figure.filter(has_text="Times shown").locator("dd")).to_have_text(str(figures["shown"]))
    rated = figures["helpful"] + figures["not_helpful"]
    expect(figure.filter(has_text="Helpful").locator("dd")).to_have_text(
        f"{round(figures['helpful_rate'] * 100)}% ({figures['helpful']} of {rated} said it helped)"
    )
    expect(figure.filter(has_text="Hand-overs after").locator("dd")).to_have_text(
        str(figures["handoffs_after"])
    )
    assert page.errors == []
    assert page.dialogs == ["Discard your unsaved changes to this article?"] * 2


def test_try_a_question_says_a_sensitive_article_goes_to_a_person(web_app, page):
    """What the bot does with a question whose answer is tagged sensitive (fraud, bereavement):
    it shows the article, then hands the customer to a person at once. The editor reads so."""
    tag = unique()
    article_id = f"lost-falcon-{tag}"
    question = "my hunting falcon was stolen from its mews last night"
    created = httpx.post(
        f"{web_app}/api/kb/articles",
        json={
            "id": article_id,
            "title": f"A stolen falcon {tag}",
            "body": "We're sorry. Our specialist team will call you.",
            "questions": [question],
            "skill": "fraud",
            "tags": ["Sensitive"],
        },
        headers=ADMIN_HEADERS,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    published = httpx.post(
        f"{web_app}/api/kb/articles/{article_id}/publish", headers=ADMIN_HEADERS, timeout=60
    )
    assert published.status_code == 200, published.text
    found = search(web_app, question)
    assert (found["decision"], found["to_person"]) == ("answer", article_id)

    open_editor(page, web_app)
    page.get_by_role("button", name="Try a question").click()
    page.fill("#try-q", question)
    page.keyboard.press("Enter")
    expect(page.locator("#try-result .decision")).to_have_text(
        "answer The bot shows the first article, then hands the customer to a person at once:"
        " it is tagged sensitive."
    )
    first = page.locator("#try-result tbody tr").first
    expect(first).to_contain_text(f"A stolen falcon {tag}")
    expect(first.locator(".sensitive")).to_have_text(" sensitive: to a person")
    assert page.errors == []


def test_the_list_narrows_to_a_language_and_a_skill(web_app, page):
    tag = unique()
    for article_id, title, language, skill in [
        (f"en-cards-{tag}", f"Card limits {tag}", "en", "cards"),
        (f"en-loans-{tag}", f"Loan rates {tag}", "en", "loans"),
        (f"ja-cards-{tag}", f"カードの限度額 {tag}", "ja", "cards"),
    ]:
        draft(web_app, id=article_id, title=title, language=language, skill=skill)
    open_editor(page, web_app)
    page.fill("#list-q", tag)
    titles = page.locator(".article-item .article-title")
    expect(titles).to_have_count(3)
    page.select_option("#list-language", "ja")
    expect(titles).to_have_text([f"カードの限度額 {tag}"])
    expect(page.locator("#list-count")).to_have_text("1 article (of 3)")
    # Only the skills of that language's articles are offered: none of them is about loans.
    expect(page.locator("#list-skill option")).to_have_text(["All", "cards"])
    page.select_option("#list-language", "")
    expect(page.locator("#list-skill option")).to_have_text(["All", "cards", "loans"])
    page.select_option("#list-skill", "cards")
    expect(titles).to_have_text([f"Card limits {tag}", f"カードの限度額 {tag}"])
    page.select_option("#list-language", "en")
    expect(titles).to_have_text([f"Card limits {tag}"])
    # The filters hold as the list is asked again (another search, a save elsewhere).
    page.fill("#list-q", f"limits {tag}")
    expect(titles).to_have_text([f"Card limits {tag}"])
    expect(page.locator("#list-skill")).to_have_value("cards")
    page.select_option("#list-language", "ja")
    expect(page.locator("#list-count")).to_have_text("No articles match.")
    assert page.errors == []


def test_try_a_question_in_japanese_reads_its_scores_against_the_japanese_limits(web_app, page):
    """Japanese scores add word agreement to the cosine and can pass 1: beside them, the limits
    the bot decides Japanese questions with, not English ones."""
    tag = unique()
    draft(
        web_app,
        id=f"ja-refund-{tag}",
        title=f"返金について {tag}",
        language="ja",
        questions=["返金してほしい", "お金を返してください"],
    )
    published = httpx.post(
        f"{web_app}/api/kb/articles/ja-refund-{tag}/publish", headers=ADMIN_HEADERS, timeout=60
    )
    assert published.status_code == 200, published.text
    open_editor(page, web_app)
    page.get_by_role("button", name="Try a question").click()
    page.fill("#try-q", "返金してほしいです")
    page.keyboard.press("Enter")
    expect(page.locator("#try-result tbody tr").first).to_contain_text(f"返金について {tag}")
    limits = httpx.get(
        f"{web_app}/api/kb/calibration?language=ja", headers=ADMIN_HEADERS, timeout=30
    ).json()["limits"]
    expect(page.locator("#try-limits")).to_have_text(
        "Japanese questions are scored by their own model and words (a score can pass 1): the"
        f" bot answers from {limits['answer']:.3f} when the first leads the next by"
        f" {limits['margin']:.3f}, and offers choices from {limits['clarify']:.3f}."
    )
    assert page.errors == []

"""The knowledge base as a zip of Markdown files over HTTP: `GET /api/kb/export?format=markdown`
and `POST /api/kb/import` with the zip, what editors keep in git."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from fastapi.testclient import TestClient

from cascade.app import create_app
from tests.factories import HashingEmbedder, article, jsonl, make_agent
from tests.helpers import elsewhere

ZIP = {"Content-Type": "application/zip"}
FIELDS = ("id", "title", "body", "questions", "skill", "tags", "status")

PET = article(
    "pet-insurance",
    title="Pet insurance: what we cover",
    body="We do not sell pet insurance.\n\n## Instead\n\n- ask a broker\n- compare prices",
    questions=["do you offer insurance for my dog", "can i insure my cat: yes or no?"],
    skill="accounts",
    tags=["insurance", "pets"],
)
DRAFT = article(
    "branch-hours",
    title="Branch opening hours",
    body="Branches open 9:00-17:00, Monday to Saturday.\n\n> Sundays: closed.",
    questions=["when are you open on sunday"],
    skill="general",
    tags=[],
)


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return buffer.getvalue()


def unzipped(raw: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(raw)) as bundle:
        return {name: bundle.read(name).decode() for name in bundle.namelist()}


def articles_of(client, headers) -> list[dict]:
    """Every article an editor sees, drafts and archived ones too, by id."""
    listed = client.get("/api/kb/articles", headers=headers).json()
    full = [client.get(f"/api/kb/articles/{a['id']}", headers=headers).json() for a in listed]
    return [{k: a[k] for k in FIELDS} for a in full]


def found(client, query: str) -> list[str]:
    results = client.post("/api/kb/search", json={"query": query}).json()["results"]
    return [r["article_id"] for r in results]


def test_export_zip_then_import_into_a_fresh_app_gives_the_same_articles(
    client, admin, settings, bot, clock, tmp_path
) -> None:
    client.post("/api/kb/import", content=jsonl(article(), PET), headers=admin)
    client.post("/api/kb/articles", json=DRAFT, headers=admin)
    client.post(
        "/api/kb/import", content=jsonl(article("old-fees", title="Old fees")), headers=admin
    )
    client.post("/api/kb/articles/old-fees/archive", headers=admin)
    before = articles_of(client, admin)
    assert [(a["id"], a["status"]) for a in before] == [
        ("branch-hours", "draft"),
        ("freeze-card", "published"),
        ("old-fees", "archived"),
        ("pet-insurance", "published"),
    ]

    exported = client.get("/api/kb/export?format=markdown", headers=admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/zip"
    assert "knowledge-base.zip" in exported.headers["content-disposition"]
    files = unzipped(exported.content)
    assert sorted(files) == ["branch-hours.md", "freeze-card.md", "old-fees.md", "pet-insurance.md"]
    assert files["pet-insurance.md"].startswith(
        "---\nid: pet-insurance\ntitle: 'Pet insurance: what we cover'\nskill: accounts\n"
    )
    assert (
        "\nlanguage: en\nstatus: draft\n---\n\nBranches open 9:00-17:00" in files["branch-hours.md"]
    )
    assert "\nstatus: archived\n---\n" in files["old-fees.md"]  # a backup keeps them

    other = elsewhere(settings, tmp_path / "other")
    with TestClient(create_app(other, embedder=HashingEmbedder(), bot=bot, clock=clock)) as fresh:
        response = fresh.post("/api/kb/import", content=exported.content, headers=admin | ZIP)
        assert response.json() == {"imported": 4}
        assert articles_of(fresh, admin) == before
        assert found(fresh, "can i insure my cat")[0] == "pet-insurance"
        assert "branch-hours" not in found(fresh, "when are you open on sunday")  # still a draft
        again = unzipped(fresh.get("/api/kb/export?format=markdown", headers=admin).content)
    assert again == files


def test_dashes_and_markup_in_any_field_survive_the_round_trip(client, admin) -> None:
    tricky = article(
        "fees-2025",
        title="Fees --- what changed in 2025",
        body="Intro.\n\n---\n\nstatus: draft\n\n---\ntitle: not front matter",
        questions=["fees --- new or old?", "- a dash first", "# not a heading"],
        tags=["fees: 2025", "'quoted'"],
    )
    client.post("/api/kb/import", content=jsonl(tricky), headers=admin)
    before = articles_of(client, admin)
    exported = client.get("/api/kb/export?format=markdown", headers=admin).content
    response = client.post("/api/kb/import", content=exported, headers=admin | ZIP)
    assert response.json() == {"imported": 1}
    assert articles_of(client, admin) == before
    assert before[0]["title"] == "Fees --- what changed in 2025"
    assert before[0]["status"] == "published"


def test_a_zipped_folder_of_hand_written_files_imports_and_publishes(client, admin) -> None:
    bundle = zipped(
        {
            "kb/": "",
            "kb/lost-card.md": "---\ntitle: Report a lost card\nskill: cards\n"
            "questions:\n  - I lost my card\n---\nCall us at once.\n",
            "kb/README.txt": "not an article",
            "__MACOSX/kb/._lost-card.md": b"\x00\x05\x16\x07",
        }
    )
    # No Content-Type: a zip is known by its first bytes too.
    response = client.post("/api/kb/import", content=bundle, headers=admin)
    # The editor is told what was left out, but not of the folders and the Mac's hidden files.
    assert response.json() == {"imported": 1, "skipped": ["kb/README.txt"]}
    lost = client.get("/api/kb/articles/lost-card").json()
    assert (lost["title"], lost["body"], lost["status"]) == (
        "Report a lost card",
        "Call us at once.",
        "published",
    )
    assert found(client, "I lost my card") == ["lost-card"]


def test_a_draft_in_the_zip_replaces_a_published_article_without_it_being_searched(
    client, admin
) -> None:
    client.post("/api/kb/import", content=jsonl(PET), headers=admin)
    draft = {**PET, "body": "Rewritten, not ready.", "status": "draft"}
    text = unzipped(client.get("/api/kb/export?format=markdown", headers=admin).content)
    assert "status: published" in text["pet-insurance.md"]
    bundle = zipped(
        {
            "pet-insurance.md": text["pet-insurance.md"]
            .replace("status: published", "status: draft")
            .replace(PET["body"], draft["body"])
        }
    )
    assert client.post("/api/kb/import", content=bundle, headers=admin | ZIP).status_code == 200
    now = client.get("/api/kb/articles/pet-insurance", headers=admin).json()
    assert (now["status"], now["body"]) == ("draft", "Rewritten, not ready.")
    assert "pet-insurance" not in found(client, "do you offer insurance for my dog")
    history = client.get("/api/kb/articles/pet-insurance/versions", headers=admin).json()
    assert [v["change"] for v in history] == ["imported", "unpublished", "imported"]


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"broken.md": "---\ntitle: [unclosed\n---\nBody"}, "broken.md: unreadable front matter"),
        ({"no-front.md": "Just text"}, "no-front.md: must start with front matter"),
        ({"no-title.md": "---\nskill: cards\n---\nBody"}, "no-title.md: title: Field required"),
        ({"list.md": "---\n- a\n- b\n---\nBody"}, "list.md: front matter must be a mapping"),
        (
            {"x.md": "---\nid: bad id!\ntitle: T\n---\nB"},
            "x.md: id: must be 1 to 128 letters, digits, '-', '_' or '.', starting with a letter"
            " or digit",
        ),
        ({"s.md": "---\ntitle: T\nstatus: live\n---\nB"}, "s.md: status: must be one of draft"),
        ({"latin.md": "---\ntitle: caf\xe9\n---\n".encode("latin-1")}, "latin.md: not UTF-8"),
        (
            {"a/same.md": "---\ntitle: A\n---\n", "b/same.md": "---\ntitle: B\n---\n"},
            "b/same.md: id 'same' already used by a/same.md",
        ),
    ],
)
def test_bad_files_reject_the_whole_import_naming_the_file(client, admin, files, problem) -> None:
    good = {"good.md": "---\ntitle: Good\n---\nFine.\n"}
    response = client.post("/api/kb/import", content=zipped(good | files), headers=admin | ZIP)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("import rejected, nothing was kept")
    assert any(p.startswith(problem) for p in body["problems"]), body["problems"]
    assert all("good.md" not in p for p in body["problems"])
    assert client.get("/api/kb/articles", headers=admin).json() == []  # not even good.md


def test_a_body_that_is_not_a_zip_of_articles_is_refused_with_a_reason(client, admin) -> None:
    for body, problem in [
        (b"not a zip at all", "the body is not a readable zip file"),
        (b"PK\x03\x04 truncated", "the body is not a readable zip file"),
        (zipped({"notes.txt": "hello"}), "the zip holds no .md files"),
    ]:
        response = client.post("/api/kb/import", content=body, headers=admin | ZIP)
        assert response.status_code == 422
        assert response.json()["problems"][0].startswith(problem)
    assert client.get("/api/kb/articles", headers=admin).json() == []


def test_json_lines_keep_each_articles_status_both_ways(
    client, admin, settings, bot, clock, tmp_path
) -> None:
    """An export's lines say each article's status; imported elsewhere, a draft stays a draft
    (an unfinished answer never reaches customers) and a line without a status is published."""
    ndjson = admin | {"Content-Type": "application/x-ndjson"}
    client.post("/api/kb/import", content=jsonl(PET), headers=ndjson)
    client.post("/api/kb/articles", json=DRAFT, headers=admin)
    exported = client.get("/api/kb/export", headers=admin)
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert [(a["id"], a["status"]) for a in lines] == [
        ("branch-hours", "draft"),
        ("pet-insurance", "published"),
    ]
    other = elsewhere(settings, tmp_path / "other")
    with TestClient(create_app(other, embedder=HashingEmbedder(), bot=bot, clock=clock)) as fresh:
        response = fresh.post("/api/kb/import", content=exported.content, headers=ndjson)
        assert response.json() == {"imported": 2}
        assert [(a["id"], a["status"]) for a in articles_of(fresh, admin)] == [
            ("branch-hours", "draft"),
            ("pet-insurance", "published"),
        ]
        assert "branch-hours" not in found(fresh, "when are you open on sunday")
        assert found(fresh, "can i insure my cat")[0] == "pet-insurance"
    bad = client.post("/api/kb/import", content=jsonl({**PET, "status": "live"}), headers=ndjson)
    assert bad.status_code == 422
    assert bad.json()["problems"] == ["line 1: status: must be one of draft, published, archived"]


def test_only_editors_export_and_import_zips(client, admin) -> None:
    agent = make_agent(client, admin, online=False)["headers"]
    bundle = zipped({"good.md": "---\ntitle: Good\n---\nFine.\n"})
    assert client.get("/api/kb/export?format=markdown").status_code == 401
    assert client.get("/api/kb/export?format=markdown", headers=agent).status_code == 403
    assert client.post("/api/kb/import", content=bundle, headers=agent | ZIP).status_code == 403
    assert client.get("/api/kb/export?format=yaml", headers=admin).status_code == 422
    assert client.get("/api/kb/articles", headers=admin).json() == []


def test_files_named_in_japanese_import_and_import_again_into_the_same_articles(
    client, admin
) -> None:
    """Editors name files as they title them: a name that is no id gives one, the same each
    time; tags and a question written on one line are read as the editor's form reads them."""
    files = {
        "返品について.md": "---\ntitle: 返品について\ntags: ギフト、sensitive\n"
        "questions: 返品したい\n---\n到着後7日以内にご連絡ください。\n",
        "Reset password.md": "---\ntitle: Reset your password\n---\nUse the link.\n",
    }
    first = client.post("/api/kb/import", content=zipped(files), headers=admin | ZIP)
    assert first.status_code == 200, first.text
    listed = {a["title"]: a for a in client.get("/api/kb/articles", headers=admin).json()}
    japanese = listed["返品について"]
    assert re.fullmatch(r"a-[a-z2-9]{6}", japanese["id"]) and japanese["tags"] == [
        "ギフト",
        "sensitive",
    ]
    assert listed["Reset your password"]["id"] == "reset-password"
    stored = client.get(f"/api/kb/articles/{japanese['id']}", headers=admin).json()
    assert stored["questions"] == ["返品したい"]

    files["返品について.md"] = files["返品について.md"].replace("7日", "14日")
    again = client.post("/api/kb/import", content=zipped(files), headers=admin | ZIP)
    assert again.status_code == 200, again.text
    articles = client.get("/api/kb/articles", headers=admin).json()
    assert len(articles) == 2
    body = client.get(f"/api/kb/articles/{japanese['id']}", headers=admin).json()["body"]
    assert body == "到着後14日以内にご連絡ください。"

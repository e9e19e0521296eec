"""Editors' side of the knowledge base: drafts, versions with diffs, publish, archive, rollback,
export; and who may do what."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from cascade.app import create_app
from tests.factories import HashingEmbedder, article, jsonl, make_agent
from tests.helpers import elsewhere

PET = article(
    "pet-insurance",
    title="Pet insurance",
    body="We do not sell pet insurance.",
    questions=["do you offer insurance for my dog", "cat insurance", "can i insure my pet"],
    skill="accounts",
)


def found(client, query: str) -> list[str]:
    return [
        r["article_id"]
        for r in client.post("/api/kb/search", json={"query": query}).json()["results"]
    ]


def test_draft_publish_edit_rollback_archive(client, admin) -> None:
    created = client.post("/api/kb/articles", json=PET, headers=admin)
    assert created.status_code == 201
    assert (created.json()["status"], created.json()["version"]) == ("draft", 1)
    assert "pet-insurance" not in found(client, "insure my pet")
    assert (
        client.get("/api/kb/articles/pet-insurance").status_code == 404
    )  # drafts are the editors'
    assert client.get("/api/kb/articles/pet-insurance", headers=admin).json()["status"] == "draft"

    published = client.post("/api/kb/articles/pet-insurance/publish", headers=admin).json()
    assert published["status"] == "published"
    assert found(client, "insure my pet")[0] == "pet-insurance"  # searchable on return

    edited = client.put(
        "/api/kb/articles/pet-insurance",
        headers=admin,
        json={**PET, "body": "We now sell pet insurance from £5 a month."},
    ).json()
    assert edited["version"] == 3 and edited["status"] == "published"
    assert client.get("/api/kb/articles/pet-insurance").json()["body"].startswith("We now sell")

    back = client.post(
        "/api/kb/articles/pet-insurance/rollback", json={"version": 1}, headers=admin
    ).json()
    assert back["body"] == "We do not sell pet insurance." and back["version"] == 4
    history = client.get("/api/kb/articles/pet-insurance/versions", headers=admin).json()
    assert [(v["version"], v["change"]) for v in history] == [
        (4, "rolled back to version 1"),
        (3, "edited"),
        (2, "published"),
        (1, "created"),
    ]
    assert all(v["author"] == "admin" for v in history)
    assert "-We now sell pet insurance from £5 a month." in history[0]["diff"]
    assert "+We do not sell pet insurance." in history[0]["diff"]

    client.post("/api/kb/articles/pet-insurance/archive", headers=admin)
    assert "pet-insurance" not in found(client, "insure my pet")
    assert (
        client.get("/api/kb/articles?status=archived", headers=admin).json()[0]["id"]
        == "pet-insurance"
    )


def test_roles(client, admin) -> None:
    customer = {
        "Authorization": f"Bearer {client.post('/api/conversations', json={}).json()['token']}"
    }
    agent = make_agent(client, admin, online=False)
    assert client.post("/api/kb/articles", json=PET).status_code == 401
    for headers in (customer, agent["headers"]):
        assert client.post("/api/kb/articles", json=PET, headers=headers).status_code == 403
    client.post("/api/kb/articles", json=PET, headers=admin)
    assert (
        client.post("/api/kb/articles/pet-insurance/publish", headers=agent["headers"]).status_code
        == 403
    )
    assert client.get("/api/kb/articles?status=draft", headers=customer).status_code == 403
    assert client.get("/api/kb/articles", headers=customer).json() == []  # only published ones
    assert client.get("/api/kb/export", headers=customer).status_code == 403


def test_editor_errors(client, admin) -> None:
    client.post("/api/kb/articles", json=PET, headers=admin)
    taken = client.post("/api/kb/articles", json=PET, headers=admin)
    assert (taken.status_code, taken.json()["detail"]) == (
        409,
        "an article with id 'pet-insurance' already exists: choose another id, or edit that"
        " article",
    )
    # An id that cannot be one is said in words an editor reads, not as a pattern.
    odd = client.post("/api/kb/articles", json={**PET, "id": "pet insurance!"}, headers=admin)
    assert odd.status_code == 422
    assert "must be 1 to 128 letters, digits, '-', '_' or '.'" in odd.text
    assert "should match pattern" not in odd.text
    assert client.put("/api/kb/articles/other-id", json=PET, headers=admin).status_code == 422
    assert (
        client.put("/api/kb/articles/nope", json={**PET, "id": "nope"}, headers=admin).status_code
        == 404
    )
    assert (
        client.post(
            "/api/kb/articles/pet-insurance/rollback", json={"version": 9}, headers=admin
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/kb/articles/pet-insurance/rollback", json={"version": 0}, headers=admin
        ).status_code
        == 422
    )
    assert client.post("/api/kb/articles/nope/publish", headers=admin).status_code == 404


def test_an_article_holds_what_the_editors_form_would_let_it(client, admin) -> None:
    """The same example question or tag again (another case, full-width) is kept once, the
    first as written; a title is one line; no text holds a NUL, on either database."""
    repeated = {
        **PET,
        "questions": ["cat insurance", "CAT insurance", "ｃａｔ ｉｎｓｕｒａｎｃｅ", "dog cover"],
        "tags": ["pets", "Pets"],
    }
    created = client.post("/api/kb/articles", json=repeated, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["questions"] == ["cat insurance", "dog cover"]
    assert created.json()["tags"] == ["pets"]
    for field, value, said in (
        ("title", "Pet\ninsurance", "must be one line without control characters (found U+000A)"),
        ("title", "Pet\u0000", "found U+0000"),
        ("body", "We do\u0000 not.", "must not contain a NUL character"),
        ("questions", ["cat\u0000"], "must not contain a NUL character"),
    ):
        refused = client.post(
            "/api/kb/articles", json={**PET, "id": "odd", field: value}, headers=admin
        )
        assert refused.status_code == 422 and said in refused.text, (field, refused.text)
    assert client.get("/api/kb/articles/odd", headers=admin).status_code == 404


def test_an_article_without_a_body_is_never_published(client, admin) -> None:
    """Customers would get its title alone: a draft may be empty, a published article not."""
    said = "article 'pet-insurance' has no body: write the answer before publishing it"
    empty = {**PET, "body": "  \n"}
    assert client.post("/api/kb/articles", json=empty, headers=admin).status_code == 201
    refused = client.post("/api/kb/articles/pet-insurance/publish", headers=admin)
    assert (refused.status_code, refused.json()["detail"]) == (422, said)
    assert client.get("/api/kb/articles/pet-insurance", headers=admin).json()["status"] == "draft"
    client.put("/api/kb/articles/pet-insurance", json=PET, headers=admin)
    assert client.post("/api/kb/articles/pet-insurance/publish", headers=admin).status_code == 200
    # Emptying a published article is refused too; nothing changes.
    cleared = client.put("/api/kb/articles/pet-insurance", json=empty, headers=admin)
    assert (cleared.status_code, cleared.json()["detail"]) == (
        422,
        "article 'pet-insurance' is published, and without a body customers would be answered"
        " with its title alone: write the answer, or archive the article first",
    )
    assert client.get("/api/kb/articles/pet-insurance").json()["body"] == PET["body"]
    assert found(client, "insure my pet")[0] == "pet-insurance"
    # Nor does rolling back to the empty first version empty it.
    back = client.post(
        "/api/kb/articles/pet-insurance/rollback", json={"version": 1}, headers=admin
    )
    assert (back.status_code, back.json()["detail"]) == (
        422,
        "version 1 of article 'pet-insurance' has no body, and the article is published:"
        " roll back to a version with its answer, or archive it first",
    )
    assert client.get("/api/kb/articles/pet-insurance").json()["body"] == PET["body"]


def test_an_imported_article_without_a_body_is_kept_as_a_draft(client, admin) -> None:
    """An import keeps the rest, and says which articles still need their answer."""
    lines = jsonl(article("freeze-card"), {**PET, "body": ""})
    response = client.post("/api/kb/import", content=lines, headers=admin)
    assert response.json() == {"imported": 2, "no_body": ["pet-insurance"]}
    assert client.get("/api/kb/articles/pet-insurance", headers=admin).json()["status"] == "draft"
    assert "pet-insurance" not in found(client, "insure my pet")
    assert found(client, "lock my card")[0] == "freeze-card"


def test_export_then_import_gives_the_same_articles(
    client, admin, settings, bot, clock, tmp_path
) -> None:
    client.post("/api/kb/import", content=jsonl(article(), PET), headers=admin)
    client.post("/api/kb/articles", json=article("draft-one", title="A draft"), headers=admin)
    client.post("/api/kb/articles/pet-insurance/archive", headers=admin)
    exported = client.get("/api/kb/export", headers=admin)
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in exported.text.splitlines()]
    # A backup: archived articles too, each with its status.
    assert [(r["id"], r["status"]) for r in rows] == [
        ("draft-one", "draft"),
        ("freeze-card", "published"),
        ("pet-insurance", "archived"),
    ]

    other = elsewhere(settings, tmp_path / "other")
    with TestClient(create_app(other, embedder=HashingEmbedder(), bot=bot, clock=clock)) as second:
        assert second.post("/api/kb/import", content=exported.text, headers=admin).json() == {
            "imported": 3
        }
        again = [
            json.loads(line)
            for line in second.get("/api/kb/export", headers=admin).text.splitlines()
        ]
    fields = ("id", "title", "body", "questions", "skill", "tags", "language", "status")
    assert [{k: r[k] for k in fields} for r in again] == [{k: r[k] for k in fields} for r in rows]


def test_a_save_that_changes_nothing_makes_no_version(client, admin) -> None:
    created = client.post("/api/kb/articles", json=PET, headers=admin).json()
    same = client.put("/api/kb/articles/pet-insurance", json=PET, headers=admin)
    assert same.status_code == 200 and same.json()["version"] == created["version"] == 1
    history = client.get("/api/kb/articles/pet-insurance/versions", headers=admin).json()
    assert [v["change"] for v in history] == ["created"]
    edited = client.put(
        "/api/kb/articles/pet-insurance", json={**PET, "title": "Pet cover"}, headers=admin
    )
    assert edited.json()["version"] == 2


def test_the_article_search_takes_words_in_any_order_and_width(client, admin) -> None:
    lost = article(
        "lost-card",
        title="Report a lost or stolen card",
        body="Freeze it in the app.",
        questions=["my wallet was taken"],
    )
    cancel = article(
        "cancel-order",
        title="注文のキャンセル",
        body="マイページから取り消せます。",
        questions=["注文をやめたい"],
    )
    client.post("/api/kb/import", content=jsonl(lost, cancel, PET), headers=admin)

    def listed(q: str) -> list[str]:
        answer = client.get("/api/kb/articles", params={"q": q}, headers=admin)
        return [a["id"] for a in answer.json()]

    assert listed("lost card") == listed("CARD  lost") == ["lost-card"]
    assert listed("wallet taken") == ["lost-card"]  # an example question's words
    assert listed("ｷｬﾝｾﾙ") == listed("キャンセル 注文") == ["cancel-order"]  # half-width
    assert listed("lost insurance") == []  # every word, in one article


def test_importing_an_article_again_unchanged_adds_no_version(client, admin) -> None:
    client.post("/api/kb/import", content=jsonl(PET), headers=admin)
    again = client.post("/api/kb/import", content=jsonl(PET), headers=admin)
    assert again.json() == {"imported": 1}
    history = client.get("/api/kb/articles/pet-insurance/versions", headers=admin).json()
    assert [v["version"] for v in history] == [1]
    changed = {**PET, "body": "We sell pet insurance now."}
    client.post("/api/kb/import", content=jsonl(changed), headers=admin)
    history = client.get("/api/kb/articles/pet-insurance/versions", headers=admin).json()
    assert [(v["version"], v["change"]) for v in history] == [(2, "imported"), (1, "imported")]

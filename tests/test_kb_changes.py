"""A published article's changes kept apart: customers and the bot keep the published text until
an editor publishes the changes, and discarding them leaves the article as it was."""

from __future__ import annotations

from urllib.parse import quote

from tests.factories import make_agent
from tests.test_kb_editor import PET

REWORKED = {**PET, "title": "Insurance for pets", "body": "We sell pet insurance from £5."}


def published(client, admin) -> dict:
    client.post("/api/kb/articles", json=PET, headers=admin)
    return client.post("/api/kb/articles/pet-insurance/publish", headers=admin).json()


def customers_see(client) -> tuple[str, str]:
    """The article as a customer reads it, and the title search gives it."""
    body = client.get("/api/kb/articles/pet-insurance").json()["body"]
    hits = client.post("/api/kb/search", json={"query": "can i insure my pet"}).json()["results"]
    return body, next(h["title"] for h in hits if h["article_id"] == "pet-insurance")


def test_kept_changes_stay_out_of_customers_sight_until_published(client, admin) -> None:
    live = published(client, admin)
    kept = client.put(
        "/api/kb/articles/pet-insurance/changes?base_version=2", json=REWORKED, headers=admin
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["based_on"] == 2 and kept.json()["author"] == "admin"
    assert kept.json()["article"]["body"] == "We sell pet insurance from £5."
    assert customers_see(client) == ("We do not sell pet insurance.", "Pet insurance")
    article = client.get("/api/kb/articles/pet-insurance", headers=admin).json()
    assert article["version"] == live["version"] == 2  # no version for kept changes
    listed = client.get("/api/kb/changes", headers=admin).json()
    assert [(c["article_id"], c["based_on"]) for c in listed] == [("pet-insurance", 2)]

    done = client.post("/api/kb/articles/pet-insurance/changes/publish", headers=admin)
    assert done.status_code == 200, done.text
    assert (done.json()["version"], done.json()["status"]) == (3, "published")
    assert customers_see(client) == ("We sell pet insurance from £5.", "Insurance for pets")
    history = client.get("/api/kb/articles/pet-insurance/versions", headers=admin).json()
    assert history[0]["change"] == "changes published"
    assert client.get("/api/kb/articles/pet-insurance/changes", headers=admin).status_code == 404
    assert client.get("/api/kb/changes", headers=admin).json() == []


def test_discarded_changes_leave_the_published_article_as_it_was(client, admin) -> None:
    published(client, admin)
    client.put("/api/kb/articles/pet-insurance/changes", json=REWORKED, headers=admin)
    gone = client.delete("/api/kb/articles/pet-insurance/changes", headers=admin)
    assert gone.status_code == 204
    assert customers_see(client) == ("We do not sell pet insurance.", "Pet insurance")
    assert client.get("/api/kb/articles/pet-insurance/changes", headers=admin).status_code == 404
    again = client.delete("/api/kb/articles/pet-insurance/changes", headers=admin)
    assert again.status_code == 404 and "no unpublished changes" in again.json()["detail"]
    published_again = client.post("/api/kb/articles/pet-insurance/changes/publish", headers=admin)
    assert published_again.status_code == 404


def test_changes_that_change_nothing_are_not_kept(client, admin) -> None:
    published(client, admin)
    kept = client.put("/api/kb/articles/pet-insurance/changes", json=REWORKED, headers=admin)
    same = client.put(
        "/api/kb/articles/pet-insurance/changes",
        params={"changes_at": kept.json()["updated_at"]},
        json=PET,
        headers=admin,
    )
    assert same.status_code == 200 and same.json() is None
    assert client.get("/api/kb/changes", headers=admin).json() == []


def test_what_cannot_be_kept_apart_is_refused_saying_why(client, admin) -> None:
    client.post("/api/kb/articles", json=PET, headers=admin)
    draft = client.put("/api/kb/articles/pet-insurance/changes", json=REWORKED, headers=admin)
    assert draft.status_code == 409 and "is draft, not published" in draft.json()["detail"]

    client.post("/api/kb/articles/pet-insurance/publish", headers=admin)
    stale = client.put(
        "/api/kb/articles/pet-insurance/changes?base_version=1", json=REWORKED, headers=admin
    )
    assert stale.status_code == 409 and "now at version 2" in stale.json()["detail"]
    empty = client.put(
        "/api/kb/articles/pet-insurance/changes", json={**REWORKED, "body": ""}, headers=admin
    )
    assert empty.status_code == 422
    assert "without a body customers would be answered with its title" in empty.json()["detail"]
    other = client.put(
        "/api/kb/articles/pet-insurance/changes", json={**REWORKED, "id": "x"}, headers=admin
    )
    assert other.status_code == 422
    missing = client.put(
        "/api/kb/articles/nope/changes", json={**REWORKED, "id": "nope"}, headers=admin
    )
    assert missing.status_code == 404
    assert client.get("/api/kb/changes", headers=admin).json() == []


def test_a_colleagues_save_meanwhile_is_not_published_over(client, admin) -> None:
    published(client, admin)
    client.put(
        "/api/kb/articles/pet-insurance/changes?base_version=2", json=REWORKED, headers=admin
    )
    client.put(
        "/api/kb/articles/pet-insurance",
        json={**PET, "body": "We do not sell pet insurance, nor vet plans."},
        headers=admin,
    )
    late = client.post(
        "/api/kb/articles/pet-insurance/changes/publish?base_version=2", headers=admin
    )
    assert late.status_code == 409 and "now at version 3" in late.json()["detail"]
    assert customers_see(client)[0] == "We do not sell pet insurance, nor vet plans."
    assert client.get("/api/kb/articles/pet-insurance/changes", headers=admin).status_code == 200


def test_only_editors_see_or_make_kept_changes(client, admin) -> None:
    published(client, admin)
    client.put("/api/kb/articles/pet-insurance/changes", json=REWORKED, headers=admin)
    agent = make_agent(client, admin, online=False)
    for headers, status in (({}, 401), (agent["headers"], 403)):
        assert client.get("/api/kb/changes", headers=headers).status_code == status
        assert (
            client.get("/api/kb/articles/pet-insurance/changes", headers=headers).status_code
            == status
        )
        assert (
            client.post(
                "/api/kb/articles/pet-insurance/changes/publish", headers=headers
            ).status_code
            == status
        )
        assert (
            client.delete("/api/kb/articles/pet-insurance/changes", headers=headers).status_code
            == status
        )
    assert customers_see(client)[0] == "We do not sell pet insurance."


def test_kept_changes_are_never_overwritten_or_published_unseen(client, admin, clock) -> None:
    """Two editors on one article's kept changes: a save over changes the editor did not open is
    refused, as is publishing changes other than those on the publisher's screen, or changes
    begun before the version now published (they would undo it)."""
    published(client, admin)
    path = "/api/kb/articles/pet-insurance/changes"
    noor = client.put(path, json={**REWORKED, "body": "From £2."}, headers=admin).json()
    clock.advance(seconds=5)
    ben = client.put(
        f"{path}?changes_at={quote(noor['updated_at'])}",
        json={**REWORKED, "body": "From £3."},
        headers=admin,
    )
    assert ben.status_code == 200, ben.text
    # Noor saves again from what she opened: refused, naming who saved other changes.
    stale = client.put(
        f"{path}?changes_at={quote(noor['updated_at'])}",
        json={**REWORKED, "body": "From £4."},
        headers=admin,
    )
    assert stale.status_code == 409
    assert "has other unpublished changes than those you saw (admin saved them" in stale.text
    unopened = client.put(path, json={**REWORKED, "body": "From £5."}, headers=admin)
    assert unopened.status_code == 409  # she never opened any: theirs are not replaced
    late = client.post(f"{path}/publish?changes_at={quote(noor['updated_at'])}", headers=admin)
    assert late.status_code == 409
    assert client.get(path, headers=admin).json()["article"]["body"] == "From £3."
    assert customers_see(client)[0] == "We do not sell pet insurance."

    # A colleague publishes a fix meanwhile: the kept changes, begun before it, would undo it.
    client.put(
        "/api/kb/articles/pet-insurance",
        json={**PET, "body": "Not sold. Ask a vet."},
        headers=admin,
    )
    undoing = client.post(
        f"{path}/publish?changes_at={quote(ben.json()['updated_at'])}", headers=admin
    )
    assert undoing.status_code == 409
    assert "they began from version 2, it is now at version 3" in undoing.text
    assert customers_see(client)[0] == "Not sold. Ask a vet."
    # Saved again, they still began from version 2; saved as building on version 3 (its change
    # carried over by the editor), they go live.
    again = client.put(
        f"{path}?base_version=3&changes_at={quote(ben.json()['updated_at'])}",
        json={**REWORKED, "body": "From £3. Ask a vet."},
        headers=admin,
    ).json()
    assert again["based_on"] == 2
    rebased = client.put(
        f"{path}?base_version=3&rebase=true&changes_at={quote(again['updated_at'])}",
        json={**REWORKED, "body": "From £3. Ask a vet."},
        headers=admin,
    ).json()
    assert rebased["based_on"] == 3
    done = client.post(f"{path}/publish?changes_at={quote(rebased['updated_at'])}", headers=admin)
    assert done.status_code == 200 and done.json()["version"] == 4
    assert customers_see(client)[0] == "From £3. Ask a vet."


def test_an_article_archived_keeps_its_changes_and_takes_them_when_asked(client, admin) -> None:
    """Archiving loses no one's work: the changes stay kept; saved into the archived article
    they are its next version, and it stays archived."""
    published(client, admin)
    client.put("/api/kb/articles/pet-insurance/changes", json=REWORKED, headers=admin)
    client.post("/api/kb/articles/pet-insurance/archive", headers=admin)
    path = "/api/kb/articles/pet-insurance/changes"
    assert client.get(path, headers=admin).json()["article"]["title"] == "Insurance for pets"
    again = client.put(path, json=REWORKED, headers=admin)
    assert again.status_code == 409 and "is archived, not published" in again.text
    taken = client.post(f"{path}/publish", headers=admin)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["status"], taken.json()["title"]) == ("archived", "Insurance for pets")
    history = client.get("/api/kb/articles/pet-insurance/versions", headers=admin).json()
    assert history[0]["change"] == "changes saved in"
    assert client.get(path, headers=admin).status_code == 404

"""End to end over HTTP: the app and the real Rasa server, as a customer would chat."""

from __future__ import annotations

import uuid

import pytest

from core.words import say as say_words

pytestmark = pytest.mark.rasa

SKILLS = ["cards", "accounts", "payments", "app", "loans", "fraud", "general"]


@pytest.fixture(scope="module", autouse=True)
def someone_on_duty(live):
    """An online agent with every skill at level 1, so hand-overs wait in the queue here
    rather than becoming tickets (tested in test_live_end_to_end.py)."""
    http = live.client()
    agent = http.post(
        "/api/agents",
        json={"name": "Duty Agent", "skills": dict.fromkeys(SKILLS, 1), "max_concurrent": 50},
        headers=live.admin,
    ).json()
    http.put(f"/api/agents/{agent['id']}/status", json={"status": "online"}, headers=live.admin)
    yield agent
    http.put(f"/api/agents/{agent['id']}/status", json={"status": "offline"}, headers=live.admin)


class Chat:
    def __init__(self, live, page_url: str = "https://tidewater.example/help/cards") -> None:
        self.http = live.client()
        started = self.http.post(
            "/api/conversations",
            json={
                "customer": {"name": "Sam Lee", "email": "sam@example.com"},
                "page_url": page_url,
            },
        )
        assert started.status_code == 201
        body = started.json()
        self.id = body["id"]
        self.headers = {"Authorization": f"Bearer {body['token']}"}
        self.staff = live.admin

    def say(self, text: str) -> dict:
        response = self.http.post(
            f"/api/conversations/{self.id}/messages",
            json={"text": text, "client_id": uuid.uuid4().hex},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def view(self) -> dict:
        """The conversation as staff see it (customers are not shown the handoff package)."""
        return self.http.get(f"/api/conversations/{self.id}", headers=self.staff).json()


def articles(turn: dict) -> list[str]:
    return [m["article_id"] for m in turn["messages"] if m.get("article_id")]


def test_health_reports_rasa_up(live) -> None:
    health = live.client().get("/health").json()
    assert (health["status"], health["rasa"], health["database"]) == ("ok", "up", "ok")


def test_greeting_then_an_answer_that_helps(live) -> None:
    chat = Chat(live)
    hello = chat.say("hello there")
    assert hello["messages"][-1]["sender"] == "bot"
    assert hello["status"] == "bot"
    answer = chat.say("how can I lock my card for a while")
    assert articles(answer) == ["freeze-unfreeze-card"]
    assert answer["messages"][-1]["text"] == "Did that answer your question?"
    assert [b["payload"] for b in answer["messages"][-1]["buttons"]] == ["/affirm", "/deny"]
    done = chat.say("/affirm")
    assert done["status"] == "resolved"
    assert done["messages"][0]["text"] == "Yes"


def test_two_unhelpful_answers_hand_over_with_context(live) -> None:
    chat = Chat(live)
    first = chat.say("how can I lock my card for a while")
    assert articles(first) == ["freeze-unfreeze-card"]
    second = chat.say("/deny")
    assert second["status"] == "bot"
    assert len(articles(second)) == 1 and articles(second) != articles(first)  # the next best
    third = chat.say("/deny")
    assert third["status"] == "queued"
    view = chat.view()
    package = view["handoff"]
    assert package["reason"] == "unhelpful_answers"
    assert package["skill"] == "cards"
    assert [a["helpful"] for a in package["knowledge_attempts"]] == [False, False]
    assert package["customer"]["email"] == "sam@example.com"
    assert package["page_url"].endswith("/help/cards")
    assert "how can I lock my card for a while" in package["summary"]
    customer_lines = [m["text"] for m in package["transcript"] if m["sender"] == "customer"]
    assert customer_lines == ["how can I lock my card for a while", "No", "No"]
    # From now on a person owns it: Rasa stays silent, and the app says once that it is kept.
    after = chat.say("hello, is someone there?")
    assert [(m["sender"], m["text"]) for m in after["messages"]] == [
        ("customer", "hello, is someone there?"),
        ("system", say_words("en", "chat.queued_noted")),
    ]


def test_asking_for_a_person(live) -> None:
    chat = Chat(live)
    turn = chat.say("can I speak to a real person please")
    assert turn["status"] == "queued"
    assert chat.view()["handoff"]["reason"] == "customer_request"


def test_asking_for_a_person_after_an_answer_tells_the_agent_it_did_not_help(live) -> None:
    chat = Chat(live)
    assert articles(chat.say("how can I lock my card for a while")) == ["freeze-unfreeze-card"]
    turn = chat.say("No, I still want a person please")
    assert turn["status"] == "queued"
    package = chat.view()["handoff"]
    assert package["reason"] == "customer_request"
    tried = [(a["article_id"], a["helpful"]) for a in package["knowledge_attempts"]]
    assert tried == [("freeze-unfreeze-card", False)]
    assert "did not help" in package["summary"]


def test_a_person_asked_for_about_a_sensitive_topic_is_the_topics_team_first(live) -> None:
    chat = Chat(live)
    turn = chat.say("I need to talk to a person about a scam payment I made")
    assert turn["status"] == "queued"
    package = chat.view()["handoff"]
    assert (package["reason"], package["priority"], package["skill"]) == (
        "customer_request",
        "high",
        "fraud",
    )


def test_out_of_scope_question_is_not_answered(live) -> None:
    chat = Chat(live)
    turn = chat.say("what's the weather going to be like in paris tomorrow")
    assert articles(turn) == []
    assert turn["status"] == "queued"
    assert chat.view()["handoff"]["reason"] in {"no_answer", "low_nlu_confidence"}


def test_sensitive_topic_goes_to_a_person_with_high_priority(live) -> None:
    chat = Chat(live)
    turn = chat.say("I think someone has hacked into my account")
    assert turn["status"] == "queued"
    package = chat.view()["handoff"]
    assert (package["reason"], package["priority"], package["skill"]) == (
        "sensitive_topic",
        "high",
        "fraud",
    )


def test_vague_question_offers_choices_and_a_choice_is_shown(live) -> None:
    chat = Chat(live)
    turn = chat.say("my card")
    buttons = turn["messages"][-1].get("buttons", [])
    assert len(buttons) >= 3 and buttons[-1]["title"] == "None of these"
    shown = chat.say(buttons[0]["payload"])
    assert shown["messages"][0]["text"] == buttons[0]["title"]
    assert articles(shown) and shown["status"] == "bot"


def test_every_customer_message_is_stored(live) -> None:
    chat = Chat(live)
    for text in ["hi", "how do I reset my passcode", "/affirm", "thanks a lot"]:
        chat.say(text)
    stored = [m["text"] for m in chat.view()["messages"] if m["sender"] == "customer"]
    assert stored == ["hi", "how do I reset my passcode", "Yes", "thanks a lot"]

"""Rasa's socketio channel on Cascade's socket.io server, driven by python-socketio's client the
way rasa-webchat drives it: against the app served by uvicorn on a free port (a scripted bot for
the fast cases) and against the real Rasa server (`live`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from cascade.app import create_app
from cascade.legacy_migrations import LEGACY
from cascade.storage import MIGRATIONS, open_storage
from conversations import customer_turn
from conversations.channels.rasa_socketio import room
from core.db import Storage
from core.settings import Settings
from core.words import say
from tests.factories import HashingEmbedder, ScriptedBot, make_agent
from tests.helpers import ADMIN, ADMIN_HEADERS, app_process, serving_app, wait_until

HANDOFF = [
    {"custom": {"text": "Let me bring in a colleague."}},
    {"custom": {"handoff": {"reason": "customer_request", "skill": "cards"}}},
]


@dataclass
class Served:
    url: str
    bot: ScriptedBot
    database: Path
    sockets: socketio.AsyncServer

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def listening(self, session_id: str) -> list[Any]:
        """The sockets the server has in a session's room: none once it has seen them go."""
        return list(self.sockets.manager.get_participants("/", room(session_id)))


def serve(tmp_path: Path, **overrides: Any) -> Iterator[Served]:
    bot = ScriptedBot()
    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="", **overrides)
    app = create_app(settings, embedder=HashingEmbedder(), bot=bot)
    with serving_app(app) as url:
        yield Served(url, bot, settings.database_path, app.state.realtime_server)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path)


class Widget:
    """What rasa-webchat does on the wire: connect with no token, ask for a session, utter."""

    def __init__(self, url: str, session_id: str | None = None) -> None:
        self.events: list[tuple[str, Any]] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", lambda event, data=None: self.events.append((event, data)))
        self.client.connect(url, transports=["websocket"], wait_timeout=10)
        self.session_id = self.request_session(session_id)

    def request_session(self, session_id: str | None) -> str:
        before = len(self.named("session_confirm"))
        self.client.emit("session_request", {"session_id": session_id})
        self.wait(lambda: len(self.named("session_confirm")) > before, "session_confirm")
        return str(self.named("session_confirm")[-1])

    def say(self, text: Any, *, handled: bool = False, **extra: Any) -> None:
        """Sends an utterance; with `handled`, returns once the server has finished with it
        (a socket.io acknowledgement, which rasa-webchat does not ask for)."""
        payload = {
            "message": text,
            "customData": {"language": "en"},
            "session_id": self.session_id,
        } | extra
        if handled:
            self.client.call("user_uttered", payload, timeout=30)
        else:
            self.client.emit("user_uttered", payload)

    def named(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    def uttered(self, count: int, timeout_s: float = 30) -> list[dict[str, Any]]:
        self.wait(
            lambda: len(self.named("bot_uttered")) >= count, f"{count} bot_uttered", timeout_s
        )
        return self.named("bot_uttered")

    def wait(self, check, what: str, timeout_s: float = 30) -> None:
        try:
            wait_until(check, timeout_s=timeout_s, what=what)
        except TimeoutError:
            raise AssertionError(f"no {what}; got {self.events}") from None

    def close(self) -> None:
        self.client.disconnect()


def conversation_of(database: Path | str, session_id: str) -> str:
    """The session's conversation, read in the app's database: a PostgreSQL URL, or its SQLite
    file (on PostgreSQL an app in this process has none: then the test's own database)."""
    if isinstance(database, str):
        storage = open_storage(Path("unused"), url=database)
    elif database.exists():
        storage = Storage(database, migrations=MIGRATIONS, legacy=(LEGACY,))
    else:
        storage = open_storage(database)
    try:
        row = storage.db.execute(
            "select conversation_id from channel_sessions where session_id = ?", [session_id]
        ).fetchone()
    finally:
        storage.close()
    assert row is not None, "the session has no conversation"
    return str(row[0])


def test_session_ids_are_confirmed_unguessable_and_kept_when_long_enough(served) -> None:
    widget = Widget(served.url)
    try:
        made = widget.session_id
        assert len(made) == 32 and int(made, 16) >= 0
        own = "c0ffee" * 6
        assert widget.request_session(own) == own
        refused = widget.request_session("abc")
        assert refused not in ("abc", own, made) and len(refused) == 32
        assert Widget(served.url).session_id != made  # each widget gets its own
    finally:
        widget.close()


def test_utterance_is_answered_as_bot_uttered_with_quick_replies(served) -> None:
    served.bot.replies.append(
        [
            {
                "custom": {
                    "text": "Open **Cards → Freeze card**.",
                    "buttons": [
                        {"title": "Yes, thanks", "payload": "/affirm"},
                        {"title": "No", "payload": "/deny"},
                    ],
                }
            }
        ]
    )
    served.bot.replies.append([{"custom": {"text": "Glad I could help!"}}])
    widget = Widget(served.url)
    try:
        widget.say("how do I freeze my card")
        welcome, answer = widget.uttered(2)
        assert welcome == {
            "text": say("en", "chat.welcome"),
            "metadata": {"sender": "bot", "message_id": 1},
        }
        assert answer["text"] == "Open **Cards → Freeze card**."
        assert answer["quick_replies"] == [
            {"content_type": "text", "title": "Yes, thanks", "payload": "/affirm"},
            {"content_type": "text", "title": "No", "payload": "/deny"},
        ]
        assert answer["metadata"]["sender"] == "bot"

        widget.say("/affirm")  # a quick reply: the payload comes back as the message
        assert widget.uttered(3)[2]["text"] == "Glad I could help!"
        assert [text for _, text in served.bot.sent] == ["how do I freeze my card", "/affirm"]
        cid = conversation_of(served.database, widget.session_id)
        view = served.http().get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert [(m["sender"], m["text"]) for m in view["messages"]][-2:] == [
            ("customer", "Yes, thanks"),  # shown as the button's title, as over REST
            ("bot", "Glad I could help!"),
        ]
    finally:
        widget.close()


def test_reconnecting_with_the_session_id_continues_the_conversation(served) -> None:
    served.bot.replies.extend([[{"text": "First answer."}], [{"text": "Second answer."}]])
    first = Widget(served.url)
    first.say("first question", customData={"page_url": "https://shop.example/cards"})
    first.uttered(2)
    session_id = first.session_id
    first.close()

    again = Widget(served.url, session_id)
    try:
        assert again.session_id == session_id
        again.say("second question")
        assert [u["text"] for u in again.uttered(1)] == ["Second answer."]  # no second welcome
        cid = conversation_of(served.database, session_id)
        view = served.http().get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert [(m["sender"], m["text"]) for m in view["messages"]] == [
            ("bot", say("en", "chat.welcome")),
            ("customer", "first question"),
            ("bot", "First answer."),
            ("customer", "second question"),
            ("bot", "Second answer."),
        ]
        assert view["page_url"] == "https://shop.example/cards"
    finally:
        again.close()


def test_after_a_handoff_the_agents_rest_reply_arrives_marked_as_the_agents(served) -> None:
    served.bot.replies.append(list(HANDOFF))
    http = served.http()
    widget = Widget(served.url)
    other = Widget(served.url)
    priya = make_agent(http, ADMIN_HEADERS, "Priya <b>Raman</b>", {"cards": 3})
    try:
        widget.say("I want to talk to a person")
        widget.wait(lambda: len(widget.named("bot_uttered")) >= 3, "the queue message")
        cid = conversation_of(served.database, widget.session_id)
        widget.wait(
            lambda: http.get(f"/api/agents/{priya['id']}/offers", headers=priya["headers"]).json(),
            "an offer for Priya",
        )
        accepted = http.post(f"/api/conversations/{cid}/accept", headers=priya["headers"])
        assert accepted.status_code == 200, accepted.text
        sent = http.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "Hi, Priya here. <img src=x onerror=alert(1)>"},
            headers=priya["headers"],
        )
        assert sent.status_code == 200, sent.text
        widget.wait(
            lambda: any(u["metadata"]["sender"] == "agent" for u in widget.named("bot_uttered")),
            "the agent's reply",
        )
        from_agent = [u for u in widget.named("bot_uttered") if u["metadata"]["sender"] == "agent"]
        assert from_agent == [
            {
                "text": "Hi, Priya here. <img src=x onerror=alert(1)>",
                "metadata": {
                    "sender": "agent",
                    "message_id": sent.json()["messages"][0]["id"],
                    "agent_name": "Priya <b>Raman</b>",
                },
            }
        ]
        # Every message not the customer's reached the widget once, in the transcript's order.
        # Pushes leave in the order they are made: once a later message has arrived, anything
        # pushed twice before it has arrived too.
        later = http.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "Anything else?"},
            headers=priya["headers"],
        )
        assert later.status_code == 200, later.text
        widget.wait(
            lambda: any(u["text"] == "Anything else?" for u in widget.named("bot_uttered")),
            "the later message",
        )
        view = http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        expected = [m["id"] for m in view["messages"] if m["sender"] != "customer"]
        got = [u["metadata"]["message_id"] for u in widget.named("bot_uttered")]
        assert got == expected and len(expected) >= 4
        assert "system" in {u["metadata"]["sender"] for u in widget.named("bot_uttered")}
        assert other.named("bot_uttered") == []  # another session hears nothing of it
    finally:
        widget.close()
        other.close()


def test_what_was_said_while_the_widget_was_away_arrives_when_it_is_back(served) -> None:
    """A reload or the next page of a site: the agent's words in between are not lost."""
    served.bot.replies.append(list(HANDOFF))
    http = served.http()
    priya = make_agent(http, ADMIN_HEADERS, "Priya Raman", {"cards": 3})
    widget = Widget(served.url)
    widget.say("I want to talk to a person")
    widget.wait(lambda: len(widget.named("bot_uttered")) >= 3, "the queue message")
    seen = [u["metadata"]["message_id"] for u in widget.named("bot_uttered")]
    session_id = widget.session_id
    widget.close()
    wait_until(lambda: not served.listening(session_id), what="the server seeing the widget go")

    cid = conversation_of(served.database, session_id)
    assert http.post(f"/api/conversations/{cid}/accept", headers=priya["headers"]).is_success
    sent = http.post(
        f"/api/conversations/{cid}/messages",
        json={"text": "Hi, Priya here. Are you still there?"},
        headers=priya["headers"],
    )
    assert sent.status_code == 200

    back = Widget(served.url, session_id)
    try:
        back.wait(lambda: len(back.named("bot_uttered")) >= 2, "the missed messages")
        # Pushes leave in the order they are made: once a later message has arrived, anything
        # sent twice before it has arrived too.
        later = http.post(
            f"/api/conversations/{cid}/messages",
            json={"text": "I'll wait a minute."},
            headers=priya["headers"],
        )
        assert later.status_code == 200
        back.wait(lambda: len(back.named("bot_uttered")) >= 3, "the later message")
        view = http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        missed = [m for m in view["messages"] if m["sender"] != "customer" and m["id"] > seen[-1]]
        assert [u["text"] for u in back.named("bot_uttered")] == [m["text"] for m in missed]
        assert [m["text"] for m in missed] == [
            "Priya Raman has joined the chat.",
            "Hi, Priya here. Are you still there?",
            "I'll wait a minute.",
        ]
        assert back.named("bot_uttered")[-1]["metadata"]["agent_name"] == "Priya Raman"
    finally:
        back.close()


def test_a_wait_that_moved_is_said_once_as_a_bot_message(served) -> None:
    """Queued behind a busy agent, the customer is told about five minutes; a second agent
    coming online moves help a few minutes nearer, and the widget hears it in one message."""
    http = served.http()
    solo = make_agent(http, ADMIN_HEADERS, "Solo", {"cards": 3}, max_concurrent=1)
    served.bot.replies.append(list(HANDOFF))
    busy = http.post("/api/conversations", json={}).json()
    http.post(
        f"/api/conversations/{busy['id']}/messages",
        json={"text": "a person please"},
        headers={"Authorization": f"Bearer {busy['token']}"},
    )
    assert http.post(f"/api/conversations/{busy['id']}/accept", headers=solo["headers"]).is_success
    served.bot.replies.append(list(HANDOFF))
    widget = Widget(served.url)
    try:
        widget.say("I want to talk to a person")
        widget.wait(
            lambda: any("in line" in u["text"] for u in widget.named("bot_uttered")),
            "the queue message",
        )
        assert "about 5 minutes" in widget.named("bot_uttered")[-1]["text"]

        make_agent(http, ADMIN_HEADERS, "Helper", {"cards": 3})
        update = "Update: you're number 1 in line. Someone should be with you in a moment."
        widget.wait(
            lambda: any(u["text"] == update for u in widget.named("bot_uttered")), "the update"
        )
        moved = widget.named("bot_uttered")[-1]
        assert moved["metadata"] == {
            "sender": "system",
            "queue": {"position": 1, "estimated_wait_s": 0},
        }
        cid = conversation_of(served.database, widget.session_id)
        view = http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert update not in [m["text"] for m in view["messages"]]  # news then, not transcript
    finally:
        widget.close()


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[Served]:
    """Offers lapse after half a second and chats wait at most a second and a half."""
    yield from serve(tmp_path, max_wait_s=1.5, route_interval_s=0.2, offer_timeout_s=0.5)


def test_a_message_made_by_a_timer_reaches_the_widget(impatient) -> None:
    """The one agent lets the offer lapse; past the maximum wait the queue's timer files a
    ticket and says so in the chat."""
    impatient.bot.replies.append(list(HANDOFF))
    make_agent(impatient.http(), ADMIN_HEADERS, "Sleepy", {"cards": 3})  # online, never accepts
    widget = Widget(impatient.url)
    try:
        widget.say("a person please")
        widget.wait(
            lambda: any("ticket" in u["text"].lower() for u in widget.named("bot_uttered")),
            "the ticket message",
            timeout_s=20,
        )
        cid = conversation_of(impatient.database, widget.session_id)
        view = impatient.http().get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert view["status"] == "ticketed"
        assert [u["metadata"]["message_id"] for u in widget.named("bot_uttered")] == [
            m["id"] for m in view["messages"] if m["sender"] != "customer"
        ]
    finally:
        widget.close()


def test_a_resent_message_id_is_stored_once(served) -> None:
    served.bot.replies.append([{"text": "Answer."}])
    widget = Widget(served.url)
    try:
        widget.say("hello", message_id="m-1")
        widget.uttered(2)
        widget.say("hello", message_id="m-1", handled=True)
        cid = conversation_of(served.database, widget.session_id)
        view = served.http().get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert [m["text"] for m in view["messages"] if m["sender"] == "customer"] == ["hello"]
        assert len(served.bot.sent) == 1
    finally:
        widget.close()


def test_a_full_chat_is_told_to_the_widget(served, monkeypatch) -> None:
    """A chat holding as many of the customer's messages as one takes (lowered here, the same
    code): the next utterance gets the reason as a channel_error, and nothing is stored."""
    monkeypatch.setattr(customer_turn, "MAX_CUSTOMER_MESSAGES", 1)
    served.bot.replies.append([{"text": "Answer."}])
    widget = Widget(served.url)
    try:
        widget.say("hello", handled=True)
        widget.say("and another thing", handled=True)
        widget.wait(lambda: widget.named("channel_error"), "channel_error")
        assert "start a new chat" in widget.named("channel_error")[0]["detail"]
        cid = conversation_of(served.database, widget.session_id)
        view = served.http().get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert [m["text"] for m in view["messages"] if m["sender"] == "customer"] == ["hello"]
    finally:
        widget.close()


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ("just a string", "object"),
        ({"session_id": None}, "non-blank"),
        ({"message": None}, "non-blank"),
        ({"message": "   "}, "non-blank"),
        ({"message": 42}, "non-blank"),
        ({"message": "x" * 5001}, "5000"),
        ({"message": "bad \ud800 text"}, "Unicode"),
        ({"message": "a\u0000b"}, "NUL"),  # refused on either database, as REST refuses it
        ({"message": "\u200b\u2060\ufeff"}, "non-blank"),  # shows as nothing
        ({"message": "hi", "session_id": "f" * 32}, "confirmed"),
    ],
)
def test_bad_payloads_are_answered_with_an_error_and_the_socket_lives(served, payload, why) -> None:
    served.bot.replies.append([{"text": "Still here."}])
    widget = Widget(served.url)
    try:
        if isinstance(payload, dict):
            payload = {"session_id": widget.session_id} | payload
        widget.client.emit("user_uttered", payload)
        widget.wait(lambda: widget.named("channel_error"), "channel_error")
        assert why in widget.named("channel_error")[0]["detail"]
        assert widget.named("bot_uttered") == []  # nothing stored, no conversation started
        widget.say("a real question")
        assert widget.uttered(2)[1]["text"] == "Still here."
    finally:
        widget.close()


def test_uttering_before_a_session_is_refused_and_a_bad_token_still_is(served) -> None:
    bare = socketio.Client(reconnection=False)
    errors: list[Any] = []
    bare.on("channel_error", errors.append)
    bare.connect(served.url, transports=["websocket"], wait_timeout=10)
    try:
        bare.emit("user_uttered", {"message": "hello", "session_id": "a" * 32})
        wait_until(lambda: errors, what="the channel_error")
        assert "session_request" in errors[0]["detail"]
    finally:
        bare.disconnect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        socketio.Client(reconnection=False).connect(
            served.url, auth={"token": "not-a-token"}, transports=["websocket"], wait_timeout=5
        )


@pytest.mark.rasa
def test_real_rasa_answers_and_its_quick_replies_resolve_the_chat(live) -> None:
    widget = Widget(live.url)
    try:
        widget.say("how can I lock my card for a while")
        widget.wait(
            lambda: any("quick_replies" in u for u in widget.named("bot_uttered")),
            "an answer with quick replies",
            timeout_s=30,
        )
        texts = " ".join(u["text"] for u in widget.named("bot_uttered")).lower()
        assert "freeze" in texts
        asked = next(u for u in widget.named("bot_uttered") if "quick_replies" in u)
        yes = next(q for q in asked["quick_replies"] if q["payload"] == "/affirm")
        seen = len(widget.named("bot_uttered"))
        widget.say(yes["payload"])
        widget.uttered(seen + 1, timeout_s=30)
        database = live.database_url or Settings(data_dir=live.data_dir).database_path
        cid = conversation_of(database, widget.session_id)
        with live.client() as http:
            view = http.get(f"/api/conversations/{cid}", headers=live.admin).json()
        assert view["status"] == "resolved"
        assert view["messages"][1]["text"] == "how can I lock my card for a while"
        assert any(
            m["sender"] == "customer" and m["text"] == yes["title"] for m in view["messages"]
        )
    finally:
        widget.close()


@pytest.mark.model
def test_a_widget_on_another_site_may_open_the_socket(tmp_path) -> None:
    """The polling transport answers other sites' pages with CORS headers (the default), and
    only the listed origins when the setting names them."""
    (tmp_path / "any").mkdir()
    (tmp_path / "listed").mkdir()
    with app_process(tmp_path / "any") as url:
        response = httpx.get(
            f"{url}/socket.io/?EIO=4&transport=polling",
            headers={"Origin": "https://shop.example"},
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://shop.example"
    with app_process(
        tmp_path / "listed", env={"CASCADE_SOCKET_ORIGINS": '["https://bank.example"]'}
    ) as url:
        refused = httpx.get(
            f"{url}/socket.io/?EIO=4&transport=polling",
            headers={"Origin": "https://shop.example"},
        )
        assert refused.status_code == 400


def test_a_rasa_widget_in_japanese_starts_a_japanese_conversation(served) -> None:
    """rasa-webchat's `customData.language` is the conversation's locale."""
    served.bot.replies.append(list(HANDOFF))
    widget = Widget(served.url)
    try:
        widget.say("担当者と話したいです", customData={"language": "ja-JP"})
        welcome = widget.uttered(1)[0]
        assert welcome["text"] == say("ja", "chat.welcome")
        cid = conversation_of(served.database, widget.session_id)
        with served.http() as http:
            view = http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert (view["language"], view["language_source"]) == ("ja", "locale")
        # Nobody online: the ticket is told in Japanese (after the bot's own reply).
        told = widget.uttered(3)[-1]
        assert told["metadata"]["sender"] == "system"
        assert told["text"].startswith("ただいま対応できる担当者がいないため")
    finally:
        widget.close()


def test_a_page_address_that_is_no_web_page_s_loses_the_customer_nothing(served) -> None:
    """customData's `page_url` must be a web page's (http or https), as REST's; one that is not
    is left out on its own: the customer's name and email are kept."""
    served.bot.replies.append([{"text": "Hello."}])
    widget = Widget(served.url)
    try:
        custom = {
            "page_url": "javascript:alert(1)",
            "customer": {"name": "Ana", "email": "ana@example.com"},
        }
        widget.say("hello", customData=custom)
        widget.uttered(2)
        cid = conversation_of(served.database, widget.session_id)
        with served.http() as http:
            view = http.get(f"/api/conversations/{cid}", headers=ADMIN_HEADERS).json()
        assert view["customer"] == {"name": "Ana", "email": "ana@example.com"}
        assert not (view.get("page_url") or "").startswith("javascript:")
    finally:
        widget.close()

"""Rasa's socketio channel protocol on Cascade's own socket.io server, so a stock Rasa web
widget (rasa-webchat) pointed at the app chats with the bot and, after a hand-over, the agent.

It lives with the customer channels, not in `bot/`: it speaks Rasa's wire protocol but talks
only to `ConversationService`, like the REST API, so the status machine decides who answers
(the bot, a person, nobody) and a widget keeps working when the bot is down or a person owns
the chat. Rasa itself is reached only through `bot/client.py`.

The widget speaks three events (rasa/core/channels/socketio.py in Rasa 3.6):
- `session_request` `{"session_id": str | null}` → `session_confirm` with the session id (a bare
  string, as Rasa sends it); the socket joins the session's room.
- `user_uttered` `{"message", "session_id", "customData"?, "metadata"?}`: the customer's text
  (a button's payload, such as `/affirm`, arrives as text), handed to `ConversationService`.
  The session's first message starts its conversation with the custom data's `customer`,
  `page_url` and `language` (rasa-webchat's own name for it; `locale` too), which sets the
  conversation's language when Cascade speaks it.
- `bot_uttered` `{"text", "quick_replies"?, "metadata"}`: every message of the conversation not
  written by the customer, pushed from the storage's message listener, so agent replies sent
  over REST, queue and system messages and timer messages all arrive, once each, in order.
  While the chat waits for a person, a moved wait arrives too (`queue_moved`, told by the
  queue when the moment an agent is expected moved by a minute or more): a message that is not
  stored (it is news only then), so its metadata has `sender: "system"`, the `queue` place and
  no `message_id`, and a widget away at the time is not sent it later.

While a widget of a session is connected, its customer is there (`here()`): the queue does
not abandon a chat with an agent whose customer is quiet but has the widget open.

A widget that reconnects with its session id (a reload, the next page of a site) is sent what
it missed while it was away, and nothing twice: which message each session was last sent is
kept on the event loop's thread, so pushes and replays never race.

The session id is the only secret (whoever has it reads the chat and speaks in it): ids the
server makes are 128 random bits. A client's own id is kept only if it could be as strong (32 to
128 letters, digits, `-` or `_`; length is all a server can check); a shorter one is replaced by
a fresh id in `session_confirm`, which the stock widget adopts. A payload Cascade cannot act on
(not an object, no text, over 5,000 characters, before `session_request`, another session's id)
is answered with `channel_error` `{"detail"}` and the socket stays open, as is a message past
the address's rate limits (`messages`, and `start` for a session's first).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from core.clock import iso
from core.db import Storage
from core.language import supported
from core.rate_limits import Refused, client_of_environ

if TYPE_CHECKING:
    from conversations.people import Place
    from conversations.service import ConversationService
    from core.realtime import Realtime

log = logging.getLogger(__name__)

CHANNEL = "socketio"
ERROR_EVENT = "channel_error"
MAX_TEXT = 5000  # as POST /api/conversations/{id}/messages
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
MESSAGE_ID = re.compile(r"^[\x21-\x7e]{1,90}$")
REMEMBERED = 100_000  # sessions whose last delivered message is kept, most recent first


class BadUtterance(ValueError):
    """A `user_uttered` payload Cascade cannot act on; the message says why."""


def new_session_id() -> str:
    return secrets.token_hex(16)  # the shape of Rasa's uuid4().hex, from the OS's randomness


def room(session_id: str) -> str:
    return f"rasa:{session_id}"


def bot_uttered(message: dict[str, Any], *, agent_name: str | None = None) -> dict[str, Any]:
    """A stored message in the shape Rasa's socketio output channel emits.

    One message is one event: Rasa's own channel splits text at blank lines, which would tear
    an article apart. rasa-webchat renders `{"text"}` or `{"text", "quick_replies"}` and drops
    `metadata` before rendering, so who wrote it travels there.
    """
    out: dict[str, Any] = {"text": message["text"]}
    if message.get("buttons"):
        out["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]}
            for b in message["buttons"]
        ]
    metadata: dict[str, Any] = {"sender": message["sender"], "message_id": message["id"]}
    if message["sender"] == "agent":
        metadata["agent_name"] = agent_name
    out["metadata"] = metadata
    return out


def parse_utterance(data: Any) -> tuple[str, dict[str, Any]]:
    """The text and the custom data (rasa-webchat's `customData`, Rasa's `metadata`)."""
    if not isinstance(data, dict):
        raise BadUtterance("user_uttered takes an object: {message, session_id}")
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        raise BadUtterance("message must be non-blank text")
    if len(text) > MAX_TEXT:
        raise BadUtterance(f"message is longer than {MAX_TEXT} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadUtterance("message holds invalid Unicode (a lone surrogate)") from exc
    custom: dict[str, Any] = {}
    for key in ("metadata", "customData"):
        if isinstance(data.get(key), dict):
            custom.update(data[key])
    return text, custom


def client_id_of(data: dict[str, Any], custom: dict[str, Any]) -> str | None:
    """A widget that numbers its messages gets each stored once, however often it resends."""
    for found in (data.get("message_id"), custom.get("message_id")):
        if isinstance(found, str | int) and MESSAGE_ID.match(str(found)):
            return f"rasa:{found}"
    return None


class RasaChannel:
    def __init__(
        self, realtime: Realtime, *, storage: Storage, conversations: ConversationService
    ) -> None:
        self.realtime = realtime
        self.sio = realtime.sio
        self.storage = storage
        self.conversations = conversations
        # One customer turn at a time per session, in the order the widget sent them.
        self._turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Touched only on the event loop's thread:
        self._sockets: dict[str, set[str]] = {}  # session id -> its connected sockets
        self._session_of: dict[str, str] = {}  # socket id -> session id
        self._delivered: OrderedDict[str, int] = OrderedDict()  # session id -> last message id
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)
        self.sio.on("disconnect", self._disconnect)

    # -- the widget's events ------------------------------------------------------------------

    async def _session_request(self, sid: str, data: Any = None, *_: Any) -> None:
        asked = data.get("session_id") if isinstance(data, dict) else None
        session_id = asked if isinstance(asked, str) and SESSION_ID.match(asked) else None
        if session_id is None:
            if asked is not None:
                log.warning("session id refused (not 32-128 letters and digits); made a new one")
            session_id = new_session_id()
        previous = self._leave(sid)
        if previous and previous != session_id:
            await self.sio.leave_room(sid, room(previous))
        await self.sio.enter_room(sid, room(session_id))
        await self.sio.emit("session_confirm", session_id, to=sid)
        # From here to the end, no await: no push can slip in between the join and the replay.
        self._sockets.setdefault(session_id, set()).add(sid)
        self._session_of[sid] = session_id
        self._replay(session_id)

    async def _disconnect(self, sid: str, *_: Any) -> None:
        self._leave(sid)

    def _leave(self, sid: str) -> str | None:
        """Forget which session a socket speaks for; returns that session."""
        session_id = self._session_of.pop(sid, None)
        if session_id is not None:
            sockets = self._sockets.get(session_id, set())
            sockets.discard(sid)
            if not sockets:
                self._sockets.pop(session_id, None)
        return session_id

    async def _user_uttered(self, sid: str, data: Any = None, *_: Any) -> None:
        try:
            text, custom = parse_utterance(data)
            session_id = self._confirmed_session(sid, data)
        except BadUtterance as exc:
            log.info("user_uttered from %s ignored: %s", sid, exc)
            await self.sio.emit(ERROR_EVENT, {"detail": str(exc)}, to=sid)
            return
        refused = await asyncio.to_thread(self._over_limit, sid, session_id)
        if refused is not None:
            await self.sio.emit(ERROR_EVENT, {"detail": refused.detail}, to=sid)
            return
        lock = self._turns.get(session_id)
        if lock is None:
            lock = self._turns[session_id] = asyncio.Lock()
        async with lock:
            try:
                conversation_id = self._conversation_for(session_id, sid, custom)
                await self.conversations.customer_says(
                    conversation_id, text, client_id=client_id_of(data, custom)
                )
            except Exception:  # the socket and the server stay up; the customer is told
                log.exception("user_uttered for session %s failed", session_id)
                await self.sio.emit(
                    ERROR_EVENT, {"detail": "the message could not be handled"}, to=sid
                )

    def _confirmed_session(self, sid: str, data: dict[str, Any]) -> str:
        """The session this socket confirmed: a socket speaks only for its own session."""
        confirmed = self._session_of.get(sid)
        if confirmed is None:
            raise BadUtterance("send session_request first")
        said = data.get("session_id")
        if said is not None and said != confirmed:
            raise BadUtterance("session_id is not the one this socket confirmed")
        return str(confirmed)

    def _over_limit(self, sid: str, session_id: str) -> Refused | None:
        """The address's limits hold here as over REST: a message, and a first one starts a
        conversation."""
        limits, client = (
            self.realtime.rate_limits,
            client_of_environ(self.sio.get_environ(sid) or {}),
        )
        if self.conversation_of(session_id) is None and (refused := limits.hit("start", client)):
            return refused
        return limits.hit("messages", client)

    # -- sessions and conversations -----------------------------------------------------------

    def conversation_of(self, session_id: str) -> str | None:
        row = self.storage.db.execute(
            "select conversation_id from channel_sessions where session_id = ?", [session_id]
        ).fetchone()
        return row[0] if row else None

    def _conversation_for(self, session_id: str, sid: str, custom: dict[str, Any]) -> str:
        """The session's conversation, started on its first message as POST /api/conversations
        starts one. No await in here: two first messages of one session make one conversation."""
        found = self.conversation_of(session_id)
        if found is not None:
            return found
        from conversations.api import StartIn

        referrer = self.sio.get_environ(sid) or {}
        start = {"customer": custom.get("customer") or {}, "page_url": custom.get("page_url")}
        try:
            body = StartIn.model_validate(start)
        except ValidationError as exc:
            log.info("customData ignored: %s", exc.errors(include_url=False))
            body = StartIn()
        # rasa-webchat's own convention for the widget's language is `customData.language`.
        locale = custom.get("locale") or custom.get("language")
        view, _token = self.conversations.start(
            customer=body.customer.model_dump(),
            page_url=body.page_url or referrer.get("HTTP_REFERER"),
            language=supported(locale) if isinstance(locale, str) else None,
        )
        with self.storage.write() as db:
            db.table("channel_sessions").insert(
                {
                    "session_id": session_id,
                    "channel": CHANNEL,
                    "conversation_id": view.id,
                    "created_at": iso(self.conversations.clock.now()),
                }
            )
        # The greeting was stored before the session knew its conversation: send it now.
        for message in view.messages:
            self._deliver(
                session_id, message.id, bot_uttered(message.model_dump(exclude_unset=True))
            )
        return view.id

    def here(self) -> frozenset[str]:
        """The conversations with a widget connected now (callable from any thread): their
        customer has not gone, however long they have been quiet."""
        sessions = sorted(self.realtime.occupied("rasa:"))
        found: set[str] = set()
        for start in range(0, len(sessions), 500):
            chunk = sessions[start : start + 500]
            marks = ",".join("?" for _ in chunk)
            found.update(
                conversation_id
                for (conversation_id,) in self.storage.db.execute(
                    f"select conversation_id from channel_sessions where session_id in ({marks})",
                    chunk,
                ).fetchall()
            )
        return frozenset(found)

    # -- Cascade's messages to the widget ------------------------------------------------------

    def push(self, conversation_id: str, message: dict[str, Any]) -> None:
        """A message listener (`Storage.message_listeners`): runs on whichever thread stored it."""
        if message["sender"] == "customer":
            return  # the widget shows what the customer typed itself
        row = self.storage.db.execute(
            "select s.session_id, c.assigned_agent_id from channel_sessions s"
            " join conversations c on c.id = s.conversation_id"
            " where s.conversation_id = ?",
            [conversation_id],
        ).fetchone()
        if row is None:
            return
        session_id, agent_id = row
        payload = bot_uttered(message, agent_name=self._agent_name(agent_id))
        self.realtime.call_soon(self._deliver, session_id, message["id"], payload)

    def queue_moved(self, conversation_id: str, place: Place, text: str) -> None:
        """The queue's news of a moved wait (runs on whichever thread routed): said to the
        session's widgets now, as a bot message."""
        row = self.storage.db.execute(
            "select session_id from channel_sessions where conversation_id = ?", [conversation_id]
        ).fetchone()
        if row is None:
            return
        payload = {
            "text": text,
            "metadata": {
                "sender": "system",
                "queue": {"position": place.position, "estimated_wait_s": place.estimated_wait_s},
            },
        }
        self.realtime.call_soon(self._say, row[0], payload)

    def _say(self, session_id: str, payload: dict[str, Any]) -> None:
        """Send a message that is not stored, on the loop's thread, to the widgets connected."""
        if self._sockets.get(session_id):
            self.realtime.publish(room(session_id), "bot_uttered", payload)

    def _agent_name(self, agent_id: str | None) -> str | None:
        """The assigned agent's name, from the handoff tier that owns agents."""
        return self.conversations.people.agent_name(agent_id) if agent_id else None

    def _deliver(self, session_id: str, message_id: int, payload: dict[str, Any]) -> None:
        """Send one message to a session's widgets, on the loop's thread; while none is
        connected, leave it for the replay when one comes back."""
        if not self._sockets.get(session_id):
            return
        if message_id <= self._delivered.get(session_id, 0):
            return  # already sent, by the replay
        self._delivered[session_id] = message_id
        self._delivered.move_to_end(session_id)
        while len(self._delivered) > REMEMBERED:
            self._delivered.popitem(last=False)
        self.realtime.publish(room(session_id), "bot_uttered", payload)

    def _replay(self, session_id: str) -> None:
        """What the session's conversation said while no widget of it was connected."""
        conversation_id = self.conversation_of(session_id)
        if conversation_id is None:
            self._delivered.setdefault(session_id, 0)
            return
        if session_id not in self._delivered:
            # Not seen since this process started: what it was sent before is unknown, so
            # only what comes next is sent (the widget keeps its own history).
            row = self.storage.db.execute(
                "select max(id) from messages where conversation_id = ?", [conversation_id]
            ).fetchone()
            self._delivered[session_id] = int(row[0] or 0)
            return
        rows = self.storage.db.execute(
            "select id, sender, text, buttons from messages"
            " where conversation_id = ? and id > ? and sender != 'customer' order by id",
            [conversation_id, self._delivered[session_id]],
        ).fetchall()
        agent_name = self._agent_name(
            self.conversations.store.get(conversation_id)["assigned_agent_id"]
        )
        for message_id, sender, text, buttons in rows:
            message = {
                "id": message_id,
                "sender": sender,
                "text": text,
                "buttons": json.loads(buttons) if buttons else None,
            }
            self._deliver(session_id, message_id, bot_uttered(message, agent_name=agent_name))

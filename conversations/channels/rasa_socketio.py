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
it missed while it was away, and nothing twice: which messages each session was sent is kept on
the event loop's thread, so pushes and replays never race.

With several replicas (CASCADE_REDIS_URL), a widget's socket is on one of them and a message may
be stored on another: every stored message is a notice to every replica (`Realtime.notice`),
and each sends it to the widgets connected to itself only, so each widget gets it once, in the
same way as with one process. The last message a session was sent is kept in Redis too, so a
widget that reconnects to another replica (its own went away) is sent what it missed.

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from conversations.channels.rasa_protocol import (
    BadUtterance,
    bot_uttered,
    client_id_of,
    parse_utterance,
)
from conversations.errors import ChatFull
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
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
REMEMBERED = 100_000  # sessions whose sent messages are kept, most recent first
SENT_KEPT = 64  # a session's latest messages sent, kept by id (they may arrive out of order)


@dataclass
class Sent:
    """Which messages a session's widgets were sent: every one up to `floor` (or from before
    the session was seen), and those in `above`. Messages stored by several writers (threads,
    replicas) may arrive out of order: a late one is still sent, once."""

    floor: int
    above: set[int] = field(default_factory=set)

    def has(self, message_id: int) -> bool:
        return message_id <= self.floor or message_id in self.above

    def add(self, message_id: int) -> None:
        self.above.add(message_id)
        while len(self.above) > SENT_KEPT:  # the oldest count as sent, whatever comes late
            oldest = min(self.above)
            self.above.discard(oldest)
            self.floor = max(self.floor, oldest)

    @property
    def last(self) -> int:
        return max(self.above, default=self.floor)


def sent_key(session_id: str) -> str:
    """Where the last message a session was sent is kept for the other replicas."""
    return f"cascade:rasa:sent:{session_id}"


def new_session_id() -> str:
    return secrets.token_hex(16)  # the shape of Rasa's uuid4().hex, from the OS's randomness


def room(session_id: str) -> str:
    return f"rasa:{session_id}"


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
        self._sent: OrderedDict[str, Sent] = OrderedDict()  # session id -> what it was sent
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)
        self.sio.on("disconnect", self._disconnect)
        realtime.on_notice("rasa.deliver", self._delivery)
        realtime.on_notice("rasa.say", self._saying)

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
        # Sent by another replica before (its widget came here): what it was sent last.
        elsewhere = (
            None if session_id in self._sent else await self.realtime.recall(sent_key(session_id))
        )
        await self.sio.enter_room(sid, room(session_id))
        await self.sio.emit("session_confirm", session_id, to=sid)
        # From here to the end, no await: no push can slip in between the join and the replay.
        self._sockets.setdefault(session_id, set()).add(sid)
        self._session_of[sid] = session_id
        self._replay(session_id, sent_elsewhere=elsewhere)

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
            except ChatFull as exc:  # a new session takes more
                await self.sio.emit(ERROR_EVENT, {"detail": str(exc)}, to=sid)
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
        from conversations.api import StartIn, web_page

        referrer = (self.sio.get_environ(sid) or {}).get("HTTP_REFERER")
        try:
            customer = StartIn.model_validate({"customer": custom.get("customer") or {}}).customer
        except ValidationError as exc:
            log.info("customData's customer ignored: %s", exc.errors(include_url=False))
            customer = StartIn().customer
        # The page the widget is on, else the Referer: only a web page's address (http or https).
        page_url = web_page(custom.get("page_url")) or web_page(referrer)
        # rasa-webchat's own convention for the widget's language is `customData.language`.
        locale = custom.get("locale") or custom.get("language")
        view, _token = self.conversations.start(
            customer=customer.model_dump(),
            page_url=page_url,
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
        self.realtime.notice(
            "rasa.deliver",
            {"session_id": session_id, "message_id": message["id"], "payload": payload},
        )

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
        self.realtime.notice("rasa.say", {"session_id": row[0], "payload": payload})

    def _saying(self, notice: dict[str, Any]) -> None:
        self._say(notice["session_id"], notice["payload"])

    def _delivery(self, notice: dict[str, Any]) -> None:
        self._deliver(notice["session_id"], int(notice["message_id"]), notice["payload"])

    def _say(self, session_id: str, payload: dict[str, Any]) -> None:
        """Send a message that is not stored, on the loop's thread, to the widgets connected
        here."""
        if self._sockets.get(session_id):
            self.realtime.publish(room(session_id), "bot_uttered", payload, here_only=True)

    def _agent_name(self, agent_id: str | None) -> str | None:
        """The assigned agent's name, from the handoff tier that owns agents."""
        return self.conversations.people.agent_name(agent_id) if agent_id else None

    def _deliver(self, session_id: str, message_id: int, payload: dict[str, Any]) -> None:
        """Send one message to the session's widgets connected here, on the loop's thread;
        while none is connected, leave it for the replay when one comes back."""
        if not self._sockets.get(session_id):
            return
        sent = self._sent.setdefault(session_id, Sent(0))
        if sent.has(message_id):
            return  # already sent, by the replay
        sent.add(message_id)
        self._sent.move_to_end(session_id)
        while len(self._sent) > REMEMBERED:
            self._sent.popitem(last=False)
        self.realtime.publish(room(session_id), "bot_uttered", payload, here_only=True)
        self.realtime.remember(sent_key(session_id), sent.last)

    def _replay(self, session_id: str, *, sent_elsewhere: int | None = None) -> None:
        """What the session's conversation said while no widget of it was connected."""
        conversation_id = self.conversation_of(session_id)
        if conversation_id is None:
            self._sent.setdefault(session_id, Sent(0))
            return
        if session_id not in self._sent:
            if sent_elsewhere is None:
                # Not seen since this process started (nor by another replica): what it was
                # sent before is unknown, so only what comes next is sent (the widget keeps
                # its own history).
                row = self.storage.db.execute(
                    "select max(id) from messages where conversation_id = ?", [conversation_id]
                ).fetchone()
                self._sent[session_id] = Sent(int(row[0] or 0))
                return
            self._sent[session_id] = Sent(sent_elsewhere)
        sent = self._sent[session_id]
        rows = self.storage.db.execute(
            "select id, sender, text, buttons from messages"
            " where conversation_id = ? and id > ? and sender != 'customer' order by id",
            [conversation_id, sent.floor],
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

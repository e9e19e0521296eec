"""Several Rasa processes sharing a tracker store on PostgreSQL and a lock store on Redis, as
`cascade up --replicas 2 --rasa 2` starts them: a conversation keeps its dialogue state whichever
process takes its turn, and erasing a customer clears their events from PostgreSQL's pages too.

PostgreSQL is the session's throwaway cluster (`postgres_server`, cascade/engines.py), with a
database of this module's own; Redis a throwaway redis-server.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bot.endpoints import rasa_endpoints
from bot.tracker_store import forget_senders_postgres, prepare_postgres
from conversations.replies import parse_replies
from tests.conftest import running_redis
from tests.helpers import ADMIN, ADMIN_HEADERS, ROOT, app_env, free_port, run_in_rasa, wait_until

# On PostgreSQL and Redis whatever the run's engine.
pytestmark = [pytest.mark.rasa, pytest.mark.engine_independent]

QUESTION = "how can I lock my card for a while"
ANSWER = "freeze-unfreeze-card"


@pytest.fixture(scope="module")
def postgres(postgres_server) -> Iterator[str]:
    """A database of this module's own on the session's throwaway cluster (cascade/engines.py)."""
    with postgres_server.fresh() as url:
        yield url


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


def query(url: str, sql: str, *params: Any) -> list[tuple]:
    """The rows `sql` gives ([] for a statement that gives none)."""
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as db:
        cursor = db.execute(sql, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def another_database(url: str, name: str) -> str:
    """A new, empty database on the server of `url`: a test's own tables stay out of the
    cluster's (this file's tests share one server)."""
    query(url, f"create database {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def table_files_hold(url: str, table: str, needle: str) -> bool:
    """Whether `needle` is anywhere in the files of `table` (with its TOAST table and indexes):
    what a deleted row leaves behind in its pages."""
    query(url, "checkpoint")  # the pages written out to the files
    files = query(
        url,
        "select current_setting('data_directory') || '/' || pg_relation_filepath(c.oid)"
        " from pg_class c where c.oid = %s::regclass or c.oid = (select reltoastrelid"
        " from pg_class where oid = %s::regclass) or c.oid in (select indexrelid from pg_index"
        " where indrelid = %s::regclass)",
        table,
        table,
        table,
    )
    found = False
    for (path,) in files:
        for segment in Path(path).parent.glob(Path(path).name + "*"):
            found = found or needle.encode() in segment.read_bytes()
    return found


# -- Rasa's own stores, made from the endpoints Cascade writes --------------------------------

# In Rasa's runtime: the stores from the endpoints file (argv[1]) with the environment Cascade
# gives Rasa (argv[2]); a tracker saved for each sender in argv[3], and a lock taken and released.
SAVE_TRACKERS = r"""
import asyncio, json, os, sys
os.environ.update(json.loads(sys.argv[2]))
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

endpoints = AvailableEndpoints.read_endpoints(sys.argv[1])
store = TrackerStore.create(endpoints.tracker_store, domain=Domain.empty())
locks = LockStore.create(endpoints.lock_store)

async def main():
    for sender, text in json.loads(sys.argv[3]).items():
        tracker = DialogueStateTracker(sender, [])
        tracker.update(UserUttered(text))
        await store.save(tracker)
    async with locks.lock("some-conversation"):
        held = [k.decode() for k in locks.red.keys("*")]
    return held

held = asyncio.run(main())
print(json.dumps({
    "tracker_store": type(store).__name__, "dialect": store.engine.dialect.name,
    "lock_store": type(locks).__name__, "held": held,
    "after": [k.decode() for k in locks.red.keys("*")],
}))
"""


def test_rasa_keeps_its_events_in_its_own_schema_and_erasure_leaves_no_copy(
    postgres, redis_url, tmp_path
) -> None:
    postgres = another_database(postgres, "schemas")
    # The app's own `events` table, as the app's PostgreSQL storage makes it: no clash.
    query(postgres, "create table events (id bigint primary key, conversation_id text)")
    prepare_postgres(postgres)
    written = rasa_endpoints(database_url=postgres, redis_url=redis_url)
    assert written is not None
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(written.text)
    secret_words = f"my card number is 4111 {uuid.uuid4().hex}"
    made = run_in_rasa(
        SAVE_TRACKERS,
        str(endpoints),
        json.dumps(
            {**written.env, "CASCADE_ACTION_URL": "http://127.0.0.1:9/webhook"}
            | {"CASCADE_ACTION_SECRET": "unused here"}
        ),
        json.dumps({"kept": "hello", "erased": secret_words}),
    )
    assert made == {
        "tracker_store": "SQLTrackerStore",
        "dialect": "postgresql",
        "lock_store": "RedisLockStore",
        "held": ["rasa:lock:some-conversation"],  # in the app's Redis, under Rasa's prefix
        "after": [],  # released after the turn
    }
    senders = query(postgres, "select distinct sender_id from rasa.events order by 1")
    assert senders == [("erased",), ("kept",)]
    assert query(postgres, "select count(*) from public.events") == [(0,)]
    assert table_files_hold(postgres, "rasa.events", secret_words)

    assert forget_senders_postgres(postgres, ["erased", "never-here"]) > 0
    assert query(postgres, "select distinct sender_id from rasa.events") == [("kept",)]
    assert not table_files_hold(postgres, "rasa.events", secret_words)
    assert forget_senders_postgres(postgres, ["erased"]) == 0


# -- `cascade up --replicas 2 --rasa 2` -------------------------------------------------------


@dataclass
class Cluster:
    apps: list[str]
    rasas: list[str]
    data_dir: Path
    env: dict[str, str]
    output: Path
    process: subprocess.Popen

    def exited(self) -> list[str]:
        """The processes `cascade up` reported gone, in its words."""
        return [line for line in self.output.read_text().splitlines() if "exited with code" in line]

    def logs(self) -> str:
        """What `cascade up` printed and the end of each Rasa process's log, for a failure."""
        said = [f"cascade up:\n{self.output.read_text()}"]
        for log in sorted(self.data_dir.glob("rasa-*.log")):
            said.append(f"{log.name}:\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(said)


@pytest.fixture(scope="module")
def cluster(postgres, redis_url, tmp_path_factory, rasa_model) -> Iterator[Cluster]:
    """Two app replicas and two Rasa processes on PostgreSQL and Redis, with the bank's English
    articles imported on each replica."""
    data_dir = tmp_path_factory.mktemp("cluster")
    port = free_port(4)  # two apps, then two Rasa processes
    rasa_port = port + 2
    env = {**app_env(ADMIN), "CASCADE_DATABASE_URL": postgres, "CASCADE_REDIS_URL": redis_url}
    output = data_dir / "up.log"
    up = subprocess.Popen(
        [sys.executable, "-m", "cascade.cli", "up", "--replicas", "2", "--rasa", "2"]
        + ["--data-dir", str(data_dir), "--port", str(port), "--rasa-port", str(rasa_port)],
        cwd=ROOT,
        env=env,
        stdout=output.open("wb"),
        stderr=subprocess.STDOUT,
    )
    stack = Cluster(
        apps=[f"http://127.0.0.1:{port + n}" for n in range(2)],
        rasas=[f"http://127.0.0.1:{rasa_port + n}" for n in range(2)],
        data_dir=data_dir,
        env=env,
        output=output,
        process=up,
    )
    try:
        for url in stack.rasas:
            wait_until(
                lambda url=url: httpx.get(url, timeout=5).status_code == 200,
                timeout_s=300,
                what=f"Rasa at {url} answering",
                process=up,
            )
        articles = (ROOT / "data" / "kb" / "articles.jsonl").read_bytes()
        for url in stack.apps:
            wait_until(
                lambda url=url: httpx.get(f"{url}/health", timeout=5).json()["rasa"] == "up",
                timeout_s=300,
                what=f"the app at {url} answering /health with Rasa up",
                process=up,
            )
            imported = httpx.post(
                f"{url}/api/kb/import", content=articles, headers=ADMIN_HEADERS, timeout=600
            )
            assert imported.status_code == 200, imported.text
        assert not stack.exited(), stack.logs()
        yield stack
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=90)
        except subprocess.TimeoutExpired:
            up.kill()


def rasa_says(rasa_url: str, sender: str, text: str):
    """A turn sent straight to one Rasa process, as the app sends it; Rasa's replies read as
    the app reads them."""
    metadata = {
        "page_url": "https://tidewater.example/help/cards",
        "customer_name": "Sam Lee",
        "customer_email": None,
        "agents_available": False,
        "language": "en",
    }
    answer = httpx.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": metadata},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    return parse_replies(answer.json())


def test_up_starts_two_app_replicas_and_two_rasa_processes(cluster) -> None:
    assert not cluster.exited(), cluster.logs()
    printed = cluster.output.read_text()
    for n, (app, rasa) in enumerate(zip(cluster.apps, cluster.rasas, strict=True), start=1):
        assert re.search(rf"^app {n}: {app} \(data: .*replica-{n}", printed, re.M), printed
        assert re.search(rf"^Rasa {n}: {rasa} ", printed, re.M), printed
        health = httpx.get(f"{app}/health", timeout=30).json()
        assert (health["status"], health["rasa"], health["database"]) == ("ok", "up", "ok")
        assert httpx.get(rasa, timeout=30).text.startswith("Hello from Rasa")
        assert (cluster.data_dir / f"replica-{n}").is_dir()


def test_a_conversation_keeps_its_state_whichever_rasa_takes_its_turn(cluster, postgres) -> None:
    assert not cluster.exited(), cluster.logs()
    first, second = cluster.rasas
    sender = uuid.uuid4().hex
    answered = rasa_says(first, sender, QUESTION)
    assert [m.article_id for m in answered.messages if m.article_id] == [ANSWER]
    assert answered.messages[-1].text == "Did that answer your question?"

    # The other process reads the conversation where the first left it: the "no" is feedback
    # on that answer, and the next-best article is offered.
    declined = rasa_says(second, sender, "no")
    assert declined.messages[0].text == "Sorry about that. Maybe this one helps:"
    offered = [m.article_id for m in declined.messages if m.article_id]
    assert offered and offered != [ANSWER]

    resolved = rasa_says(first, sender, "yes, that answers it")
    assert "resolve" in [name for name, _ in resolved.signals]
    stored = query(postgres, "select count(*) from rasa.events where sender_id = %s", sender)
    assert stored[0][0] > 0


def test_the_app_spreads_a_conversation_over_both_and_erasure_clears_postgresql(
    cluster, postgres
) -> None:
    app = httpx.Client(base_url=cluster.apps[0], timeout=120)
    email = f"ines.{uuid.uuid4().hex[:8]}@example.com"
    started = app.post(
        "/api/conversations", json={"customer": {"name": "Ines Quarry", "email": email}}
    ).json()
    headers = {"Authorization": f"Bearer {started['token']}"}

    def say(text: str) -> dict[str, Any]:
        turn = app.post(
            f"/api/conversations/{started['id']}/messages", json={"text": text}, headers=headers
        )
        assert turn.status_code == 200, turn.text
        return turn.json()

    # Turns go to each Rasa process in turn: the answer from one, the "no" to the other.
    answered = say(QUESTION)
    assert [m["article_id"] for m in answered["messages"] if m.get("article_id")] == [ANSWER]
    declined = say("no")
    assert declined["status"] == "bot"
    assert declined["messages"][1]["text"] == "Sorry about that. Maybe this one helps:"
    stored = "select count(*) from rasa.events where sender_id = %s and data like %s"
    assert query(postgres, stored, started["id"], f"%{email}%")[0][0] > 0

    erased = subprocess.run(
        [sys.executable, "-m", "cascade.cli", "erase", "--email", email, "--yes"]
        + ["--data-dir", str(cluster.data_dir / "replica-1")],
        cwd=ROOT,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert erased.returncode == 0, erased.stderr
    assert query(
        postgres, "select count(*) from rasa.events where sender_id = %s", started["id"]
    ) == [(0,)]
    assert not table_files_hold(postgres, "rasa.events", email)
    assert not table_files_hold(postgres, "rasa.events", "Ines Quarry")

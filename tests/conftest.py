from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from cascade.app import create_app  # noqa: E402
from cascade.engines import PostgresServer, RedisServer, running_postgres, running_redis  # noqa: E402
from cascade.storage import open_storage  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.db import Storage  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.factories import HashingEmbedder, ScriptedBot, make_agent  # noqa: E402
from tests.helpers import (
    ACTION_SECRET,
    ADMIN,
    ADMIN_HEADERS,  # noqa: E402
    ROOT,
    Live,
    Served,
    free_port,
    mail_env,
    receiving,
    serving_app,
    smtp_sink,
    start_app,
    start_rasa_for_app,
    stop,
    wait_until,
)


@pytest.fixture(autouse=True)
def _sqlite_only(request: pytest.FixtureRequest) -> None:
    """Skips a test marked `sqlite_only` when the database is PostgreSQL's."""
    marker = request.node.get_closest_marker("sqlite_only")
    if marker is not None and os.environ.get("CASCADE_DATABASE_URL"):
        pytest.skip(f"SQLite only: {marker.args[0] if marker.args else 'a SQLite feature'}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The app with a hashing embedder and a scripted bot, served by uvicorn in a thread: real
    sockets; the queue's timers off and the clock moved by the test."""
    clock = ManualClock()
    bot = ScriptedBot()
    settings = Settings(
        data_dir=tmp_path / "data", admin_token=ADMIN, rasa_url="", route_interval_s=0
    )
    app = create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)
    with serving_app(app) as url:
        yield Served(url, app, clock, bot)


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    # Marked `sends_email`: a server with an SMTP server set up, whose mail is never sent (the
    # outbox's timer is off and nothing listens on the port), for what the chat says of email.
    mails = request.node.get_closest_marker("sends_email") is not None
    smtp: dict[str, Any] = (
        {"smtp_host": "127.0.0.1", "smtp_port": free_port(), "outbox_interval_s": 0}
        if mails
        else {}
    )
    return Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN,
        rasa_url="",
        action_secret=ACTION_SECRET,
        **smtp,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def bot() -> ScriptedBot:
    return ScriptedBot()


@pytest.fixture
def client(settings: Settings, bot: ScriptedBot, clock: ManualClock) -> Iterator[TestClient]:
    """The app with a hashing embedder and a scripted bot: fast, for rules and validation."""
    app = create_app(settings, embedder=HashingEmbedder(), bot=bot, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin() -> dict[str, str]:
    return dict(ADMIN_HEADERS)


@pytest.fixture(scope="session")
def real_embedder():
    from knowledge_base.embedder import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """Trained once per fingerprint of config, domain and data; reused from models/ after."""
    from bot.runtime import ensure_model

    project = Settings()
    return ensure_model(project.project_dir, project.rasa_bin, quiet=True)


@pytest.fixture(scope="session")
def live(tmp_path_factory, rasa_model):
    """The app and the real Rasa server, started as processes on free ports, with the demo
    knowledge base imported and email going to an SMTP server on loopback (as `make demo`)."""
    import httpx

    mail = ExitStack()
    mailbox = mail.enter_context(smtp_sink())

    data_dir = tmp_path_factory.mktemp("live")
    app_port = free_port(2)  # and Rasa on the next one: two draws could give one port twice
    rasa_port = app_port + 1
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    rasa = start_rasa_for_app(
        data_dir=data_dir, port=rasa_port, app_port=app_port, model=rasa_model
    )
    app = start_app(
        data_dir=data_dir,
        port=app_port,
        rasa_url=rasa_url,
        admin_token=ADMIN,
        log=data_dir / "app.log",
        env=mail_env(mailbox),
    )
    stack = Live(
        f"http://127.0.0.1:{app_port}",
        rasa_url,
        ADMIN_HEADERS,
        data_dir,
        app,
        rasa,
        os.environ.get("CASCADE_DATABASE_URL"),
    )
    try:
        with stack.client() as client:
            wait_until(
                lambda: client.get("/health").status_code == 200,
                timeout_s=120,
                what="the app answering /health",
                process=app,
            )
            wait_until(
                lambda: httpx.get(rasa_url, timeout=2).status_code == 200,
                timeout_s=300,
                what="Rasa answering",
                process=rasa,
            )
            # Both demo companies, as `make demo` loads them: the bank's English articles and the
            # shop's Japanese ones. The real models embed every article: minutes, not seconds, on
            # a busy machine.
            for company in ("kb", "kb-ja"):
                articles = (ROOT / "data" / company / "articles.jsonl").read_bytes()
                imported = client.post(
                    "/api/kb/import", content=articles, headers=stack.admin, timeout=600
                )
                assert imported.status_code == 200, imported.text
        yield stack
    finally:
        stop(app)
        stop(rasa)
        mail.close()


@pytest.fixture
def on_duty(client, admin):
    """One online agent with the cards skill, so hand-overs wait in the queue."""
    return make_agent(client, admin)


@pytest.fixture
def mailbox():
    """A real SMTP server on loopback: (its handler keeping the envelopes, its port)."""
    with smtp_sink() as sink:
        yield sink


@pytest.fixture
def receiver():
    """A real webhook receiver on loopback, answering with its `statuses` in turn."""
    with receiving() as server:
        yield server


@pytest.fixture
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    """A redis-server of the test's own, stopped after it (or by the test: `.stop()`)."""
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


# -- PostgreSQL -------------------------------------------------------------------------------
# With CASCADE_TEST_POSTGRES=1 the suite runs on PostgreSQL (`make test-postgres`): one throwaway
# cluster for the run, and CASCADE_DATABASE_URL naming an empty database of its own for every
# test, for every fixture broader than a test (an app kept for a module or the session) while it
# is made, and for whatever is built outside both (an app made at import). Processes the tests
# start inherit it. Without the variable nothing changes: each test's SQLite in its data directory.

ON_POSTGRES = os.environ.get("CASCADE_TEST_POSTGRES") == "1"
CLUSTER = pytest.StashKey[PostgresServer]()


def pytest_configure(config: pytest.Config) -> None:
    # Under pytest-xdist (not used today) each worker has a cluster of its own; the controller,
    # which runs no test, none.
    xdist_controller = getattr(config.option, "numprocesses", None) and not hasattr(
        config, "workerinput"
    )
    if not ON_POSTGRES or xdist_controller:
        return
    stack = ExitStack()
    config.add_cleanup(stack.close)
    # In the system's temporary directory: as root, the cluster runs as another user, who
    # cannot enter pytest's (root's own).
    server = stack.enter_context(running_postgres())
    config.stash[CLUSTER] = server
    environment = stack.enter_context(pytest.MonkeyPatch.context())
    environment.setenv("CASCADE_DATABASE_URL", server.fresh_url())
    # A plugin, not this conftest's own hook: pytest asks a session-scoped fixture's setup of
    # the hooks of the session's node, which do not include a conftest below the root.
    config.pluginmanager.register(DatabasePerFixture(server), "cascade-database-per-fixture")


class DatabasePerFixture:
    """Every fixture broader than a test gets an empty database of its own while it is made,
    dropped after its teardown: two apps kept for a module or the session never share one."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
        if fixturedef.scope == "function":
            return (yield)
        url = self.server.fresh_url()
        fixturedef.addfinalizer(lambda: self.server.drop(url))  # after the fixture's teardown
        with pytest.MonkeyPatch.context() as environment:
            environment.setenv("CASCADE_DATABASE_URL", url)
            return (yield)


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> Iterator[PostgresServer]:
    """A PostgreSQL cluster for the session (the run's own on PostgreSQL, else started for the
    tests that ask): `fresh_url()` for an empty database, `connect(name)` to look inside one."""
    server = pytestconfig.stash.get(CLUSTER, None)
    if server is not None:
        yield server
        return
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """An empty PostgreSQL database of the test's own (a SQLAlchemy URL), dropped after it."""
    with postgres_server.fresh() as url:
        yield url


@pytest.fixture(autouse=True)
def database_of_its_own(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL, CASCADE_DATABASE_URL names the test's own empty database."""
    if request.config.stash.get(CLUSTER, None) is not None:
        monkeypatch.setenv("CASCADE_DATABASE_URL", request.getfixturevalue("postgres_url"))


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    """A database on disk with every package's tables, closed after the test."""
    opened = open_storage(tmp_path / "cascade.db")
    yield opened
    opened.close()

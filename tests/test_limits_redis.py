"""Rate limits shared in a real Redis by two `cascade serve` processes, as two replicas behind one
balancer would share them; the same two with `memory://` each count alone. And Redis stopping
under a running app: requests are served unlimited, with a warning in the log.

Each app has a data directory of its own: what the replicas share here is the counts. The client
address is set with X-Forwarded-For, which uvicorn trusts from loopback (a proxy on the host).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from tests.helpers import app_process, wait_until

CUSTOMER = "198.51.100.20"
NEIGHBOUR = "198.51.100.21"


def limited(storage: str, start: str = "4/minute") -> dict[str, str]:
    """An app's settings: limits on (the test processes' default lifts them), counted in `storage`."""
    return {
        "CASCADE_RATE_LIMITS": "true",
        "CASCADE_RATE_LIMIT_STORAGE": storage,
        "CASCADE_RATE_LIMIT_START": start,
    }


@contextmanager
def two_apps(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Two `cascade serve` processes with the same settings, started side by side."""

    def serve(name: str) -> str:
        data_dir = tmp_path / name
        data_dir.mkdir()
        return stack.enter_context(app_process(data_dir, env=env))

    with ExitStack() as stack:
        with ThreadPoolExecutor(2) as pool:
            a, b = pool.map(serve, ("a", "b"))
        yield a, b


def start_conversation(url: str, address: str = CUSTOMER) -> httpx.Response:
    return httpx.post(
        url + "/api/conversations", json={}, headers={"X-Forwarded-For": address}, timeout=30
    )


def assert_refused(response: httpx.Response, rule: str) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["detail"].startswith(f"too many requests (start: at most {rule}")


def test_two_apps_sharing_redis_count_one_limit(redis_server, tmp_path) -> None:
    with two_apps(tmp_path, limited(redis_server.url)) as (a, b):
        started = [start_conversation(url).status_code for url in (a, b, a, b)]
        assert started == [201, 201, 201, 201]
        # Each app has seen only two, yet the fifth is refused, whichever app it reaches.
        assert_refused(start_conversation(a), "4/minute")
        assert_refused(start_conversation(b), "4/minute")
        assert start_conversation(b, NEIGHBOUR).status_code == 201


def test_with_memory_each_app_counts_alone(tmp_path) -> None:
    with two_apps(tmp_path, limited("memory://")) as (a, b):
        started = [start_conversation(url).status_code for url in (a, b) * 4]
        assert started == [201] * 8  # four on each: neither has reached its limit
        assert_refused(start_conversation(a), "4/minute")
        assert_refused(start_conversation(b), "4/minute")


def test_when_redis_stops_requests_are_served_with_a_warning(redis_server, tmp_path) -> None:
    with app_process(tmp_path, env=limited(redis_server.url, "2/minute")) as url:
        assert start_conversation(url).status_code == 201
        assert start_conversation(url).status_code == 201
        assert_refused(start_conversation(url), "2/minute")  # counted in Redis while it runs

        redis_server.stop()
        assert not redis_server.answers()
        after = [start_conversation(url) for _ in range(3)]
        assert [response.status_code for response in after] == [201, 201, 201], after[-1].text
        wait_until(
            lambda: (
                "rate limit storage unavailable; start not limited"
                in (tmp_path / "app.log").read_text()
            ),
            what="the warning in the app's log",
        )


def test_a_redis_that_accepts_and_never_answers_does_not_hold_requests(tmp_path: Path) -> None:
    """A Redis host gone silent (connections accepted, nothing said) is given a second, then the
    request is served unlimited: without a timeout each request would wait forever."""
    import socket
    import threading

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    accepted: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    port = silent.getsockname()[1]
    (tmp_path / "data").mkdir()
    try:
        with app_process(
            tmp_path / "data", env=limited(f"redis://127.0.0.1:{port}", start="2/minute")
        ) as url:
            with httpx.Client(base_url=url, timeout=60) as http:
                started = http.post(
                    "/api/conversations", json={}, headers={"X-Forwarded-For": CUSTOMER}
                )
            assert started.status_code == 201, started.text
            assert accepted, "the app never reached the silent Redis"
    finally:
        stopping.set()
        silent.close()
        for connection in accepted:
            connection.close()

"""A Rasa turn's latency with each tracker store: SQLite in the data directory (the default), and
PostgreSQL with the lock store in Redis (CASCADE_DATABASE_URL, CASCADE_REDIS_URL), on one Rasa
process and on two taking turns of the same conversations (docs/production/scaling-rasa.md).

The app runs alone (`cascade serve`, the bank's English articles) as Rasa's action server; each
turn is posted straight to Rasa's REST channel, one at a time, and timed until Rasa's reply:
the NLU, the tracker store's read and write, the lock, the action call to the app.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.rasa_stores \\
        --database-url postgresql+psycopg://... --redis-url redis://... [--turns 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from benchmarks.common import ADMIN_TOKEN, ROOT, free_port
from bot.runtime import ensure_model, start_rasa
from core.settings import Settings

SECRET = "bench-action-secret"
# Each conversation: a question answered, then a "no" (feedback on that answer: the next article).
QUESTIONS = [
    "how can I lock my card for a while",
    "how do I change my PIN",
    "my card was stolen",
    "how do I set up direct debit",
    "what is the daily cash withdrawal limit",
]
METADATA = {
    "page_url": "https://tidewater.example/help",
    "customer_name": "Sam Lee",
    "customer_email": None,
    "agents_available": False,
    "language": "en",
}


def _wait(check, *, what: str, process: subprocess.Popen, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen")
        time.sleep(0.25)


@contextmanager
def action_server(data_dir: Path) -> Iterator[str]:
    """The app alone with the bank's articles; yields its /webhook URL."""
    port = free_port()
    env = {
        **os.environ,
        "CASCADE_ADMIN_TOKEN": ADMIN_TOKEN,
        "CASCADE_ACTION_SECRET": SECRET,
        "CASCADE_RASA_URL": "",
        "HF_HUB_OFFLINE": "1",
    }
    for name in ("CASCADE_DATABASE_URL", "CASCADE_REDIS_URL"):
        env.pop(name, None)  # the app's own storage stays the same in every variant
    app = subprocess.Popen(
        [sys.executable, "-m", "cascade.cli", "serve", "--data-dir", str(data_dir)]
        + ["--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=(data_dir.parent / "app.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{url}/health").status_code == 200, what="app up", process=app)
        articles = (ROOT / "data" / "kb" / "articles.jsonl").read_bytes()
        httpx.post(
            f"{url}/api/kb/import",
            content=articles,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=600,
        ).raise_for_status()
        yield f"{url}/webhook"
    finally:
        app.terminate()
        app.wait(timeout=60)


@contextmanager
def rasa_processes(
    count: int, *, work: Path, action_url: str, database_url: str | None, redis_url: str | None
) -> Iterator[list[str]]:
    settings = Settings()
    model = ensure_model(settings.project_dir, settings.rasa_bin, quiet=True)
    with ExitStack() as stack:
        urls = []
        for n in range(count):
            port = free_port()
            rasa = start_rasa(
                project_dir=settings.project_dir,
                rasa_bin=settings.rasa_bin,
                model=model,
                port=port,
                action_url=action_url,
                action_secret=SECRET,
                tracker_db=work / "rasa_tracker.db",
                log_file=work / f"rasa-{n}.log",
                database_url=database_url,
                redis_url=redis_url,
            )
            stack.callback(rasa.wait, 60)
            stack.callback(rasa.terminate)
            url = f"http://127.0.0.1:{port}"
            _wait(lambda url=url: httpx.get(url).status_code == 200, what="Rasa up", process=rasa)
            urls.append(url)
        yield urls


def timed_turns(rasa_urls: list[str], turns: int) -> list[float]:
    """`turns` turns, one at a time, handed to the Rasa processes in turn; seconds each."""
    took = []
    with httpx.Client(timeout=120) as http:
        sender = ""
        for n in range(turns):
            conversation, step = divmod(n, 2)
            if step == 0:
                sender = f"bench-{conversation}-{uuid.uuid4().hex[:6]}"
            text = QUESTIONS[conversation % len(QUESTIONS)] if step == 0 else "no"
            started = time.perf_counter()
            reply = http.post(
                f"{rasa_urls[n % len(rasa_urls)]}/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": METADATA},
            )
            took.append(time.perf_counter() - started)
            reply.raise_for_status()
            assert reply.json(), f"Rasa said nothing to {text!r}"
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("CASCADE_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("CASCADE_REDIS_URL"))
    parser.add_argument("--turns", type=int, default=50)
    args = parser.parse_args()
    if not args.database_url or not args.redis_url:
        parser.error("give --database-url and --redis-url (or CASCADE_DATABASE_URL and _REDIS_URL)")
    variants = [
        ("SQLite tracker store, in-memory locks, 1 Rasa", 1, None, None),
        ("PostgreSQL tracker store, Redis locks, 1 Rasa", 1, args.database_url, args.redis_url),
        ("PostgreSQL tracker store, Redis locks, 2 Rasa", 2, args.database_url, args.redis_url),
    ]
    print(f"{args.turns} turns each, one at a time (a question, then a 'no' to its answer)")
    print(f"{'variant':<48} {'p50':>7} {'p90':>7} {'mean':>7}")
    with tempfile.TemporaryDirectory(prefix="cascade-bench-") as tmp:
        data = Path(tmp) / "app" / "data"
        data.mkdir(parents=True)
        with action_server(data) as action_url:
            for n, (name, count, database_url, redis_url) in enumerate(variants):
                work = Path(tmp) / f"variant-{n}"
                work.mkdir()
                with rasa_processes(
                    count,
                    work=work,
                    action_url=action_url,
                    database_url=database_url,
                    redis_url=redis_url,
                ) as urls:
                    timed_turns(urls, 4)  # warm-up: the first turns load what Rasa loads lazily
                    took = sorted(timed_turns(urls, args.turns))
                ms = [t * 1000 for t in took]
                p90 = ms[int(len(ms) * 0.9) - 1]
                print(
                    f"{name:<48} {statistics.median(ms):>5.0f}ms {p90:>5.0f}ms "
                    f"{statistics.mean(ms):>5.0f}ms"
                )


if __name__ == "__main__":
    main()

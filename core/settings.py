"""The app runtime's settings: one pydantic-settings class, read through `get_settings()`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting can be given as an environment variable `CASCADE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="CASCADE_", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_DIR / "var" / "data",
        description="Directory holding the SQLite database, the FAISS index and Rasa's tracker store.",
    )
    database_pool: int | None = Field(
        default=None,
        description="Database connections each app process keeps open (empty: 64 on SQLite, 10 on PostgreSQL).",
    )
    rasa_url: str | None = Field(
        default="http://127.0.0.1:5005",
        description="Base URL of the Rasa server, or several separated by commas (Rasa processes "
        "sharing a tracker store and a lock store: turns go to them in turn); empty means no bot "
        "(every chat goes to a person).",
    )
    database_url: str | None = Field(
        default=None,
        description="A PostgreSQL database (postgresql+psycopg://user:password@host:port/name) "
        "shared by every replica; unset: the SQLite file in the data directory. Rasa's tracker "
        "store goes to the same database, in its own schema `rasa`.",
    )
    rasa_timeout_s: float = Field(
        default=15.0, description="How long to wait for Rasa's reply before handing over."
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token holding every role (admin, editor, agent, ops, supervisor). No default.",
    )
    embedding_model: str | None = Field(
        default=None,
        description="Empty: all-mpnet-base-v2 (set up by `make setup`, run with ONNX Runtime); "
        "all-MiniLM-L6-v2: the packaged smaller model; or the folder of a sentence-transformers model.",
    )
    answer_threshold: float | None = Field(
        default=None,
        description="Knowledge search answers only when the best article scores at least this. "
        "Empty: calibrated on the knowledge base itself (README, 'How the bot decides').",
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$",
        description="The address Cascade is reached at (https://support.example.com): emails about "
        "a ticket link back to the chat with it. Empty: emails carry no link.",
    )
    answer_margin: float | None = Field(
        default=None,
        description=(
            "... and leads the runner-up article by at least this much. Empty: calibrated."
        ),
    )
    clarify_threshold: float | None = Field(
        default=None,
        description=(
            "Articles scoring at least this (but not answerable) are offered as choices."
            " Empty: calibrated."
        ),
    )
    clarify_window: float | None = Field(
        default=None,
        description=(
            "A clarification offers the top two articles, and the third within this much of"
            " the best (or scoring at least the clarify limit itself). Empty: tuned."
        ),
    )
    kb_lexical_weight: float | None = Field(
        default=None,
        description=(
            "Knowledge search ranks by cosine plus this times the lexical agreement (0-1: the"
            " idf-weighted share of the question's words an article's title and examples use)."
            " Empty: tuned."
        ),
    )
    kb_calibration: bool = Field(
        default=True,
        description=(
            "Calibrate the answer and clarify limits on the published articles after every"
            " change (README, 'How the bot decides'). Off: the embedding model's standard limits."
        ),
    )
    kb_target_wrong: float = Field(
        default=0.02,
        ge=0.001,
        le=0.5,
        description="Calibration's target: the most questions like the examples answered wrongly.",
    )
    kb_target_out_of_scope: float = Field(
        default=0.01,
        ge=0.001,
        le=0.5,
        description="Calibration's target: the most out-of-scope questions answered.",
    )
    kb_candidates: int = Field(
        default=10,
        description="How many nearest articles by meaning are re-scored with lexical agreement.",
    )
    kb_ivf_from: int = Field(
        default=50_000,
        description="From this many published articles the index is rebuilt as IVF (approximate).",
    )
    kb_nprobe: int = Field(default=16, description="IVF lists searched per query.")
    offer_timeout_s: float = Field(
        default=30.0, description="An offer not accepted within this goes to the next agent."
    )
    skill_wait_s: float = Field(
        default=120.0,
        description="After waiting this long, a chat may go to any agent, not only the skilled.",
    )
    max_wait_s: float = Field(
        default=600.0, description="After waiting this long in the queue, a chat becomes a ticket."
    )
    default_handle_s: float = Field(
        default=300.0,
        description="Handle time assumed for wait estimates until agents have handled chats.",
    )
    route_interval_s: float = Field(
        default=1.0, description="How often the queue checks offer timeouts and wait limits."
    )
    business_hours: str = Field(
        default="mon-fri 09:00-17:00",
        description="When SLA clocks run, e.g. 'mon-fri 09:00-17:00' or 'always'.",
    )
    business_timezone: str = Field(default="UTC", description="Time zone of the business hours.")
    live_chat_hours: str = Field(
        default="always",
        description="When chats may wait for a live agent (business-hours syntax); outside them a "
        "hand-over becomes a ticket at once.",
    )
    sla_first_response_min: dict[str, int] = Field(
        default_factory=lambda: {"urgent": 30, "high": 60, "normal": 240, "low": 480},
        description="First-response target per ticket priority, in business minutes.",
    )
    sla_resolution_min: dict[str, int] = Field(
        default_factory=lambda: {"urgent": 240, "high": 480, "normal": 1440, "low": 2880},
        description="Resolution target per ticket priority, in business minutes.",
    )
    queue_wait_target_s: float = Field(
        default=300.0,
        description="Service level for a chat waiting in the queue (warning at 75 %, then breach).",
    )
    fcr_window_days: float = Field(
        default=7.0,
        description="A contact counts as resolved first time only if the customer does not come "
        "back on the same topic within this many days.",
    )
    durable_window_h: float = Field(
        default=72.0,
        description="A resolution is durable when the same customer (visitor id, email or signed "
        "user id) does not come back within this many hours; coming back counts as a reopen.",
    )
    identity_secret: SecretStr | None = Field(
        default=None,
        description="The company's key for signed customer identities: the widget's data-user-id "
        "is trusted only with data-user-hash = hex HMAC-SHA256 of the id with this key. No default "
        "(unset: user ids are ignored).",
    )
    idle_limit_s: float = Field(
        default=1800.0,
        description="A chat with the bot or in the queue whose customer has written nothing for "
        "this long is abandoned; one whose last bot turn was an answer (or only thanks for it) "
        "is resolved, as assumed; a hand-over waiting on an address is filed as a ticket. "
        "A chat with an agent is abandoned when its customer has also had no chat open (no "
        "socket, no read of the chat) for this long.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for customer email; unset: email is not sent."
    )
    smtp_port: int = Field(default=25, description="SMTP port.")
    smtp_from: str = Field(default="support@cascade.invalid", description="Sender address.")
    smtp_username: str | None = Field(default=None, description="SMTP login, if needed.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password, if needed.")
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the SMTP connection with STARTTLS."
    )
    socket_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description='Web origins allowed to open the socket.io channel (JSON list; ["*"]: any '
        "site, so a Rasa web widget works on the company's own pages; [] only this app's own).",
    )
    webhook_urls: list[str] = Field(
        default_factory=list,
        description="URLs that receive signed ticket and handoff events (JSON list in the env).",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key for the X-Cascade-Signature header. No default."
    )
    outbox_max_attempts: int = Field(
        default=6, description="Deliveries tried this many times before the dead-letter."
    )
    outbox_backoff_s: float = Field(
        default=5.0, description="First retry after this; each further retry waits twice as long."
    )
    outbox_interval_s: float = Field(
        default=2.0, description="How often the delivery worker looks for due messages. 0: off."
    )
    project_dir: Path = Field(
        default=PROJECT_DIR,
        description="Repository root: Rasa's config, domain, data and models live here.",
    )
    rasa_bin: Path = Field(
        default=PROJECT_DIR / ".venv-rasa" / "bin" / "rasa",
        description="The Rasa executable (Python 3.10 runtime); the server runs with the Python "
        "beside it (python -m bot.rasa run).",
    )
    action_secret: SecretStr | None = Field(
        default=None,
        description="What Rasa sends as `Authorization: Bearer <secret>` when it calls the app's "
        "action endpoint (/webhook); endpoints.yml reads the same CASCADE_ACTION_SECRET. "
        "`cascade up` makes one when unset; `cascade serve` without one refuses every action call.",
    )
    rasa_failures_to_open: int = Field(
        default=3,
        ge=1,
        description="After this many calls to Rasa in a row time out, fail to connect or get a "
        "5xx, chats are handed over at once without calling Rasa until it answers again.",
    )
    rasa_probe_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="While Rasa is taken for down, how often its root URL is asked whether it is "
        "back.",
    )
    presence_timeout_s: float = Field(
        default=90.0,
        ge=0,
        description="An online agent whose console has sent no heartbeat for this long is set "
        "away: their offers go to the next agent and their chats back to the queue. Consoles "
        "send one every third of this. 0: off. Agents driven only through the API (no console "
        "heartbeat yet) are not watched.",
    )
    unanswered_bot_wait_s: float = Field(
        default=120.0,
        description="At start-up, customer messages wait up to this long for the bot to come up "
        "(it may be starting alongside): those a crash left unanswered, and new ones the bot "
        "cannot take yet, until it first answers. Then they are answered as always (handed "
        "over if the bot is still down); afterwards a bot that stops answering hands chats "
        "over at once. 0: never wait.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Closed conversations with nothing new for this many days are purged once a "
        "day (`cascade purge`): what the customer wrote and who they are go, the figures stay. "
        "Unset: kept forever.",
    )
    free_disk_warning_mb: int = Field(
        default=1024,
        ge=0,
        description="/health says degraded when the data directory's disk has less free space "
        "than this many MB.",
    )
    session_hours: float = Field(
        default=12.0,
        gt=0,
        description="A staff sign-in (email and password) lasts this many hours; then the page "
        "asks to sign in again.",
    )
    sign_in_limit: str = Field(
        default="10 per 15 minutes",
        description="Failed sign-ins allowed for one email address from one client address in "
        "this window (the limits library's notation); more get 429 with Retry-After there.",
    )
    sign_in_email_limit: str = Field(
        default="100 per 15 minutes",
        description="Failed sign-ins for one email from all addresses; known browsers apart.",
    )
    sign_in_client_limit: str = Field(
        default="50 per 15 minutes",
        description="Failed sign-ins allowed from one client address, whatever the email.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="The largest request body the API takes, in bytes; a larger one is refused "
        "with 413 before it is read (knowledge imports, test runs, articles and Rasa's action "
        "calls have their own, larger limits).",
    )
    kb_import_max_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="The largest knowledge import (POST /api/kb/import), in bytes: counted as it "
        "arrives and refused with 413 once past it.",
    )
    rate_limits: bool = Field(
        default=True,
        description="Per-client rate limits (the CASCADE_RATE_LIMIT_* settings). Off (false) "
        "for load tests and benchmarks that drive many chats from one address.",
    )
    rate_limit_storage: str | None = Field(
        default=None,
        description="Where the rate limits count: memory:// (this process) or a Redis URI "
        "(redis://host:6379, shared by several app processes). Empty: CASCADE_REDIS_URL when "
        "it is set, else memory://.",
    )
    rate_limit_start: str = Field(
        default="30/minute;300/hour",
        description="Conversations one client address may start (limits' notation, several "
        "separated by ';'; empty: no limit).",
    )
    rate_limit_messages: str = Field(
        default="60/minute;600/hour",
        description="Messages customers at one client address may send.",
    )
    rate_limit_search: str = Field(
        default="30/minute;300/hour",
        description="Knowledge searches (POST /api/kb/search) from one client address.",
    )
    rate_limit_transcripts: str = Field(
        default="10/hour",
        description="Transcript emails one client address may ask for.",
    )
    rate_limit_sockets: str = Field(
        default="60/minute;600/hour",
        description="socket.io connections one client address may open.",
    )
    transcripts_per_conversation: int = Field(
        default=3, ge=0, description="How often one chat's transcript may be emailed (429 after)."
    )
    unwritten_limit_s: float = Field(
        default=3600.0,
        ge=0,
        description="A conversation in which the customer has not written for this long after "
        "it started is closed (abandoned; not a contact in the figures). 0: never.",
    )
    audit_keep_days: int = Field(
        default=365,
        ge=0,
        description="Days the audit log of staff actions keeps a row (older rows are removed "
        "as new ones are written, at most hourly). 0: kept forever.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis shared by several app replicas (redis://host:6379/0): pushes reach "
        "a socket on any replica, the timers run on one replica at a time, and the rate limits "
        "count there too; Rasa's lock store goes there, so several Rasa processes can share "
        "conversations. Empty: one process, nothing shared (docs/production/scaling-redis.md).",
    )
    timer_lease_s: float = Field(
        default=10.0,
        ge=1.0,
        description="With CASCADE_REDIS_URL: the timers' lease, renewed by its holder every third "
        "of this; when the holder dies, another replica runs the timers within this much.",
    )
    embed_batch_window_ms: float = Field(
        default=2.0,
        ge=0,
        le=1000,
        description="Knowledge searches that arrive while the model is busy are embedded in "
        "one run; the first of them waits up to this long (ms) for more (a search alone never "
        "waits). 0: each question is embedded alone.",
    )
    embed_batch_max: int = Field(
        default=16,
        ge=1,
        le=256,
        description="The most questions embedded in one run (see embed_batch_window_ms).",
    )

    @property
    def rate_limit_store(self) -> str:
        """Where the rate limits count: as set, else the shared Redis, else this process."""
        return self.rate_limit_storage or self.redis_url or "memory://"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "cascade.db"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "kb.faiss"

    @property
    def tracker_store_path(self) -> Path:
        return self.data_dir / "rasa_tracker.db"


def revealed(secret: SecretStr | None) -> str | None:
    """A secret setting's value; None when it is not set."""
    return secret.get_secret_value() if secret else None


@lru_cache
def get_settings() -> Settings:
    return Settings()

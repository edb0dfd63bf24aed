# convstore developer commands. Every target creates the virtualenv first if needed.
VENV ?= .venv
BIN := $(VENV)/bin
CONVSTORE_URL ?= sqlite:///conversations.db

.PHONY: demo test migrate rollback status lint format bench bench-quick bench-transfer bench-import soak clean

$(BIN)/convstore: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,agent,openai-agents,pydantic-ai,langgraph]'
	touch $@

demo: $(BIN)/convstore  ## store a short conversation on the SQLite default and show it
	$(BIN)/convstore demo

test: $(BIN)/convstore  ## the whole test suite, on SQLite and PostgreSQL
	$(BIN)/python -m pytest

migrate: $(BIN)/convstore  ## apply migrations to $(CONVSTORE_URL)
	@$(BIN)/convstore --url '$(CONVSTORE_URL)' migrate

rollback: $(BIN)/convstore  ## roll back every migration of $(CONVSTORE_URL)
	@$(BIN)/convstore --url '$(CONVSTORE_URL)' rollback

status: $(BIN)/convstore
	@$(BIN)/convstore --url '$(CONVSTORE_URL)' status

lint: $(BIN)/convstore  ## ruff, the formatter, mypy, and the package's layers (import-linter)
	$(BIN)/ruff check convstore tests bench
	$(BIN)/ruff format --check convstore tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(BIN)/convstore
	$(BIN)/ruff format convstore tests bench
	$(BIN)/ruff check --fix convstore tests bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis

bench: $(BIN)/convstore  ## speed on both databases, beside baselines; writes bench/results.md, bench/import-results.md, bench/attachments-results.md and bench/writes-results.md
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.attachments
	$(BIN)/python -m bench.writes

bench-quick: $(BIN)/convstore  ## a small version of the benchmark
	$(BIN)/python -m bench.run --quick
	$(BIN)/python -m bench.imports --quick
	$(BIN)/python -m bench.attachments --quick
	$(BIN)/python -m bench.writes --quick

soak: $(BIN)/convstore  ## the soak tests for a minute each (CONVSTORE_SOAK_SECONDS)
	CONVSTORE_SOAK_SECONDS=$${CONVSTORE_SOAK_SECONDS:-60} $(BIN)/python -m pytest -q tests/test_soak.py tests/test_concurrency.py

bench-transfer: $(BIN)/convstore  ## SQLite -> PostgreSQL transfer beside plain COPY; writes bench/transfer-results.md
	$(BIN)/python -m bench.transfer

bench-import: $(BIN)/convstore  ## only the imports of make bench: OpenAI JSONL and a ChatGPT export; writes bench/import-results.md
	$(BIN)/python -m bench.imports

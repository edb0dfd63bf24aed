"""The report files: the database's own shell and the Python runner return the
same rows, and `convstore report` prints them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import datetime, timezone

import pytest

import convstore
from convstore.cli import main
from convstore.sqlfiles.catalog import queries_of, report_names

PARAMS = {"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z", "limit": 10}


@pytest.fixture(params=["sqlite", "postgres"])
def seeded_url(request, sqlite_url, scratch_databases, user):
    """A database of its own (reports read every user's rows) with two users,
    two models with known latencies, tool calls, and an unanswered conversation."""
    database_url = sqlite_url if request.param == "sqlite" else scratch_databases.create()
    convstore.migrate(database_url)
    call = {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
    with convstore.connect(database_url) as store:
        answered = store.create_conversation(user, title="answered")
        batch = [{"role": "user", "content": "q", "tokens": 5}]
        for latency in range(1, 21):
            batch.append(
                {
                    "role": "assistant",
                    "content": "a",
                    "tokens": latency,
                    "latency_ms": latency * 10,
                    "metadata": {"model": "small"},
                }
            )
        batch += [
            {"role": "assistant", "content": None, "tool_calls": [call, call]},
            {"role": "tool", "content": "21C", "tool_call_id": "c1", "name": "weather"},
            {"role": "assistant", "content": "x", "latency_ms": 999, "metadata": {"model": "big"}},
            {"role": "assistant", "function_call": {"name": "book", "arguments": "{}"}},
            {"role": "function", "name": "book", "content": "booked"},
        ]
        store.add_messages(answered, batch)
        waiting = store.create_conversation(f"{user}-2", title="waiting")
        store.add_message(waiting, "user", "hello?", tokens=2)
    return database_url


def _shell_rows(url: str, dialect: str, path, params: dict) -> list[dict]:
    if dialect == "sqlite":
        script = "".join(f".parameter set :{k} \"'{v}'\"\n" for k, v in params.items())
        script += f".read {path}\n"
        command = ["sqlite3", "-batch", "-csv", "-header", url.removeprefix("sqlite:///")]
        output = subprocess.run(command, input=script, capture_output=True, text=True, check=True)
    else:
        variables = [arg for k, v in params.items() for arg in ("-v", f"{k}='{v}'")]
        command = ["psql", url, "-X", "--csv", "-v", "ON_ERROR_STOP=1", *variables, "-f", str(path)]
        output = subprocess.run(command, capture_output=True, text=True, check=True)
    return list(csv.DictReader(io.StringIO(output.stdout)))


def _same(value, text: str) -> bool:
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text in ("t", "1", "true")
    if isinstance(value, float):
        return abs(value - float(text)) < 1e-6 * max(1.0, abs(value))
    if isinstance(value, datetime):
        shown = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        if shown.tzinfo is None or len(text) > 3 and text[-3] in "+-" and ":" not in text[-3:]:
            shown = datetime.fromisoformat(text.replace(" ", "T") + ":00")
        return value == shown.astimezone(timezone.utc)
    return str(value) == text


@pytest.mark.parametrize("report", report_names("sqlite"))
def test_shell_and_runner_agree(seeded_url, report):
    dialect = "sqlite" if seeded_url.startswith("sqlite") else "postgres"
    query = queries_of(dialect)[report]
    params = {name: PARAMS[name] for name in query.parameters}
    with convstore.connect(seeded_url) as store:
        expected = store.run(report, **params)
    shown = _shell_rows(seeded_url, dialect, query.path, params)
    assert expected, f"{report} returned nothing for the seed"
    assert [list(row) for row in expected][0] == list(shown[0])
    for expected_row, shown_row in zip(expected, shown, strict=True):
        for column, value in expected_row.items():
            assert _same(value, shown_row[column]), (report, column, value, shown_row[column])


def test_reports_compute_what_they_say(seeded_url, user):
    with convstore.connect(seeded_url) as store:
        since, until = PARAMS["since"], PARAMS["until"]
        models = {row["model"]: row for row in store.run("model_usage", since=since, until=until)}
        tools = store.run("tool_usage", since=since, until=until)
        waiting = store.run("unanswered_conversations", since=since, limit=10)
    assert models["small"]["messages"] == 20 and models["small"]["tokens"] == 210
    assert models["small"]["avg_latency_ms"] == pytest.approx(105.0)
    assert models["small"]["p95_latency_ms"] == 190  # nearest rank: the 19th of 20
    assert models["big"]["p95_latency_ms"] == 999
    assert tools == [  # legacy function calls and results count too
        {"tool": "weather", "calls": 2, "results": 1},
        {"tool": "book", "calls": 1, "results": 1},
    ]
    assert [row["title"] for row in waiting] == ["waiting"]


def test_cli_prints_a_report_as_json(seeded_url, capsys):
    args = ["--url", seeded_url, "report", "tool_usage", "--format", "json"]
    args += [f"--param={name}={PARAMS[name]}" for name in ("since", "until")]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"tool": "weather", "calls": 2, "results": 1},
        {"tool": "book", "calls": 1, "results": 1},
    ]
    assert main(["--url", seeded_url, "report", "tool_usage"]) == 2
    assert "needs --param for: since, until" in capsys.readouterr().err

"""Reports answer the same on SQLite and PostgreSQL: the same rows of the same
types from identical data, for every report and bounds with and without zones.
A report's days are UTC days and a bound without a zone is UTC on both
databases, whatever the session's TimeZone: the report files run by hand (as
psql and sqlite3 would send them) give what convstore's runner gives."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

import convstore
from convstore import InvalidInput, validation
from convstore.cli import main
from convstore.db.rows import row_dicts
from convstore.sqlfiles.catalog import queries_of, report_names
from convstore.sqlfiles.parser import load_query
from convstore.transfer.jsonl import import_conversations
from convstore.types import POSTGRES

TEST_SQL = Path(__file__).parent / "sql"
SET_TIME_ZONE = load_query(TEST_SQL / "set_time_zone.sql", POSTGRES, "set_time_zone")
FAR_FROM_UTC = "Pacific/Kiritimati"  # UTC+14: most local dates differ from UTC ones
ALICE, BOB = "alice", "Bob"  # byte order puts Bob first; most collations put alice first
BUSY = "00000000-0000-4000-8000-000000000001"
WAITING = "00000000-0000-4000-8000-000000000002"
OLD = "00000000-0000-4000-8000-000000000003"
EMPTY = "00000000-0000-4000-8000-000000000004"
AVERAGED = "00000000-0000-4000-8000-000000000005"
CAROL = "carol"
CALL = {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
LAST_OF_DAY = "2026-11-01T23:59:59.999999+00:00"
FIRST_OF_DAY = "2026-11-02T00:00:00.000000+00:00"

# (created_at, chat message, convstore extras) per conversation
MESSAGES = {
    BUSY: [
        ("2026-10-31T23:59:59.999999+00:00", {"role": "user", "content": "q"}, {"tokens": 3}),
        (
            "2026-11-01T00:00:00.000000+00:00",
            {"role": "assistant", "content": "a"},
            {"tokens": 7, "latency_ms": 13333, "metadata": {"model": "small"}},
        ),
        (
            "2026-11-01T00:00:00.500000+00:00",
            {"role": "assistant", "content": "b"},
            {"latency_ms": 13333, "metadata": {"model": "small"}},
        ),
        (
            "2026-11-01T09:59:59.999999+00:00",
            {"role": "assistant", "content": "c"},
            {"latency_ms": 13334, "metadata": {"model": "small"}},
        ),
        (
            "2026-11-01T10:00:00.000000+00:00",
            {"role": "assistant", "content": None, "tool_calls": [CALL, CALL]},
            {"latency_ms": 5, "metadata": {"model": "Big"}},
        ),
        (
            "2026-11-01T10:00:01.000000+00:00",
            {"role": "tool", "content": "21C", "tool_call_id": "c1", "name": "weather"},
            {},
        ),
        (
            "2026-11-01T13:00:00.000000+00:00",
            {"role": "assistant", "content": "d"},
            {"latency_ms": 1, "metadata": {"model": 7}},
        ),
        (
            "2026-11-01T14:00:00.000000+00:00",
            {"role": "assistant", "content": "e"},
            {"latency_ms": 9, "metadata": {"model": None}},
        ),  # a null model has latencies too
        (LAST_OF_DAY, {"role": "user", "content": "late"}, {"tokens": 1}),
        (FIRST_OF_DAY, {"role": "user", "content": "early"}, {"tokens": 2}),
    ],
    WAITING: [
        ("2026-11-01T12:00:00.000000+00:00", {"role": "user", "content": "hello?"}, {"tokens": 2}),
        (FIRST_OF_DAY, {"role": "user", "content": "anyone?"}, {}),
    ],
    OLD: [("2026-10-30T08:00:00.000000+00:00", {"role": "user", "content": "old"}, {})],
    EMPTY: [],
    AVERAGED: [  # before every report's period
        (
            f"2026-09-15T08:00:0{second}.000000+00:00",
            {"role": "assistant", "content": "x"},
            {"latency_ms": latency},
        )
        for second, latency in enumerate([13333, 13333, 13334])
    ],
}
OWNERS = {BUSY: ALICE, WAITING: BOB, OLD: ALICE, EMPTY: BOB, AVERAGED: CAROL}

BOUNDS = [
    ("2026-11-01", "2026-11-02"),  # bare dates
    ("2026-11-01T00:00:00", "2026-11-01T23:59:59.999999"),  # no zone
    ("2026-11-01T02:00:00+02:00", "2026-11-01T10:00:00.5+10:00"),  # offsets
    ("2026-10-31T23:59:59.999999Z", "2026-11-01T10:00:00Z"),
    ("2026-11-01T00:00:00.5", "2026-11-02T00:00:00.000001"),  # fractions of 1 and 6 digits
    ("2026-10-31T14:00:00-10:00", "2026-11-01T14:00:00.123-10:00"),
    ("2026-10-01", "2026-12-01"),  # everything
    ("2026-11-01T00:00:00,5Z", "2026-11-01T10:00:00.0000009Z"),  # a comma; past the microsecond
]


def corpus_lines() -> list[str]:
    lines = []
    for conversation_id, messages in MESSAGES.items():
        times = [created for created, _, _ in messages] or ["2026-11-01T06:00:00+00:00"]
        conversation = {
            "id": conversation_id,
            "user_id": OWNERS[conversation_id],
            "title": conversation_id[-1],
            "metadata": {},
            "created_at": times[0],
            "updated_at": times[-1],
        }
        stored = [
            {"seq": seq, "created_at": created, **extras}
            for seq, (created, _, extras) in enumerate(messages, start=1)
        ]
        chat = [message for _, message, _ in messages]
        record = {"messages": chat, "convstore": {"conversation": conversation, "messages": stored}}
        lines.append(json.dumps(record))
    return lines


@pytest.fixture(scope="module")
def pair(tmp_path_factory, scratch_databases) -> dict[str, str]:
    """The corpus in a SQLite file and a PostgreSQL database of their own
    (reports read every user's rows): {dialect: url}."""
    urls = {
        "sqlite": f"sqlite:///{tmp_path_factory.mktemp('parity') / 'reports.db'}",
        "postgres": scratch_databases.create(),
    }
    for url in urls.values():
        convstore.migrate(url)
        with convstore.connect(url) as store:
            import_conversations(store, corpus_lines())
    return urls


def _params(report: str, since: str, until: str) -> dict[str, object]:
    given = {"since": since, "until": until, "limit": 10}
    return {name: given[name] for name in queries_of("sqlite")[report].parameters}


def _typed(rows: list[dict]) -> list[list[tuple[str, type, object]]]:
    """Rows with each value's type, so that 3 and 3.0 or '7' and 7 differ."""
    return [[(column, type(value), value) for column, value in row.items()] for row in rows]


def _runner_rows(url: str, report: str, params: dict) -> list[dict]:
    with convstore.connect(url) as store:
        return store.run(report, **params)


def _psql_rows(url: str, report: str, params: dict, zone: str) -> list[dict]:
    """The report's statement sent as psql sends it, on a session in ``zone``."""
    query = queries_of(POSTGRES)[report]
    with psycopg.connect(url) as connection:
        shown = connection.execute(SET_TIME_ZONE.statement, {"zone": zone}).fetchone()
        assert shown == (zone,)
        cursor = connection.execute(query.statement, params)
        return row_dicts([column.name for column in cursor.description], cursor.fetchall())


def _sqlite3_rows(url: str, report: str, params: dict) -> list[dict]:
    """The report file's statement on a plain sqlite3 connection."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        cursor = connection.execute(queries_of("sqlite")[report].sql, params)
        return row_dicts([column[0] for column in cursor.description], cursor.fetchall())
    finally:
        connection.close()


@pytest.mark.parametrize(("since", "until"), BOUNDS)
@pytest.mark.parametrize("report", report_names("sqlite"))
def test_same_rows_on_both_databases_and_by_hand(pair, report, since, until):
    params = _params(report, since, until)
    on_sqlite = _runner_rows(pair["sqlite"], report, params)
    on_postgres = _runner_rows(pair["postgres"], report, params)
    assert _typed(on_postgres) == _typed(on_sqlite)
    assert _typed(_psql_rows(pair["postgres"], report, params, FAR_FROM_UTC)) == _typed(on_sqlite)
    assert _typed(_psql_rows(pair["postgres"], report, params, "UTC")) == _typed(on_sqlite)
    assert _typed(_sqlite3_rows(pair["sqlite"], report, params)) == _typed(on_sqlite)
    checked = {name: validation.report_parameter(name, value) for name, value in params.items()}
    assert _typed(_runner_rows(pair["postgres"], report, checked)) == _typed(on_sqlite)
    assert _typed(_runner_rows(pair["sqlite"], report, checked)) == _typed(on_sqlite)


@pytest.fixture(scope="module")
def icu_postgres_url(scratch_databases):
    """The corpus in a PostgreSQL database whose default collation is ICU's
    English one (alice before Bob), made and dropped with createdb/dropdb."""
    admin = urlsplit(scratch_databases.admin_url)
    server = ["-h", admin.hostname, "-p", str(admin.port or 5432), "-U", admin.username]
    name = f"convstore_test_icu_{uuid.uuid4().hex[:8]}"
    icu = ["--locale-provider=icu", "--icu-locale=en", "--locale=C.UTF-8", "-T", "template0"]
    subprocess.run(["createdb", *server, *icu, name], check=True)
    url = admin._replace(path=f"/{name}").geturl()
    try:
        convstore.migrate(url)
        with convstore.connect(url) as store:
            import_conversations(store, corpus_lines())
        yield url
    finally:
        subprocess.run(["dropdb", *server, "--force", name], check=True)


@pytest.mark.parametrize("report", report_names("sqlite"))
def test_rows_sort_alike_whatever_the_collation(pair, icu_postgres_url, report):
    params = _params(report, "2026-10-01", "2026-12-01")
    on_sqlite = _runner_rows(pair["sqlite"], report, params)
    assert _typed(_runner_rows(icu_postgres_url, report, params)) == _typed(on_sqlite)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_days_are_utc_days(pair, dialect):
    """The last microsecond of a UTC day and the first of the next are counted
    on their own days, by the runner and (PostgreSQL) by a session at UTC+14."""
    params = {"since": "2026-10-31", "until": "2026-11-03"}
    expected = [
        {"user_id": ALICE, "day": "2026-10-31", "messages": 1, "tokens": 3},
        {"user_id": BOB, "day": "2026-11-01", "messages": 1, "tokens": 2},
        {"user_id": ALICE, "day": "2026-11-01", "messages": 8, "tokens": 8},
        {"user_id": BOB, "day": "2026-11-02", "messages": 1, "tokens": 0},
        {"user_id": ALICE, "day": "2026-11-02", "messages": 1, "tokens": 2},
    ]
    assert _runner_rows(pair[dialect], "messages_per_user_per_day", params) == expected
    if dialect == "postgres":
        by_hand = _psql_rows(pair[dialect], "messages_per_user_per_day", params, FAR_FROM_UTC)
        assert by_hand == expected


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_a_bound_without_a_zone_is_utc(pair, dialect):
    """'2026-11-02' is 2026-11-02T00:00:00Z: the message at that instant is in
    [2026-11-02, 2026-11-03) and the one a microsecond earlier is not."""
    params = {"since": "2026-11-02", "until": "2026-11-03"}
    days = [row["day"] for row in _runner_rows(pair[dialect], "messages_per_user_per_day", params)]
    assert days == ["2026-11-02", "2026-11-02"]
    if dialect == "postgres":
        by_hand = _psql_rows(pair[dialect], "messages_per_user_per_day", params, FAR_FROM_UTC)
        assert [row["day"] for row in by_hand] == days


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_model_usage_groups_models_alike(pair, dialect):
    """A model that is not a string is its JSON text, a JSON null a NULL model
    (counted, as PostgreSQL's ? counts it); names sort in byte order."""
    params = {"since": "2026-10-01", "until": "2026-12-01"}
    rows = _runner_rows(pair[dialect], "model_usage", params)
    assert [(row["model"], row["messages"]) for row in rows] == [
        ("small", 3),
        (None, 1),
        ("7", 1),
        ("Big", 1),
    ]
    assert rows[0]["avg_latency_ms"] == 40000 / 3  # one division of the exact sum


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
@pytest.mark.parametrize("word", ["yesterday", "now", "today", "epoch", "infinity"])
def test_cli_refuses_relative_words(pair, dialect, word, capsys):
    args = ["--url", pair[dialect], "report", "messages_per_user_per_day"]
    args += ["--param", f"since={word}", "--param", "until=2026-12-01"]
    assert main(args) == 2
    assert "--param since must be an ISO 8601 timestamp" in capsys.readouterr().err


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_store_run_refuses_relative_words(pair, dialect):
    with convstore.connect(pair[dialect]) as store:
        with pytest.raises(InvalidInput, match="since must be an ISO 8601 timestamp"):
            store.run("messages_per_user_per_day", since="yesterday", until="2026-12-01")


@pytest.mark.parametrize(
    ("given", "bound"),
    [
        ("2026-11-01", "2026-11-01T00:00:00.000000Z"),
        ("2026-11-01T00:00:00", "2026-11-01T00:00:00.000000Z"),
        ("2026-11-01T02:00:00.5+02:00", "2026-11-01T00:00:00.500000Z"),
        ("2026-10-31T23:59:59.9999999z", "2026-10-31T23:59:59.999999Z"),
        ("2026-11-01 01:00-0100", "2026-11-01T02:00:00.000000Z"),
    ],
)
def test_report_parameter_binds_stored_utc_text(given, bound):
    assert validation.report_parameter("since", given) == bound
    assert validation.report_parameter("created_at", given) == bound


@pytest.mark.parametrize("given", ["yesterday", "now", "1 day ago", "", "2026-11-01 Europe/Paris"])
def test_report_parameter_refuses_what_is_not_iso_8601(given):
    with pytest.raises(InvalidInput, match="since must be an ISO 8601 timestamp"):
        validation.report_parameter("since", given)
    with pytest.raises(InvalidInput, match="limit"):
        validation.report_parameter("limit", 0)

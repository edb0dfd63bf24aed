"""Importing simonw/llm's logs.db (convstore.transfer.llm_logs): files built
from llm's documented schema (tests/fixtures/llm/), read and imported on
both databases, every value found where the reader's docstring says."""

from __future__ import annotations

import base64
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import pytest

import convstore
from convstore.errors import InvalidInput
from convstore.sqlfiles.catalog import catalogue
from convstore.transfer.importing import Imported, Skipped, import_source
from convstore.transfer.llm_logs import (
    conversation_id,
    lone_response_conversation_id,
    read_llm_logs,
)
from convstore.transfer.sources import SourceConversation, SourceProblem

FIXTURES = Path(__file__).parent / "fixtures" / "llm"
C = "01jt0000000000000000000c0"
"""The ids of logs_rows.sql's conversations but their last digit."""
R = "01jt0000000000000000000r0"
"""The ids of its responses but their last digit."""
PNG = bytes.fromhex("89504E470D0A1A0A0000000D49484452")
WAV = bytes.fromhex("524946462400000057415645666D7420")
SEEN = ("role", "content", "tool_calls", "tool_call_id", "tokens", "latency_ms", "extra")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path, migrated_sqlite_file, scratch_databases):
    """A store on a database of its own: an llm conversation's id is the
    same wherever its log is imported, so two tests importing one fixture
    would share it."""
    if request.param == "sqlite":
        with closing(sqlite3.connect(migrated_sqlite_file)) as source:
            with closing(sqlite3.connect(tmp_path / "own.db")) as copy:
                source.backup(copy)
        url = f"sqlite:///{tmp_path / 'own.db'}"
    else:
        url = scratch_databases.create()
    with convstore.connect(url, migrate=True) as opened:
        yield opened


def _logs_db(tmp_path: Path, *rows: str, schema: str = "logs_schema.sql") -> Path:
    path = tmp_path / "logs.db"
    with closing(sqlite3.connect(path)) as connection:
        for script in (schema, *rows):
            connection.executescript((FIXTURES / script).read_text(encoding="utf-8"))
    return path


def _at(*moment: int) -> datetime:
    return datetime(*moment, tzinfo=timezone.utc)


def _llm(response: int, **values) -> dict:
    return {"llm": {"response_id": f"{R}{response}", **values}}


def _answer(response: int, model: str = "gpt-4o-mini", **values) -> dict:
    """The extra of a response's assistant message: its columns, NULL unless given."""
    columns = dict.fromkeys(
        (
            "resolved_model",
            "input_tokens",
            "schema_id",
            "reasoning",
            "options_json",
            "prompt_json",
            "response_json",
            "token_details",
        )
    )
    return _llm(response, model=model, **{**columns, **values})


def _seen(message: dict) -> dict:
    return {field: message[field] for field in SEEN}


def _message(role: str, content, extra: dict, **fields) -> dict:
    return {
        "role": role,
        "content": content,
        "tool_calls": None,
        "tool_call_id": None,
        "tokens": fields.pop("tokens", None),
        "latency_ms": None,
        "extra": extra,
        **fields,
    }


FIND_RESTAURANTS = {
    "id": 1,
    "hash": "t1hash",
    "name": "find_restaurants",
    "description": "Restaurants in a city.",
    "input_schema": {
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "type": "object",
    },
    "plugin": "llm-tools-food",
}
WEATHER = {
    "id": 2,
    "hash": "t2hash",
    "name": "weather",
    "description": "Today's weather.",
    "input_schema": {"properties": {}, "type": "object"},
    "plugin": None,
}

LISBON = [
    _message("system", "You are a travel agent.", _llm(1)),
    _message(
        "user",
        [
            {"type": "text", "text": "Two days in Lisbon?"},
            {
                "type": "image_url",
                "image_url": {"url": f"data:image/png;base64,{base64.b64encode(PNG).decode()}"},
            },
            {"type": "image_url", "image_url": {"url": "https://example.com/tram.jpg"}},
        ],
        _llm(
            1,
            attachments=[
                {"id": "a-png", "type": "image/png", "path": None, "url": None},
                {
                    "id": "a-jpg",
                    "type": "image/jpeg",
                    "path": None,
                    "url": "https://example.com/tram.jpg",
                },
            ],
        ),
    ),
    _message(
        "assistant",
        "Start in Alfama.",
        _answer(
            1,
            resolved_model="gpt-4o-mini-2024-07-18",
            input_tokens=20,
            options_json={"temperature": 0.5},
            prompt_json={"messages": [{"role": "user", "content": "Two days in Lisbon?"}]},
            response_json={"id": "chatcmpl-1", "usage": {"total_tokens": 25}},
            token_details={"cached_tokens": 0},
        ),
        tokens=5,
        latency_ms=840,
    ),
    _message("user", "What about food?", _llm(2)),  # the same system prompt: no new message
    _message(
        "assistant",
        "",
        _answer(
            2,
            input_tokens=40,
            schema_id="5c4e6a",
            reasoning="The user wants places to eat.",
            options_json={},
            schema={"type": "object", "properties": {"name": {"type": "string"}}},
            tools=[FIND_RESTAURANTS],
            tool_calls=[{"id": 1, "tool_id": 1, "tool_call_id": "call_abc"}],
        ),
        tool_calls=[
            {
                "id": "call_abc",
                "type": "function",
                "function": {"name": "find_restaurants", "arguments": '{"city": "Lisbon"}'},
            }
        ],
        tokens=12,
        latency_ms=1200,
    ),
    _message(
        "tool",
        '["Time Out Market"]',
        _llm(
            3,
            tool_result={
                "id": 1,
                "tool_id": 1,
                "name": "find_restaurants",
                "tool_call_id": "call_abc",
                "instance_id": 1,
                "exception": None,
            },
            instance={
                "id": 1,
                "plugin": "llm-tools-food",
                "name": "Food",
                "arguments": {"region": "PT"},
            },
        ),
        tool_call_id="call_abc",
    ),
    _message(  # the chain's empty prompt sent no user message
        "assistant",
        "Try Time Out Market.",
        _answer(3, input_tokens=60, options_json={}, tools=[FIND_RESTAURANTS]),
        tokens=6,
        latency_ms=300,
    ),
    _message("system", "You are terse.", _llm(4)),
    _message(
        "user",
        [
            {"type": "text", "text": "Context: it is May."},
            {"type": "text", "text": "Anything else?"},
        ],
        _llm(
            4,
            fragments=[
                {
                    "id": 1,
                    "hash": "f1hash",
                    "source": "notes.md",
                    "datetime_utc": "2025-05-01T08:59:00+00:00",
                }
            ],
        ),
    ),
    _message("assistant", "Belém.", _answer(4)),
]
LISBON_TIMES = [_at(2025, 5, 1, 9, 0, 0, 123456)] * 3 + [_at(2025, 5, 1, 9, 1, 0, 500000)] * 2
LISBON_TIMES += [_at(2025, 5, 1, 9, 1, 2)] * 2 + [_at(2025, 5, 1, 9, 5)] * 3

WEATHER_CHAT = [
    _message(
        "system",
        "House rules.\n\nBe brief.",  # llm's Prompt.system: fragments stripped, a blank line
        _llm(
            5,
            system="Be brief.",
            fragments=[
                {
                    "id": 2,
                    "hash": "f2hash",
                    "source": "rules.txt",
                    "datetime_utc": "2025-05-02T09:59:00+00:00",
                }
            ],
        ),
    ),
    _message("user", "Weather?", _llm(5)),
    _message(
        "assistant",
        "",
        _answer(
            5,
            "gemini-2.5-flash",
            input_tokens=8,
            options_json={},
            tools=[WEATHER],
            tool_calls=[{"id": 2, "tool_id": 2, "tool_call_id": None}],
        ),
        tool_calls=[
            {
                "id": "llm-tool-call-2",
                "type": "function",
                "function": {"name": "weather", "arguments": "{}"},
            }
        ],
        tokens=3,
        latency_ms=50,
    ),
    _message(
        "tool",
        "sunny",
        _llm(
            6,
            tool_result={
                "id": 2,
                "tool_id": 2,
                "name": "weather",
                "tool_call_id": None,
                "instance_id": None,
                "exception": None,
            },
            attachment_ids=["a-wav"],
        ),
        tool_call_id="llm-tool-call-2",  # paired with the call that had no id either
    ),
    _message(
        "user",
        [
            {
                "type": "input_audio",
                "input_audio": {"data": base64.b64encode(WAV).decode(), "format": "wav"},
            }
        ],
        _llm(6, attachments=[{"id": "a-wav", "type": "audio/wav", "path": None, "url": None}]),
    ),
    _message(
        "assistant",
        "It is sunny.",
        _answer(6, "gemini-2.5-flash", input_tokens=30, options_json={}),
        tokens=4,
        latency_ms=70,
    ),
]

PDF = {"id": "a-pdf", "type": "application/pdf", "path": "/home/alice/report.pdf", "url": None}
LONE = [
    _message(
        "user",
        [
            {"type": "text", "text": "Summarise the report."},
            {"type": "llm_attachment", "llm_attachment": PDF},  # llm kept no bytes of it
        ],
        _llm(7, attachments=[PDF]),
    ),
    _message(
        "assistant",
        "It says hello.",
        _answer(7, input_tokens=100, options_json={}),
        tokens=4,
        latency_ms=900,
    ),
]


def _check_stored(stored, expected, times):
    assert [m["seq"] for m in stored] == list(range(1, len(expected) + 1))
    for message, wanted, created_at in zip(stored, expected, times, strict=True):
        # a count llm gave is kept; none (the prompt's input_tokens counts the
        # whole history, not this message) is convstore's estimate
        assert message["tokens_estimated"] is (wanted["tokens"] is None), message["seq"]
        if wanted["tokens"] is None:
            wanted = {**wanted, "tokens": message["tokens"]}
        assert _seen(message) == wanted, message["seq"]
        assert message["created_at"] == created_at, message["seq"]


def test_every_value_of_logs_db_is_imported_where_documented_and_once(store, user, tmp_path):
    path = _logs_db(tmp_path, "logs_rows.sql")
    entries = list(read_llm_logs(path))
    assert all(isinstance(entry, SourceConversation) for entry in entries)
    assert [entry.where for entry in entries] == [
        f"conversation {C}1",
        f"conversation {C}2",
        f"response {R}7",
    ]
    assert entries[0].messages[1][0] == f"response {R}1 prompt"

    imported = list(import_source(store, entries, user_id=user))
    assert imported == [
        Imported(f"conversation {C}1", 1, 10),
        Imported(f"conversation {C}2", 1, 6),
        Imported(f"response {R}7", 1, 2),
    ]
    assert [
        (i.conversations, i.messages)
        for i in import_source(store, read_llm_logs(path), user_id=user)
    ] == [(0, 0)] * 3

    lisbon = store.get_conversation(conversation_id(f"{C}1"))
    assert lisbon["user_id"] == user and lisbon["title"] == "Lisbon trip"
    assert lisbon["extra"] == {"llm": {"conversation_id": f"{C}1", "model": "gpt-4o-mini"}}
    assert (lisbon["created_at"], lisbon["updated_at"]) == (
        _at(2025, 5, 1, 9, 0, 0, 123456),
        _at(2025, 5, 1, 9, 5),
    )
    _check_stored(lisbon["messages"], LISBON, LISBON_TIMES)

    weather = store.get_conversation(conversation_id(f"{C}2"))
    assert weather["title"] == "Weather"
    assert weather["extra"] == {"llm": {"conversation_id": f"{C}2", "model": "gemini-2.5-flash"}}
    _check_stored(
        weather["messages"],
        WEATHER_CHAT,
        [_at(2025, 5, 2, 10)] * 3 + [_at(2025, 5, 2, 10, 0, 1)] * 3,
    )

    lone = store.get_conversation(lone_response_conversation_id(f"{R}7"))
    assert lone["title"] is None and lone["extra"] == {"llm": {"conversation_id": None}}
    assert lone["created_at"] == lone["updated_at"] == _at(2025, 4, 30, 8)
    _check_stored(lone["messages"], LONE, [_at(2025, 4, 30, 8)] * 2)


def test_an_old_logs_db_is_read_as_far_as_its_columns_go(store, user, tmp_path):
    """llm 0.22's file: no schemas, fragments or tools; no resolved_model,
    schema_id or reasoning columns, so no such keys."""
    path = _logs_db(tmp_path, "logs_rows_0_22.sql", schema="logs_schema_0_22.sql")
    old = "01hq0000000000000000000"
    (entry,) = read_llm_logs(path)
    assert list(import_source(store, [entry], user_id=user)) == [
        Imported(f"conversation {old}c01", 1, 5)
    ]
    haiku = store.get_conversation(conversation_id(f"{old}c01"))
    assert haiku["title"] == "Haiku" and haiku["extra"]["llm"]["model"] == "gpt-4"

    def answer(response: str, input_tokens: int) -> dict:
        columns = dict.fromkeys(("prompt_json", "response_json", "token_details"))
        return {
            "llm": {
                "response_id": f"{old}{response}",
                "model": "gpt-4",
                "input_tokens": input_tokens,
                "options_json": {},
                **columns,
            }
        }

    gif = {"id": "a-gif", "type": "image/gif", "path": None, "url": "https://example.com/pond.gif"}
    expected = [
        _message("system", "You are a poet.", {"llm": {"response_id": f"{old}r01"}}),
        _message(
            "user",
            [
                {"type": "text", "text": "A haiku about this"},
                {"type": "image_url", "image_url": {"url": "https://example.com/pond.gif"}},
            ],
            {"llm": {"response_id": f"{old}r01", "attachments": [gif]}},
        ),
        _message("assistant", "Old pond, a frog.", answer("r01", 15), tokens=7, latency_ms=1500),
        _message("user", "Another", {"llm": {"response_id": f"{old}r02"}}),
        _message("assistant", "Autumn moon.", answer("r02", 30), tokens=4, latency_ms=1100),
    ]
    times = [_at(2024, 2, 1, 12, 0, 0, 250000)] * 3 + [_at(2024, 2, 1, 12, 1, 0, 1)] * 2
    _check_stored(haiku["messages"], expected, times)


def test_an_unreadable_row_is_a_problem_of_its_conversation_and_the_others_import(
    store, user, tmp_path
):
    path = _logs_db(tmp_path, "logs_rows.sql", "corrupt_rows.sql")
    entries = list(read_llm_logs(path))
    problems = [entry for entry in entries if isinstance(entry, SourceProblem)]
    assert [problem.where for problem in problems] == [f"conversation {C}3", f"conversation {C}4"]
    time, options = (problem.reason for problem in problems)
    assert time.startswith("response 01jt0000000000000000000r32: datetime_utc")
    assert "'yesterday'" in time
    assert options.startswith("response 01jt0000000000000000000r41: options_json is not JSON")

    outcomes = list(import_source(store, entries, user_id=user, skip_invalid=True))
    assert [type(outcome) for outcome in outcomes] == [
        Imported,
        Imported,
        Skipped,
        Skipped,
        Imported,
    ]
    assert store.get_conversation(conversation_id(f"{C}2"))["message_count"] == 6
    assert store.get_conversation(conversation_id(f"{C}3")) is None  # none of it, not half
    with pytest.raises(InvalidInput, match=f"conversation {C}3: response"):
        list(import_source(store, read_llm_logs(path), user_id=user))


def test_what_llm_0_32_logged_elsewhere_is_reported_not_lost(tmp_path):
    path = _logs_db(tmp_path, "logs_rows.sql", "turns_rows.sql")
    *conversations, last = read_llm_logs(path)
    assert len(conversations) == 3
    assert last.where == "turns" and "(turns: 1)" in last.reason


@pytest.mark.parametrize(
    ("found", "complaint"),
    [
        (None, "there is no SQLite database at"),
        ("text", "is not a SQLite database"),
        ("not_llm_schema.sql", "lacks table conversations, responses.model, responses.prompt,"),
    ],
)
def test_a_file_that_is_not_llms_log_is_refused_naming_why(tmp_path, found, complaint):
    path = tmp_path / "logs.db"
    if found == "text":
        path.write_text("not a database, only text\n" * 100)
    elif found is not None:
        path = _logs_db(tmp_path, schema=found)
    with pytest.raises(InvalidInput, match=complaint):
        next(read_llm_logs(path))


def test_the_readers_statements_are_sqlites_only():
    assert "llm.responses" in catalogue("sqlite")
    assert not [name for name in catalogue("postgres") if name.startswith("llm.")]

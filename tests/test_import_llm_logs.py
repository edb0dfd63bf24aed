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


def _llm(response: int | str, **values) -> dict:
    """The extra of a response's message (a number: logs_rows.sql's)."""
    response_id = f"{R}{response}" if isinstance(response, int) else response
    return {"llm": {"response_id": response_id, **values}}


def _answer(response: int | str, model: str = "gpt-4o-mini", **values) -> dict:
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


def _check_stored(stored, expected, times, first_seq=1):
    assert [m["seq"] for m in stored] == list(range(first_seq, first_seq + len(expected)))
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


# -- the message store of llm 0.32 and later --------------------------------------------

T = "01k20000000000000000000t0"
"""The ids of store_rows.sql's threads but their last digit."""
U = "01k20000000000000000000u0"
"""The ids of its turns but their last digit."""
TURN_COLUMNS = (
    "resolved_model",
    "input_tokens",
    "schema_id",
    "options_json",
    "token_details",
    "response_json",
)


def _sent(turn: int | str, message_hash: str, **values) -> dict:
    """The extra of a message of the store that a turn sent (a number: store_rows.sql's)."""
    turn_id = f"{U}{turn}" if isinstance(turn, int) else turn
    return {"llm": {"turn_id": turn_id, "message_hash": message_hash, **values}}


def _reply(turn: int | str, message_hash: str | None, model: str = "gpt-5.6-luna", **values):
    """The extra of a turn's reply: its columns, NULL unless given (no
    message hash for a reply of no message)."""
    extra = _sent(turn, message_hash, model=model, **{**dict.fromkeys(TURN_COLUMNS), **values})
    if message_hash is None:
        del extra["llm"]["message_hash"]
    return extra


def _thread(name: str, tip: str, datetime_utc: str, forked_from: str | None = None) -> dict:
    return {
        "name": name,
        "tip_message_hash": tip,
        "forked_from": forked_from,
        "datetime_utc": datetime_utc,
    }


WEATHER_TOOL = {
    "id": 21,
    "hash": "t21hash",
    "name": "weather",
    "description": "Today's weather.",
    "input_schema": {"properties": {"city": {"type": "string"}}, "type": "object"},
    "plugin": None,
}
CLOCK = {"id": 31, "plugin": "llm-tools-clock", "name": "Clock", "arguments": {"zone": "UTC"}}
CLOCK_TOOL = {
    "id": 22,
    "hash": "t22hash",
    "name": "Clock_time",
    "description": "The time in a city.",
    "input_schema": {"properties": {"city": {"type": "string"}}, "type": "object"},
    "plugin": "llm-tools-clock",
    "instance": CLOCK,  # the configured toolbox that provided it
}
PNG_PART = {
    "type": "image_url",
    "image_url": {"url": f"data:image/png;base64,{base64.b64encode(PNG).decode()}"},
}

PELICAN = [
    _message("system", "Be brief.", _sent(1, "b2:a1")),
    _message(
        "user",
        [{"type": "text", "text": "Name a pelican"}, PNG_PART],
        _sent(
            1,
            "b2:a2",
            parts=[  # what the image_url part does not say
                {
                    "position": 1,
                    "type": "attachment",
                    "attachment": {
                        "id": "png-sha256",
                        "type": "image/png",
                        "path": None,
                        "url": None,
                    },
                }
            ],
        ),
    ),
    _message(
        "assistant",
        "Percy.",
        _reply(
            1,
            "b2:a3",
            resolved_model="gpt-5.6-luna-2026-07-01",
            input_tokens=30,
            options_json={"temperature": 0.5},
            token_details={"reasoning_tokens": 12},
            response_json={"id": "resp_1", "output": [{"$": "r.0"}]},  # condensed, as llm keeps it
            parts=[
                {
                    "position": 0,
                    "type": "reasoning",
                    "text": "Pelicans are dignified.",
                    "provider_metadata": {"openai": {"id": "rs_1", "encrypted_content": "gAAAA"}},
                }
            ],
        ),
        tokens=5,
        latency_ms=840,
    ),
    _message("user", "Weather and time in Lisbon?", _sent(2, "b2:a4")),
    _message(
        "assistant",
        None,  # no text: the calls only
        _reply(
            2,
            "b2:a5",
            input_tokens=50,
            tools=[WEATHER_TOOL, CLOCK_TOOL],
            parts=[
                {
                    "position": 1,
                    "type": "tool_call",
                    "provider_metadata": {"gemini": {"thought_signature": "c2ln"}},
                }
            ],
        ),
        tool_calls=[
            {
                "id": "call_w1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Lisbon"}'},
            },
            {
                "id": "call_c1",
                "type": "function",
                "function": {"name": "Clock_time", "arguments": '{"city": "Lisbon"}'},
            },
        ],
        tokens=20,
        latency_ms=600,
    ),
    _message(  # one tool message of llm's, two results: two tool messages
        "tool",
        "sunny",
        _sent(3, "b2:a6", parts=[{"position": 0, "type": "tool_result", "name": "weather"}]),
        tool_call_id="call_w1",
    ),
    _message(
        "tool",
        "",
        _sent(
            3,
            "b2:a6",
            parts=[
                {
                    "position": 1,
                    "type": "tool_result",
                    "name": "Clock_time",
                    "exception": "ValueError: no clock",
                }
            ],
            instance=CLOCK,
        ),
        tool_call_id="call_c1",
    ),
    _message(
        "assistant",
        "Sunny; the clock failed.",
        _reply(3, "b2:a7", input_tokens=80, tools=[WEATHER_TOOL, CLOCK_TOOL]),
        tokens=7,
        latency_ms=300,
    ),
    _message("user", "A long report.\nSummarise.", _sent(4, "b2:a8")),  # the fragment's text
    _message(
        "assistant",
        "Short.",
        _reply(
            4,
            "b2:a9",
            "claude-sonnet-5",
            input_tokens=95,
            schema_id="sch1",
            schema={"type": "object"},
            fragments=[
                {
                    "kind": "prompt",
                    "id": 11,
                    "hash": "f11hash",
                    "source": "report.txt",
                    "datetime_utc": "2026-08-05 10:04:00",
                }
            ],
            provider_metadata={"anthropic": {"stop_reason": "end_turn"}},
        ),
        tokens=2,
        latency_ms=450,
    ),
]
PELICAN_TIMES = [_at(2026, 8, 5, 10, 0, 0, 123456)] * 3 + [_at(2026, 8, 5, 10, 1, 0, 500000)] * 2
PELICAN_TIMES += [_at(2026, 8, 5, 10, 1, 2, 1)] * 3 + [_at(2026, 8, 5, 10, 5)] * 2


def test_every_value_of_the_message_store_is_imported_where_documented_and_once(
    store, user, tmp_path
):
    path = _logs_db(tmp_path, "logs_rows.sql", "store_rows.sql")
    entries = list(read_llm_logs(path))
    assert all(isinstance(entry, SourceConversation) for entry in entries)
    assert [entry.where for entry in entries] == [
        f"conversation {C}1",
        f"conversation {C}2",
        f"conversation {T}1",
        f"conversation {T}3",
        f"response {R}7",
        f"conversation {T}2",  # a fork after its parent
    ]
    assert [place for place, _ in entries[2].messages[5:7]] == [
        f"turn {U}3 message b2:a6 part 0",
        f"turn {U}3 message b2:a6 part 1",
    ]

    imported = list(import_source(store, entries, user_id=user))
    assert [(i.where, i.conversations, i.messages) for i in imported] == [
        (f"conversation {C}1", 1, 10),
        (f"conversation {C}2", 1, 6),
        (f"conversation {T}1", 1, 10),
        (f"conversation {T}3", 1, 2),
        (f"response {R}7", 1, 2),
        (f"conversation {T}2", 1, 2),
    ]
    again = list(import_source(store, read_llm_logs(path), user_id=user))
    assert [(i.conversations, i.messages) for i in again] == [(0, 0)] * 6

    pelican = store.get_conversation(conversation_id(f"{T}1"))
    assert pelican["user_id"] == user and pelican["title"] == "Name a pelican"
    thread = _thread("Name a pelican", "b2:a9", "2026-08-05 10:00:00.200000+00:00")
    assert pelican["extra"] == {"llm": {"conversation_id": f"{T}1", "thread": thread}}
    assert (pelican["created_at"], pelican["updated_at"]) == (PELICAN_TIMES[0], PELICAN_TIMES[-1])
    _check_stored(pelican["messages"], PELICAN, PELICAN_TIMES)

    fork_id = conversation_id(f"{T}2")
    branch = store.get_branch(fork_id)
    assert (branch["parent_id"], branch["fork_seq"]) == (conversation_id(f"{T}1"), 3)
    fork = store.get_conversation(fork_id)
    assert fork["title"] == "Another one?"
    thread = _thread("Another one?", "b2:b2", "2026-08-06 09:00:00+00:00", forked_from=f"{T}1")
    assert fork["extra"] == {"llm": {"conversation_id": f"{T}2", "thread": thread}}
    own = [message for message in fork["messages"] if message["seq"] > 3]
    _check_stored(
        own,
        [
            _message("user", "Another one?", _sent(5, "b2:b1")),
            _message(
                "assistant",
                "Pelagia.",
                _reply(5, "b2:b2", input_tokens=40),
                tokens=3,
                latency_ms=200,
            ),
        ],
        [_at(2026, 8, 6, 9, 0, 1)] * 2,
        first_seq=4,
    )

    silent = store.get_conversation(conversation_id(f"{T}3"))
    assert (silent["created_at"], silent["updated_at"]) == (
        _at(2026, 8, 7, 12),  # the thread's time: llm made it before logging the turn
        _at(2026, 8, 7, 12, 0, 0, 500000),
    )
    _check_stored(
        silent["messages"],
        [
            _message("user", "Say nothing.", _sent(6, "b2:c1")),
            _message(  # its tip is its parent: a reply of no message
                "assistant", "", _reply(6, None, input_tokens=4), tokens=0, latency_ms=90
            ),
        ],
        [_at(2026, 8, 7, 12, 0, 0, 500000)] * 2,
    )


def test_a_conversation_in_both_generations_of_tables_is_imported_once(store, user, tmp_path):
    """Its legacy responses, then its thread from its first turn on; the
    response of the dual-write era only as its turn."""
    path = _logs_db(tmp_path, "dual_write_rows.sql")
    dual = "01jx0000000000000000000c05"
    (entry,) = read_llm_logs(path)
    assert entry.where == f"conversation {dual}"
    assert list(import_source(store, [entry], user_id=user)) == [
        Imported(f"conversation {dual}", 1, 6)
    ]
    assert [
        (i.conversations, i.messages)
        for i in import_source(store, read_llm_logs(path), user_id=user)
    ] == [(0, 0)]

    stored = store.get_conversation(conversation_id(dual))
    assert stored["title"] == "Dual"  # its conversations row's, not the thread's
    thread = _thread("Second?", "b2:d6", "2026-07-26 08:00:01+00:00")
    assert stored["extra"] == {
        "llm": {"conversation_id": dual, "model": "gpt-4o-mini", "thread": thread}
    }
    r51, r52 = "01jx0000000000000000000r51", "01jx0000000000000000000r52"
    expected = [
        _message("user", "First?", _llm(r51)),
        _message(
            "assistant",
            "One.",
            _answer(r51, input_tokens=3, options_json={}),
            tokens=2,
            latency_ms=100,
        ),
        # the thread's first messages, First? and One., llm sent again: not read again
        _message("user", "Second?", _sent(r52, "b2:d3")),
        _message(
            "assistant",
            "Two.",
            _reply(r52, "b2:d4", "gpt-4o-mini", input_tokens=9),
            tokens=2,
            latency_ms=110,
        ),
        _message("user", "Third?", _sent(f"{U[:-1]}53", "b2:d5")),
        _message(
            "assistant",
            "Three.",
            _reply(f"{U[:-1]}53", "b2:d6", "gpt-4o-mini", input_tokens=15),
            tokens=2,
            latency_ms=120,
        ),
    ]
    times = [_at(2026, 7, 20, 8)] * 2 + [_at(2026, 7, 26, 8)] * 2 + [_at(2026, 8, 1, 8)] * 2
    _check_stored(stored["messages"], expected, times)


def test_an_unreadable_thread_is_a_problem_of_its_own_and_the_others_import(store, user, tmp_path):
    path = _logs_db(tmp_path, "store_rows.sql", "store_corrupt_rows.sql")
    entries = list(read_llm_logs(path))
    assert [(type(entry).__name__, entry[0]) for entry in entries] == [
        ("SourceConversation", f"conversation {T}1"),
        ("SourceConversation", f"conversation {T}3"),
        ("SourceProblem", f"conversation {T}4"),
        ("SourceProblem", f"conversation {T}5"),
        ("SourceProblem", f"conversation {T}7"),
        ("SourceConversation", f"conversation {T}8"),
        ("SourceProblem", f"conversation {T}8"),  # the turn it moved on from
        ("SourceConversation", f"conversation {T}2"),
        ("SourceProblem", f"conversation {T}6"),
    ]
    reasons = [entry.reason for entry in entries if isinstance(entry, SourceProblem)]
    assert reasons[0].startswith(f"turn {U}7: datetime_utc must be an ISO 8601 timestamp")
    assert reasons[1] == (
        "tip_message_hash: the chain of messages that ends at b2:f2 does not reach a first "
        "message (message b2:gone is not in messages, or the parent links loop)"
    )
    assert reasons[2].startswith("part 62: payload is not JSON")
    assert reasons[3] == (
        f"turns {U[:-1]}10 of its thread are not on the chain of messages that ends at its "
        "tip_message_hash (the thread moved on from them): not read"
    )
    assert reasons[4] == (
        f"forked_from: thread {T[:-1]}99 is not in the file, or could not be read"
    )

    outcomes = list(import_source(store, entries, user_id=user, skip_invalid=True))
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "Imported",
        "Imported",
        "Skipped",
        "Skipped",
        "Skipped",
        "Imported",
        "Skipped",
        "Imported",
        "Skipped",
    ]
    moved_on = store.get_conversation(conversation_id(f"{T}8"))
    assert [
        (m["role"], m["content"], m["extra"]["llm"]["turn_id"]) for m in moved_on["messages"]
    ] == [
        ("user", "Pick one.", f"{U[:-1]}11"),
        ("assistant", "This one.", f"{U[:-1]}11"),
    ]
    assert store.get_conversation(conversation_id(f"{T}4")) is None  # none of it, not half
    with pytest.raises(InvalidInput, match=f"conversation {T}4: turn {U}7: datetime_utc"):
        list(import_source(store, read_llm_logs(path), user_id=user))


@pytest.mark.parametrize(
    ("found", "complaint"),
    [
        (None, "there is no SQLite database at"),
        ("text", "is not a SQLite database"),
        ("not_llm_schema.sql", "lacks table conversations, responses.model, responses.prompt,"),
        ("half_store_schema.sql", "lacks threads.forked_from, threads.datetime_utc, table turns,"),
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

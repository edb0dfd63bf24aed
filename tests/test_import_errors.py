"""Every failure of the importers is a typed convstore error (InvalidInput for
bad input) that names the line or row, and nothing of a bad line or row is
stored; on SQLite and PostgreSQL, from tutorial databases of both kinds."""

from __future__ import annotations

import copy
import gzip
import io
import json
import sqlite3
import tracemalloc
import uuid
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

import convstore
from convstore import InvalidInput
from convstore.cli import main
from convstore.sqlfiles.parser import load_query
from convstore.transfer.importing import Skipped, import_source
from convstore.transfer.jsonl import (
    conversation_of_line,
    export_conversations,
    import_conversations,
    read_lines,
)
from convstore.transfer.lines import LINE_PIECE, MAX_LINE_BYTES, read_json_lines
from convstore.transfer.sources import SourceConversation, SourceProblem
from convstore.transfer.tutorial import import_legacy

SQL = Path(__file__).parent / "sql"


class _Missing:
    def __repr__(self) -> str:  # the same in every process: test ids are built from it
        return "MISSING"


MISSING = _Missing()
"""In a test case: remove the field instead of setting it."""


# -- JSONL -----------------------------------------------------------------------------


def _line(conversation_id: str, user: str) -> dict:
    """A valid export line of two messages."""
    return {
        "messages": [
            {"role": "user", "content": "Two days in Lisbon?"},
            {"role": "assistant", "content": "Start in Alfama."},
        ],
        "convstore": {
            "conversation": {
                "id": conversation_id,
                "user_id": user,
                "title": "Trip",
                "metadata": {"channel": "web"},
                "created_at": "2026-11-25T10:00:00+00:00",
                "updated_at": "2026-11-25T10:01:00+00:00",
            },
            "messages": [
                {
                    "seq": 1,
                    "name": None,
                    "tokens": 8,
                    "latency_ms": None,
                    "pinned": False,
                    "metadata": {},
                    "idempotency_key": "k1",
                    "created_at": "2026-11-25T10:00:00Z",
                },
                {
                    "seq": 2,
                    "name": None,
                    "tokens": 5,
                    "latency_ms": 840,
                    "pinned": False,
                    "metadata": {"model": "m"},
                    "idempotency_key": None,
                    "created_at": "2026-11-25T10:01:00Z",
                },
            ],
        },
    }


def _changed(record: dict, path: tuple, value: object) -> dict:
    changed = copy.deepcopy(record)
    *parents, last = path
    target = changed
    for step in parents:
        target = target[step]
    if value is MISSING:
        del target[last]
    else:
        target[last] = value
    return changed


CONVERSATION = ("convstore", "conversation")
STORED = ("convstore", "messages")
BROKEN_FIELDS = [
    # missing, at every depth
    (("messages",), MISSING),
    (("convstore",), MISSING),
    (CONVERSATION, MISSING),
    (STORED, MISSING),
    ((*CONVERSATION, "id"), MISSING),
    ((*CONVERSATION, "user_id"), MISSING),
    ((*CONVERSATION, "created_at"), MISSING),
    ((*CONVERSATION, "updated_at"), MISSING),
    (("messages", 1, "role"), MISSING),
    ((*STORED, 1, "seq"), MISSING),
    ((*STORED, 0, "created_at"), MISSING),
    # wrong types, at every depth
    (("messages",), {"role": "user"}),
    (("convstore",), []),
    (CONVERSATION, "c-1"),
    (STORED, None),
    (("messages", 0), "hello"),
    ((*STORED, 1), [1, "2026-11-25"]),
    ((*CONVERSATION, "id"), ""),
    ((*CONVERSATION, "id"), 42),
    ((*CONVERSATION, "user_id"), 7),
    ((*CONVERSATION, "user_id"), ""),
    ((*CONVERSATION, "user_id"), "u" * 256),
    ((*CONVERSATION, "title"), ["Trip"]),
    ((*CONVERSATION, "title"), "a\x00b"),
    ((*CONVERSATION, "metadata"), ["web"]),
    ((*CONVERSATION, "metadata"), json.loads('{"k": ' * 70 + "1" + "}" * 70)),  # too deep
    (("messages", 0, "role"), "wizard"),
    (("messages", 0, "content"), 12),
    (("messages", 0, "content"), None),
    (("messages", 1, "tool_calls"), {"id": "c1"}),
    (("messages", 1, "tool_calls"), ["c1"]),
    ((*STORED, 1, "seq"), "2"),
    ((*STORED, 1, "seq"), True),
    ((*STORED, 1, "seq"), 0),
    ((*STORED, 1, "seq"), 1),  # the same seq twice
    ((*STORED, 1, "idempotency_key"), "k1"),  # the same key twice
    ((*STORED, 1, "idempotency_key"), "k" * 256),
    ((*STORED, 1, "tokens"), -1),
    ((*STORED, 1, "tokens"), "5"),
    ((*STORED, 1, "tokens"), 2.5),
    ((*STORED, 1, "latency_ms"), 2**31),
    ((*STORED, 1, "pinned"), "yes"),
    ((*STORED, 1, "metadata"), "{}"),
    ((*STORED, 1, "metadata"), {"x": [1, {"y": "a\x00b"}]}),  # NUL, deep
    # timestamps: one rule, before SQL
    ((*CONVERSATION, "created_at"), "infinity"),
    ((*CONVERSATION, "updated_at"), "infinity"),
    ((*CONVERSATION, "updated_at"), "-infinity"),
    ((*CONVERSATION, "updated_at"), "yesterday"),
    ((*CONVERSATION, "created_at"), "epoch"),
    ((*CONVERSATION, "created_at"), "now"),
    ((*CONVERSATION, "created_at"), "2026-13-01"),
    ((*CONVERSATION, "created_at"), "10000-01-01T00:00:00Z"),
    ((*CONVERSATION, "updated_at"), 1_764_064_800),
    ((*CONVERSATION, "updated_at"), None),
    ((*STORED, 0, "created_at"), "infinity"),
    ((*STORED, 1, "created_at"), "tomorrow"),
    ((*STORED, 1, "created_at"), "2026-11-25T10:00:00 BC"),
]


@pytest.mark.parametrize(("path", "value"), BROKEN_FIELDS, ids=repr)
def test_a_malformed_line_is_refused_naming_it_and_nothing_of_it_is_stored(
    store, user, path, value
):
    good_id, bad_id, after_id = (str(uuid.uuid4()) for _ in range(3))
    lines = [
        json.dumps(_line(good_id, user)),
        "",
        json.dumps(_changed(_line(bad_id, user), path, value)),
        json.dumps(_line(after_id, user)),
    ]
    with pytest.raises(InvalidInput, match=r"^line 3: ") as raised:
        import_conversations(store, lines)
    field = path[-1] if isinstance(path[-1], str) else path[-2]
    assert field in str(raised.value) or "seq" in str(raised.value)
    if path[: len(CONVERSATION)] == CONVERSATION and len(path) > len(CONVERSATION):
        assert f"convstore.conversation.{field}" in str(raised.value), raised.value
    assert [c["id"] for c in store.list_conversations(user)] == [good_id]
    assert store.get_conversation(bad_id) is None and store.get_conversation(after_id) is None
    assert len(store.get_conversation(good_id)["messages"]) == 2


ITEMS = ("convstore", "items")


def _line_with_an_item(conversation_id: str, user: str) -> dict:
    """A valid export line of two messages and a reasoning item between them."""
    line = _line(conversation_id, user)
    line["convstore"]["messages"][1]["seq"] = 3
    line["convstore"]["items"] = [
        {
            "seq": 2,
            "role": "assistant",
            "content": None,
            "tool_calls": None,
            "tool_call_id": None,
            "name": None,
            "tokens": 6,
            "latency_ms": None,
            "pinned": False,
            "metadata": {},
            "idempotency_key": None,
            "created_at": "2026-11-25T10:00:30Z",
            "kind": "reasoning",
            "payload": {"type": "reasoning", "id": "rs_1", "summary": []},
        }
    ]
    return line


BROKEN_ITEMS = [
    # missing, at every depth
    ((*ITEMS, 0, "seq"), MISSING),
    ((*ITEMS, 0, "created_at"), MISSING),
    ((*ITEMS, 0, "role"), MISSING),
    ((*ITEMS, 0, "kind"), MISSING),
    # wrong types, at every depth
    (ITEMS, {"seq": 2}),
    (ITEMS, None),
    ((*ITEMS, 0), "reasoning"),
    ((*ITEMS, 0), None),
    ((*ITEMS, 0, "seq"), "2"),
    ((*ITEMS, 0, "seq"), True),
    ((*ITEMS, 0, "seq"), 0),
    ((*ITEMS, 0, "seq"), 3),  # a message's seq
    ((*ITEMS, 0, "created_at"), 1_764_064_830),
    ((*ITEMS, 0, "created_at"), "infinity"),
    ((*ITEMS, 0, "role"), ["assistant"]),
    ((*ITEMS, 0, "role"), "wizard"),
    ((*ITEMS, 0, "kind"), 7),
    ((*ITEMS, 0, "kind"), "message"),  # a chat message hidden among the items
    ((*ITEMS, 0, "kind"), "Reasoning"),
    ((*ITEMS, 0, "kind"), "r" * 65),
    ((*ITEMS, 0, "kind"), ""),
    ((*ITEMS, 0, "content"), 12),
    ((*ITEMS, 0, "content"), "a\x00b"),
    ((*ITEMS, 0, "payload"), "reasoning"),
    ((*ITEMS, 0, "payload"), 42),
    ((*ITEMS, 0, "payload"), {"x": [1, {"y": "a\x00b"}]}),  # NUL, deep
    ((*ITEMS, 0, "payload"), json.loads('{"k": ' * 70 + "1" + "}" * 70)),  # too deep
    ((*ITEMS, 0, "tool_calls"), [{"id": "c1"}]),
    ((*ITEMS, 0, "tokens"), -1),
    ((*ITEMS, 0, "pinned"), "yes"),
    ((*ITEMS, 0, "metadata"), "{}"),
    ((*ITEMS, 0, "idempotency_key"), "k1"),  # a message's key
]


@pytest.mark.parametrize(("path", "value"), BROKEN_ITEMS, ids=repr)
def test_a_malformed_item_is_refused_naming_it_and_nothing_of_its_line_is_stored(
    store, user, path, value
):
    good_id, bad_id, after_id = (str(uuid.uuid4()) for _ in range(3))
    lines = [
        json.dumps(_line_with_an_item(good_id, user)),
        json.dumps(_line(after_id, user)),
        json.dumps(_changed(_line_with_an_item(bad_id, user), path, value)),
    ]
    with pytest.raises(InvalidInput, match=r"^line 3: ") as raised:
        import_conversations(store, lines)
    reason = str(raised.value)
    field = path[-1] if isinstance(path[-1], str) else "items"
    assert field in reason, reason
    assert "convstore.items" in reason or reason.startswith(f"line 3: two messages have {field}")
    assert {c["id"] for c in store.list_conversations(user)} == {good_id, after_id}
    assert store.get_conversation(bad_id) is None
    kinds = [m["kind"] for m in store.get_messages(good_id, limit=None)]
    assert kinds == ["message", "reasoning", "message"]


def test_an_item_is_named_where_the_line_holds_it(store, user):
    line = _line_with_an_item(str(uuid.uuid4()), user)
    line["convstore"]["items"].append({**line["convstore"]["items"][0], "seq": 4, "tokens": -1})
    with pytest.raises(InvalidInput, match=r"^line 1: convstore\.items\[1\]: tokens "):
        import_conversations(store, [json.dumps(line)])
    with pytest.raises(InvalidInput, match=r"^line 1: convstore\.items\[0\]\.seq is missing$"):
        del line["convstore"]["items"][0]["seq"]
        import_conversations(store, [json.dumps(line)])
    line = _changed(_line_with_an_item(str(uuid.uuid4()), user), ("messages", 1, "role"), "wizard")
    with pytest.raises(InvalidInput, match=r"^line 1: messages\[1\]: role "):
        import_conversations(store, [json.dumps(line)])  # after the item in seq order


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[]", "an array, not a JSON object"),
        ('"text"', "a string, not a JSON object"),
        ("42", "a number, not a JSON object"),
        ("null", "null, not a JSON object"),
        ("{", "not JSON"),
        ('{"messages": NaN}', "not JSON"),
        ('{"messages": [], "convstore": {"conversation": {}, "messages": Infinity}}', "not JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"x": ' + "9" * 5000 + "}", "not JSON"),
        ('{"messages": [], "convstore": {"conversation": {}, "messages": [{}]}}', "pair up"),
    ],
    ids=lambda value: value[:40],
)
def test_a_line_that_is_not_an_export_line_is_refused(store, user, line, reason):
    good_id = str(uuid.uuid4())
    with pytest.raises(InvalidInput, match=rf"^line 2: .*{reason}"):
        import_conversations(store, [json.dumps(_line(good_id, user)), line])
    assert [c["id"] for c in store.list_conversations(user)] == [good_id]


def test_a_conversation_id_of_another_user_is_refused(store, user):
    conversation_id = str(uuid.uuid4())
    import_conversations(store, [json.dumps(_line(conversation_id, user))])
    intruder = _line(conversation_id, f"{user}-other")
    intruder["messages"].append({"role": "user", "content": "mine now"})
    intruder["convstore"]["messages"].append(
        {"seq": 3, "created_at": "2026-11-26T00:00:00Z", "idempotency_key": None}
    )
    with pytest.raises(InvalidInput, match="^line 1: .*another user"):
        import_conversations(store, [json.dumps(intruder)])
    assert len(store.get_conversation(conversation_id)["messages"]) == 2
    assert store.list_conversations(f"{user}-other") == []


def test_an_idempotency_key_held_at_another_seq_is_refused(store, user):
    conversation_id = str(uuid.uuid4())
    import_conversations(store, [json.dumps(_line(conversation_id, user))])
    clash = _line(conversation_id, user)
    clash["messages"] = clash["messages"][:1]
    clash["convstore"]["messages"] = [
        {"seq": 3, "idempotency_key": "k1", "created_at": "2026-11-26T00:00:00Z"}
    ]
    with pytest.raises(InvalidInput, match="^line 1: .*idempotency"):
        import_conversations(store, [json.dumps(clash)])
    assert [m["seq"] for m in store.get_conversation(conversation_id)["messages"]] == [1, 2]


def test_an_infinite_timestamp_cannot_break_listing(store, user):
    line = _changed(_line(str(uuid.uuid4()), user), (*CONVERSATION, "updated_at"), "infinity")
    with pytest.raises(InvalidInput, match="updated_at"):
        import_conversations(store, [json.dumps(line)])
    store.create_conversation(user)
    assert len(store.list_conversations(user)) == 1  # PostgreSQL could not read 'infinity'


def _exported(store, user) -> bytes:
    import_conversations(store, [json.dumps(_line(str(uuid.uuid4()), user))])
    out = io.StringIO()
    export_conversations(store, user, out)
    return out.getvalue().encode("utf-8")


def test_gzip_input_is_refused_by_the_library_with_what_to_do(
    store, user, tmp_path, database_url, capsys
):
    compressed = tmp_path / "export.jsonl.gz"
    compressed.write_bytes(gzip.compress(_exported(store, user)))
    other = f"{user}-gz"
    with compressed.open("rb") as lines, pytest.raises(InvalidInput, match="^line 1: .*gzip"):
        import_conversations(store.for_user(other), lines)
    with compressed.open(encoding="utf-8") as lines, pytest.raises(InvalidInput, match="gzip"):
        import_conversations(store, lines)
    assert main(["--url", database_url, "import", str(compressed)]) == 0  # the CLI unpacks it
    assert capsys.readouterr().out == "imported 0 new conversations, 0 new messages\n"
    with gzip.open(compressed, "rt", encoding="utf-8") as lines:  # as the error says
        assert import_conversations(store, lines) == {"conversations": 0, "messages": 0}


def test_text_that_is_not_utf8_is_refused_naming_its_line(store, user, tmp_path):
    good = _exported(store, user).splitlines()[0]
    latin1 = json.dumps(_line(str(uuid.uuid4()), user), ensure_ascii=False)
    latin1 = latin1.replace("Lisbon", "Lisbõa").encode("latin-1")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([good, good, latin1, good]) + b"\n")
    with (
        path.open(encoding="utf-8") as lines,
        pytest.raises(InvalidInput, match="^line 3: .*UTF-8"),
    ):
        import_conversations(store, lines)
    with path.open("rb") as lines, pytest.raises(InvalidInput, match="^line 3: .*UTF-8"):
        import_conversations(store, lines)
    assert len(store.list_conversations(user)) == 1


def test_lines_may_be_bytes_with_a_byte_order_mark_but_not_one_string(store, user):
    exported = _exported(store, user)
    store.delete_user_data(user)
    assert import_conversations(store, [b"\xef\xbb\xbf" + exported, b"\n"])["conversations"] == 1
    with pytest.raises(InvalidInput, match="splitlines"):
        import_conversations(store, exported.decode("utf-8"))
    with pytest.raises(InvalidInput, match="^line 2: "):
        import_conversations(store, [exported, 42])


class MadeLines(io.RawIOBase):
    """A file whose bytes are made as they are read, so that a line longer
    than memory should hold costs none: each part is bytes, or a number of
    bytes of ``x``."""

    def __init__(self, *parts: bytes | int) -> None:
        self.parts = [part if isinstance(part, bytes) else (b"x", part) for part in parts]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self.parts:
            part = self.parts[0]
            if isinstance(part, bytes):
                piece, self.parts[0] = part[: len(buffer)], part[len(buffer) :]
            else:
                size = min(len(buffer), part[1])
                piece, self.parts[0] = part[0] * size, (part[0], part[1] - size)
            if piece:
                buffer[: len(piece)] = piece
                return len(piece)
            self.parts.pop(0)
        return 0


def test_a_line_longer_than_the_limit_is_refused_without_being_held(store, user):
    first, last = (json.dumps(_line(str(uuid.uuid4()), user)).encode() + b"\n" for _ in "12")
    too_long = 2 * MAX_LINE_BYTES  # read whole, a line of 200 MB took 807 MiB

    def import_made(**options):
        lines = io.BufferedReader(MadeLines(first, b'{"messages": "', too_long, b'"}\n', last))
        return import_conversations(store, lines, **options)

    message = rf"^line 2: longer than {MAX_LINE_BYTES:,} bytes, the most a line may hold$"
    with pytest.raises(InvalidInput, match=message):
        import_made()
    tracemalloc.start()
    try:
        imported = import_made(skip_invalid=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert imported == {"conversations": 1, "messages": 2, "skipped": 1}
    assert len(store.list_conversations(user)) == 2
    assert peak < MAX_LINE_BYTES + 8 * 1024 * 1024


def test_lines_of_every_kind_are_measured_in_bytes_and_keep_their_numbers(user):
    limit = 2 * LINE_PIECE  # what a file is asked for at a time, twice
    good = json.dumps(_line(str(uuid.uuid4()), user))
    # within the limit in characters, over it in bytes
    long_text = json.dumps({"t": "é" * LINE_PIECE}, ensure_ascii=False)
    text = f"{good}\n\n{long_text}\n{good}\n{'x' * limit}\n{good}"
    given = {
        "a text file": io.StringIO(text),
        "a binary file": io.BytesIO(text.encode()),
        "a list of text": text.splitlines(keepends=True),
        "a list of bytes": text.encode().splitlines(keepends=True),
    }
    for kind, lines in given.items():
        read_back = list(read_json_lines(lines, conversation_of_line, max_line_bytes=limit))
        assert [entry.where for entry in read_back] == [f"line {n}" for n in (1, 3, 4, 5, 6)], kind
        assert [type(entry) for entry in read_back] == [
            SourceConversation,
            SourceProblem,
            SourceConversation,
            SourceProblem,
            SourceConversation,
        ], kind
        assert read_back[1].reason == f"longer than {limit:,} bytes, the most a line may hold"


def test_a_branch_whose_parent_line_was_refused_says_so(store, user):
    root = store.create_conversation(user)
    store.add_messages(
        root, [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    )
    branch = store.fork_conversation(root, 1)
    store.add_message(branch, "user", "hello")
    out = io.StringIO()
    export_conversations(store, user, out)
    other = f"{user}-other"  # the export, as another user's
    lines = out.getvalue().replace(json.dumps(user), json.dumps(other)).splitlines()
    # lines follow activity: the branch's may come first
    root_line = next(number for number, line in enumerate(lines, 1) if f'"id": "{root}"' in line)
    branch_line = 3 - root_line
    outcomes = list(import_source(store, read_lines(lines), skip_invalid=True))
    assert sorted(outcomes) == sorted(
        [
            Skipped(
                f"line {root_line}", f"conversation {root} belongs to another user than {other!r}"
            ),
            Skipped(
                f"line {branch_line}",
                f"convstore.conversation.parent_id: conversation {root} was not imported "
                f"(line {root_line} was skipped)",
            ),
        ]
    )
    assert store.list_conversations(other) == []


# -- tutorial-era databases --------------------------------------------------------------


def _legacy_id(old_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"convstore-legacy:{old_id}"))


def _tutorial(kind, tmp_path, scratch_databases, conversations=(), messages=()):
    """A tutorial database of ``kind`` (tests/sql/tutorial_<kind>.sql) with these
    rows added; returns its URL and the old ids of the added messages."""
    script = (SQL / f"tutorial_{kind}.sql").read_text()
    if kind == "sqlite":
        path = tmp_path / f"tutorial-{uuid.uuid4().hex[:6]}.db"
        with closing(sqlite3.connect(path)) as connection:
            connection.executescript(script)
            ids = _add_rows(connection, kind, conversations, messages)
            connection.commit()
        return f"sqlite:///{path}", ids
    url = scratch_databases.create()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(script)
        return url, _add_rows(connection, kind, conversations, messages)


def _add_rows(connection, kind, conversations, messages) -> list[int]:
    add_conversation = load_query(SQL / f"legacy_conversation_{kind}.sql", kind, "conversation")
    add_message = load_query(SQL / f"legacy_message_{kind}.sql", kind, "message")
    for row in conversations:
        connection.execute(add_conversation.statement, row)
    return [connection.execute(add_message.statement, row).fetchone()[0] for row in messages]


def _conversation(old_id, user, created_at=None, updated_at=None, title="t", metadata=None):
    return {
        "id": old_id,
        "user_id": user,
        "title": title,
        "created_at": created_at,
        "updated_at": updated_at,
        "metadata": metadata,
    }


def _message(old_conversation_id, content="hi", role="user", created_at=None, metadata=None):
    return {
        "conversation_id": old_conversation_id,
        "role": role,
        "content": content,
        "created_at": created_at,
        "metadata": metadata,
    }


@pytest.fixture(params=["sqlite", "postgres"])
def destination(request, tmp_path, scratch_databases) -> str:
    """An empty database of each dialect for an import."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'destination.db'}"
    return scratch_databases.create()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("source_kind", ["sqlite", "postgres"])
def test_null_times_are_taken_from_their_neighbours(
    source_kind, destination, tmp_path, scratch_databases, user
):
    ten, five_past = "2024-06-01 10:00:00", "2024-06-01 10:05:00"
    source, _ = _tutorial(
        source_kind,
        tmp_path,
        scratch_databases,
        conversations=[
            _conversation("gaps", user),
            _conversation("bare", user),
            _conversation("dated", user, created_at="2024-01-01 08:00:00"),
        ],
        messages=[
            _message("gaps", "1"),
            _message("gaps", "2", created_at=ten),
            _message("gaps", "3"),
            _message("gaps", "4", created_at=five_past),
            _message("dated", "only"),
        ],
    )
    started = datetime.now(timezone.utc)
    report = import_legacy(source, destination)
    finished = datetime.now(timezone.utc)

    assert report.rejected == [] and report.rejected_conversations == []
    with convstore.connect(destination) as store:
        gaps = store.get_conversation(_legacy_id("gaps"))
        assert [m["created_at"] for m in gaps["messages"]] == [
            _at(ten),
            _at(ten),
            _at(ten),
            _at(five_past),
        ]
        assert (gaps["created_at"], gaps["updated_at"]) == (_at(ten), _at(five_past))
        dated = store.get_conversation(_legacy_id("dated"))
        assert dated["created_at"] == dated["updated_at"] == _at("2024-01-01 08:00:00")
        assert dated["messages"][0]["created_at"] == dated["created_at"]
        bare = store.get_conversation(_legacy_id("bare"))
        assert bare["created_at"] == bare["updated_at"]
        millisecond = timedelta(milliseconds=1)  # SQLite's resolution
        assert started - millisecond <= bare["created_at"] <= finished + millisecond
        assert len(store.list_conversations(user)) == 3


KEPT, REJECTED, ORPHAN, WITH_ITS_CONVERSATION = "kept", "rejected", "orphan", "lost"


def _messages_and_fates(source_kind: str) -> list[tuple[dict, str]]:
    fates = [
        (_message("good", "kept", created_at="2024-05-01 10:00:00"), KEPT),
        (_message("good", None), REJECTED),
        (_message("good", "x", role=None), REJECTED),
        (_message("good", "x", role="function"), REJECTED),
        (_message("good", "x", metadata='{"tokens": "many"}'), REJECTED),
        (_message("good", "x", metadata='{"tokens": -1}'), REJECTED),
        (_message("good", "x", metadata='{"latency_ms": 1.5}'), REJECTED),
        (_message("good", "x", created_at="infinity"), REJECTED),
        (_message("good", "also kept"), KEPT),
        (_message("forever", "x", created_at="2024-05-01 10:00:00"), WITH_ITS_CONVERSATION),
        (_message(None, "no conversation"), ORPHAN),
    ]
    if source_kind == "sqlite":  # values only SQLite's dynamic typing lets in
        fates += [
            (_message("good", "x", created_at="yesterday"), REJECTED),
            (_message("good", "x", created_at=1714557600), REJECTED),
            (_message("good", b"\xff\xfe bytes"), REJECTED),
            (_message("good", "x", metadata='{"k": [1, NaN]}'), REJECTED),
        ]
    return fates


@pytest.mark.parametrize("source_kind", ["sqlite", "postgres"])
def test_rows_convstore_cannot_accept_are_reported_and_not_stored(
    source_kind, destination, tmp_path, scratch_databases, user
):
    conversations = [
        _conversation("good", user, "2024-05-01 10:00:00", "2024-05-01 10:05:00"),
        _conversation("forever", user, "2024-05-01 10:00:00", "infinity"),
        _conversation("long-owner", "u" * 256, "2024-05-01 10:00:00", "2024-05-01 10:00:00"),
    ]
    if source_kind == "sqlite":
        conversations.append(_conversation(None, user, "2024-05-01 10:00:00"))
    fates = _messages_and_fates(source_kind)
    source, ids = _tutorial(
        source_kind, tmp_path, scratch_databases, conversations, [m for m, _ in fates]
    )
    fate_of = {old_id: fate for old_id, (_, fate) in zip(ids, fates, strict=True)}

    report = import_legacy(source, destination)

    assert {old_id for old_id, _ in report.rejected} == {
        old_id for old_id, fate in fate_of.items() if fate == REJECTED
    }
    assert all(isinstance(reason, str) and reason for _, reason in report.rejected)
    rejected_conversations = dict(report.rejected_conversations)
    assert "updated_at" in rejected_conversations["forever"]
    assert "max_identifier_bytes" in rejected_conversations["long-owner"]
    if source_kind == "sqlite":  # SQLite's TEXT PRIMARY KEY lets a NULL id in
        assert rejected_conversations[None].startswith("the conversation has no id")
    orphan = next(old_id for old_id, fate in fate_of.items() if fate == ORPHAN)
    assert (orphan, None) in report.orphans
    with convstore.connect(destination) as store:
        good = store.get_conversation(_legacy_id("good"))
        assert [m["content"] for m in good["messages"]] == ["kept", "also kept"]
        assert [m["seq"] for m in good["messages"]] == [1, 9]  # rejected ones leave gaps
        assert store.get_conversation(_legacy_id("forever")) is None
        assert [c["id"] for c in store.list_conversations(user)] == [good["id"]]
    again = import_legacy(source, destination)
    assert (again.conversations, again.messages) == (0, 0) and again.rejected == report.rejected


@pytest.mark.parametrize("source_kind", ["sqlite", "postgres"])
def test_a_source_of_another_shape_is_refused_before_the_destination_is_touched(
    source_kind, tmp_path, scratch_databases
):
    destination = tmp_path / "never.db"
    if source_kind == "sqlite":
        empty = tmp_path / "empty.db"
        sqlite3.connect(empty).close()
        garbage = tmp_path / "notes.txt"
        garbage.write_text("not a database\n" * 100)
        convstore_db = f"sqlite:///{tmp_path / 'convstore.db'}"
        sources = [
            f"sqlite:///{tmp_path / 'missing.db'}",
            f"sqlite:///{empty}",
            f"sqlite:///{garbage}",
            convstore_db,
        ]
    else:
        convstore_db = scratch_databases.create()
        sources = [scratch_databases.create(), convstore_db]
    convstore.migrate(convstore_db)  # convstore's own tables: the tutorial's columns are missing
    for source in sources:
        with pytest.raises(InvalidInput) as raised:
            import_legacy(source, f"sqlite:///{destination}")
        assert "tutorial" in str(raised.value) or "no SQLite database" in str(raised.value)
        assert not destination.exists()


def test_an_export_holding_line_separators_in_text_imports_from_a_file(store, user, tmp_path):
    """U+2028 and U+0085 are written raw (ensure_ascii=False) and are not line
    ends: a file reads each line whole, and the CLI imports it."""
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", "one\u2028two\x85three\u2029four")
    out = io.StringIO()
    export_conversations(store, user, out)
    assert len(out.getvalue().splitlines()) > 1  # what .splitlines() would wrongly make of it
    with pytest.raises(InvalidInput, match=r"io\.StringIO\(text\)"):
        import_conversations(store, out.getvalue())

    (tmp_path / "export.jsonl").write_text(out.getvalue(), encoding="utf-8")
    target = f"sqlite:///{tmp_path / 'target.db'}"
    convstore.migrate(target)
    assert main(["--url", target, "import", str(tmp_path / "export.jsonl")]) == 0
    with convstore.connect(target) as imported:
        assert imported.get_messages(conversation_id) == store.get_messages(conversation_id)

"""``convstore users``, ``list``, ``show``, ``search`` and ``context``: the
real command on a SQLite file and on a PostgreSQL database, both seeded with
the same conversations (fixed ids and times), so each table is compared whole
and must be the same on both; ``--json`` and ``--csv`` give every field; a
failure is one line; ``--user`` reads through that user's view."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import re
import sqlite3
import struct
import subprocess
import sys
import termios
import unicodedata
from contextlib import closing
from pathlib import Path

import pytest

import convstore
from convstore.cli import main
from convstore.types import CONVERSATION_FIELDS, MESSAGE_FIELDS
from convstore.validation import conversation_id

from .cli_support import one_line

README = Path(__file__).resolve().parent.parent / "README.md"
BIN = Path(sys.executable).parent

TRIP, BELEM, PASTA = (
    conversation_id(name) for name in ("lisbon-trip", "lisbon-belem", "carbonara")
)
WEATHER_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "weather", "arguments": '{"city": "Lisbon"}'},
}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/tram.jpg"}}
REASONING = {"type": "reasoning", "id": "rs_1", "summary": []}
SEED = [  # (conversation, its messages), imported in this order: the order of activity
    (
        {
            "id": "lisbon-trip",
            "user_id": "alice",
            "title": "Two days in Lisbon",
            "metadata": {"channel": "web"},
            "created_at": "2026-11-01T09:00:00Z",
            "updated_at": "2026-11-01T09:06:00Z",
        },
        [
            {
                "seq": 1,
                "created_at": "2026-11-01T09:00:00Z",
                "role": "system",
                "content": "You are a concise travel assistant.",
                "tokens": 9,
                "pinned": True,
            },
            {
                "seq": 2,
                "created_at": "2026-11-01T09:01:00Z",
                "role": "user",
                "content": "Two days in Lisbon: where should I start?",
                "tokens": 11,
            },
            {
                "seq": 3,
                "created_at": "2026-11-01T09:01:30Z",
                "role": "assistant",
                "tool_calls": [WEATHER_CALL],
                "tokens": 12,
            },
            {
                "seq": 4,
                "created_at": "2026-11-01T09:02:00Z",
                "role": "tool",
                "tool_call_id": "call_1",
                "content": "Sunny, 24 °C",
                "tokens": 6,
            },
            {
                "seq": 5,
                "created_at": "2026-11-01T09:02:30Z",
                "role": "assistant",
                "content": "Start in Alfama: the castle at sunrise, then tram 28 down to Baixa.",
                "tokens": 19,
                "latency_ms": 840,
            },
            {
                "seq": 6,
                "created_at": "2026-11-01T09:05:00Z",
                "role": "user",
                "content": [{"type": "text", "text": "Is this the tram?"}, IMAGE],
                "tokens": 90,
            },
            {
                "seq": 7,
                "created_at": "2026-11-01T09:05:30Z",
                "role": "assistant",
                "kind": "reasoning",
                "content": "The photo shows a yellow tram.",
                "payload": REASONING,
                "tokens": 8,
            },
            {
                "seq": 8,
                "created_at": "2026-11-01T09:06:00Z",
                "role": "assistant",
                "content": "Yes, tram 28: sit on the left for the views.",
                "tokens": 13,
            },
        ],
    ),
    (
        {
            "id": "lisbon-belem",
            "user_id": "alice",
            "title": "Two days in Lisbon",
            "parent_id": "lisbon-trip",
            "fork_seq": 2,
            "created_at": "2026-11-01T09:10:00Z",
            "updated_at": "2026-11-01T09:10:00Z",
        },
        [
            {
                "seq": 3,
                "created_at": "2026-11-01T09:10:00Z",
                "role": "assistant",
                "content": "Belem first: the tower opens at ten.",
                "tokens": 10,
            }
        ],
    ),
    (
        {
            "id": "carbonara",
            "user_id": "bob",
            "title": "Carbonara",
            "created_at": "2026-11-02T18:00:00Z",
            "updated_at": "2026-11-02T18:01:00Z",
        },
        [
            {
                "seq": 1,
                "created_at": "2026-11-02T18:00:00Z",
                "role": "user",
                "content": "Cream in carbonara?",
                "tokens": 6,
            },
            {
                "seq": 2,
                "created_at": "2026-11-02T18:01:00Z",
                "role": "assistant",
                "content": "No cream: eggs, pecorino, guanciale and pepper.",
                "tokens": 12,
            },
        ],
    ),
]


def seed(url: str) -> None:
    """Alice's trip to Lisbon with its branch (the active one), then Bob's carbonara."""
    with convstore.connect(url, migrate=True) as store:
        for conversation, messages in SEED:
            store.import_conversation(conversation, messages)
            if conversation["id"] == "lisbon-belem":
                store.set_active_branch("lisbon-belem")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def url(request, tmp_path_factory, migrated_sqlite_file, scratch_databases) -> str:
    """A database of the seed alone (``users`` lists every user it holds)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("browse") / "seeded.db"
        with closing(sqlite3.connect(migrated_sqlite_file)) as source:
            with closing(sqlite3.connect(path)) as copy:
                source.backup(copy)
        database_url = f"sqlite:///{path}"
    else:
        database_url = scratch_databases.create()
    seed(database_url)
    return database_url


@pytest.fixture(autouse=True)
def no_columns_set(monkeypatch) -> None:
    """Tables laid out at the width for a file or a pipe (80), whatever the
    shell running the tests exports; a test that wants another sets ``COLUMNS``."""
    monkeypatch.delenv("COLUMNS", raising=False)


def _run(capsys, url: str, *argv: str) -> tuple[int, str, str]:
    """The command's exit status, standard output and standard error."""
    status = main(["--url", url, *argv])
    printed = capsys.readouterr()
    return status, printed.out, printed.err


def _printed(capsys, url: str, *argv: str) -> str:
    status, out, err = _run(capsys, url, *argv)
    assert (status, err) == (0, ""), err
    return out


def _failure(capsys, url: str, *argv: str, status: int) -> str:
    """The one line a command that fails with ``status`` writes."""
    done, out, err = _run(capsys, url, *argv)
    assert (done, out) == (status, "")
    return one_line(err)


# -- tables ------------------------------------------------------------------------------

TABLES = {
    ("users",): """\
user   conversations  messages  last active (UTC)
-----  -------------  --------  -----------------
bob                1         2  2026-11-02 18:01
alice              2         9  2026-11-01 09:10
(2 users)
""",
    ("list", "--user", "alice"): f"""\
id                                    title           messages  updated (UTC)
------------------------------------  --------------  --------  ----------------
{BELEM}  Two days in L…         3  2026-11-01 09:10
{TRIP}  Two days in L…         8  2026-11-01 09:06
(2 conversations)
""",
    ("show", "lisbon-trip", "--branches"): f"""\
conversation  {TRIP}
user          alice
title         Two days in Lisbon
created       2026-11-01 09:00 UTC
updated       2026-11-01 09:06 UTC
metadata      {{"channel": "web"}}

seq  time (UTC)        role       content
---  ----------------  ---------  ----------------------------------------------
  1  2026-11-01 09:00  system     You are a concise travel assistant.
  2  2026-11-01 09:01  user       Two days in Lisbon: where should I start?
  3  2026-11-01 09:01  assistant  → weather({{"city": "Lisbon"}})
  4  2026-11-01 09:02  tool       (call_1) Sunny, 24 °C
  5  2026-11-01 09:02  assistant  Start in Alfama: the castle at sunrise, then …
  6  2026-11-01 09:05  user       Is this the tram? [image_url]
  7  2026-11-01 09:05  assistant  [reasoning] The photo shows a yellow tram.
  8  2026-11-01 09:06  assistant  Yes, tram 28: sit on the left for the views.
(8 messages)

branches of its tree (* the active one, shown by clients)
branch                                    after seq  messages  title
----------------------------------------  ---------  --------  -----------------
  {TRIP}                      8  Two days in Lisb…
*   {BELEM}          2         3  Two days in Lisb…
""",
    ("show", BELEM): f"""\
conversation  {BELEM}
user          alice
title         Two days in Lisbon
created       2026-11-01 09:10 UTC
updated       2026-11-01 09:10 UTC
forked from   {TRIP} after seq 2

seq  time (UTC)        role       content
---  ----------------  ---------  -----------------------------------------
  1  2026-11-01 09:00  system     You are a concise travel assistant.
  2  2026-11-01 09:01  user       Two days in Lisbon: where should I start?
  3  2026-11-01 09:10  assistant  Belem first: the tower opens at ten.
(3 messages)
""",
    ("search", "sunrise", "--user", "alice"): f"""\
conversation                          seq  role       snippet
------------------------------------  ---  ---------  --------------------------
{TRIP}    5  assistant  …castle at «sunrise», the…
(1 message)
""",
    ("context", "lisbon-trip", "--max-tokens", "60"): """\
seq  role       pinned  tokens  content
---  ---------  ------  ------  --------------------------------------------
  1  system     yes          9  You are a concise travel assistant.
  7  assistant               8  [reasoning] The photo shows a yellow tram.
  8  assistant              13  Yes, tram 28: sit on the left for the views.
(3 messages, 30 of 60 tokens)
""",
    ("users", "--limit", "1"): """\
user  conversations  messages  last active (UTC)
----  -------------  --------  -----------------
bob               1         2  2026-11-02 18:01
(1 user; there may be more: raise --limit)
""",
    ("search", "gelato", "--user", "alice"): "(0 messages)\n",
    ("context", "lisbon-trip", "--max-tokens", "5"): """\
seq  role    pinned  tokens  content
---  ------  ------  ------  -----------------------------------
  1  system  yes          9  You are a concise travel assistant.
(1 message, 9 of 5 tokens)
""",
}


@pytest.mark.parametrize("argv", list(TABLES), ids=" ".join)
def test_tables_are_the_same_on_both_databases(url, capsys, argv):
    assert _printed(capsys, url, *argv) == TABLES[argv]


def test_every_table_fits_80_columns_and_cuts_with_an_ellipsis(url, capsys):
    for argv in TABLES:
        for line in _printed(capsys, url, *argv).splitlines():
            assert len(line) <= 80, line  # every character of these tables is one column wide
    assert (
        "Start in Alfama: the castle at sunrise, then …"
        in TABLES[("show", "lisbon-trip", "--branches")]
    )


# -- any width ---------------------------------------------------------------------------

CROWD = [
    f"user-{n:02d}-of-a-crowd-with-a-name-wider-than-a-narrow-terminal@example.org"
    for n in range(25)
]
"""More users than ``--limit``'s default, each named at length."""
OWNER = CROWD[0]
DEPTH = 30


def _terminal_columns(line: str) -> int:
    """The columns ``line`` takes on a terminal: two for a wide East Asian character."""
    return sum(
        0
        if unicodedata.category(character) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(character) in "WF"
        else 1
        for character in line
    )


@pytest.fixture(scope="module")
def crowded(tmp_path_factory) -> tuple[str, str, str]:
    """A SQLite database of many users; long titles (some of wide characters)
    and long messages; and a tree of branches each forked from the one
    before, DEPTH deep: its URL, the root and the deepest branch."""
    url = f"sqlite:///{tmp_path_factory.mktemp('crowded') / 'crowded.db'}"
    with convstore.connect(url) as store:
        for user_id in CROWD[1:]:
            store.create_conversation(user_id, title="Carbonara")
        for title in ["東京のラーメン屋を巡る三日間の旅 " * 6, "A week by tram and by ferry, " * 8]:
            conversation = store.create_conversation(OWNER, title=title)
            store.add_message(conversation, "user", "Which tram goes to the coast? " * 40, tokens=9)
        root = store.create_conversation(OWNER, title="Two days in Lisbon, and then more " * 5)
        store.add_message(root, "system", "You are a concise travel assistant. " * 30, tokens=9)
        store.add_message(root, "user", "Is tram 28 worth the queue at Martim Moniz? " * 30)
        branch = root
        for depth in range(1, DEPTH + 1):
            branch = store.fork_conversation(branch, 1, title=f"Retry number {depth} " * 9)
            store.add_message(branch, "assistant", f"Take tram 28, attempt {depth}. " * 30)
        store.set_active_branch(branch)
    return url, root, branch


def _browse_commands(root: str, deepest: str) -> list[list[str]]:
    return [
        ["users"],
        ["list", "--user", OWNER],
        ["show", root, "--branches"],
        ["show", deepest],
        ["search", "tram", "--user", OWNER],
        ["context", deepest, "--max-tokens", "100000"],
    ]


@pytest.mark.parametrize("width", [40, 60, 80, 200])
def test_every_table_fits_the_terminal_at_any_width(crowded, capsys, monkeypatch, width):
    url, root, deepest = crowded
    monkeypatch.setenv("COLUMNS", str(width))
    for argv in _browse_commands(root, deepest):
        shown = _printed(capsys, url, *argv)
        assert width == 200 or "…" in shown, argv  # something was too long, and was cut
        for line in shown.splitlines():
            assert _terminal_columns(line) <= width, (argv, line)


def test_a_deep_tree_shows_depths_instead_of_indenting_without_end(crowded, capsys, monkeypatch):
    url, root, deepest = crowded
    monkeypatch.setenv("COLUMNS", "80")
    shown = _printed(capsys, url, "show", root, "--branches")
    assert "a number: the depth of a branch deeper than 4" in " ".join(shown.split())
    tree = shown.split("after seq", 1)[1].splitlines()[2:]
    assert len(tree) == DEPTH + 1
    assert tree[0].startswith(f"  {root}  ")
    indents = [len(row) - len(row.lstrip()) for row in tree[:5]]
    assert indents == [2, 4, 6, 8, 10]  # two columns a level, to depth 4
    assert tree[5].startswith(f"{' ' * 10}5 ")  # then at that indentation, after its depth
    assert tree[-1].startswith(f"*{' ' * 9}{DEPTH} {deepest}  ")  # the active one, its id whole


def test_a_narrower_terminal_gets_the_narrowest_layout(crowded, capsys, monkeypatch):
    """Below 40 columns the tables would be cut to nothing: they are laid out 40 wide."""
    url, root, deepest = crowded
    monkeypatch.setenv("COLUMNS", "20")
    for argv in _browse_commands(root, deepest):
        lines = _printed(capsys, url, *argv).splitlines()
        assert max(_terminal_columns(line) for line in lines) <= 40, argv


def _on_a_terminal(url: str, argv: list[str], width: int) -> str:
    """What the command writes to a pseudo-terminal ``width`` columns wide,
    without ``COLUMNS`` to tell it."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, width, 0, 0))
    process = subprocess.Popen(
        [str(BIN / "convstore"), "--url", url, *argv],
        stdout=terminal,
        stderr=subprocess.PIPE,
        env={"PATH": f"{BIN}:/usr/bin:/bin"},
    )
    os.close(terminal)  # the command's copy is then the last: reading ends when it exits
    written = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: no one has the terminal open any more
            break
        if not chunk:
            break
        written.append(chunk)
    os.close(controller)
    _, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (0, b""), err
    return b"".join(written).decode()


@pytest.mark.parametrize("width", [40, 60])
def test_at_a_terminal_the_table_fits_its_width(crowded, width):
    url, root, deepest = crowded
    for argv in _browse_commands(root, deepest):
        shown = _on_a_terminal(url, argv, width)
        assert "…" in shown, argv
        for line in shown.splitlines():
            assert _terminal_columns(line) <= width, (argv, line)


# -- --json and --csv --------------------------------------------------------------------


def test_json_is_one_document_with_every_field(url, capsys):
    users = json.loads(_printed(capsys, url, "users", "--json"))
    assert users == [
        {
            "user_id": "bob",
            "conversations": 1,
            "messages": 2,
            "last_activity_at": "2026-11-02T18:01:00+00:00",
        },
        {
            "user_id": "alice",
            "conversations": 2,
            "messages": 9,
            "last_activity_at": "2026-11-01T09:10:00+00:00",
        },
    ]
    listed = json.loads(_printed(capsys, url, "list", "--user", "alice", "--json"))
    assert [c["id"] for c in listed] == [BELEM, TRIP] and set(listed[0]) >= set(CONVERSATION_FIELDS)

    shown = json.loads(_printed(capsys, url, "show", "lisbon-trip", "--branches", "--json"))
    assert (shown["id"], shown["metadata"], shown["active_branch_id"]) == (
        TRIP,
        {"channel": "web"},
        BELEM,
    )
    assert [(b["conversation_id"], b["depth"], b["fork_seq"]) for b in shown["tree"]] == [
        (TRIP, 0, None),
        (BELEM, 1, 2),
    ]
    messages = shown["messages"]
    assert [m["seq"] for m in messages] == list(range(1, 9))
    assert messages[2]["tool_calls"] == [WEATHER_CALL] and messages[2]["content"] is None
    assert messages[5]["content"][1] == IMAGE  # parts in full, not "[image_url]"
    assert (messages[6]["kind"], messages[6]["payload"]) == ("reasoning", REASONING)
    assert messages[4]["content"].endswith("tram 28 down to Baixa.")  # not cut

    hits = json.loads(_printed(capsys, url, "search", "tram", "--user", "alice", "--json"))
    assert sorted(h["seq"] for h in hits) == [5, 6, 7, 8]  # the order of ranks is each database's
    assert [h["rank"] for h in hits] == sorted((h["rank"] for h in hits), reverse=True)
    fifth = next(h for h in hits if h["seq"] == 5)
    assert fifth["snippet"].startswith("Start in Alfama") and fifth["branch_ids"] == []
    context = json.loads(
        _printed(capsys, url, "context", "lisbon-belem", "--max-tokens", "60", "--json")
    )
    assert [(m["seq"], m["suffix_tokens"]) for m in context] == [(1, 30), (2, 21), (3, 10)]
    assert json.loads(_printed(capsys, url, "search", "gelato", "--user", "alice", "--json")) == []


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_every_field_and_a_header_without_rows(url, capsys):
    users = _printed(capsys, url, "users", "--csv")
    assert users.splitlines() == [
        "user_id,conversations,messages,last_activity_at",
        "bob,1,2,2026-11-02T18:01:00+00:00",
        "alice,2,9,2026-11-01T09:10:00+00:00",
    ]
    listed = _printed(capsys, url, "list", "--user", "alice", "--csv")
    assert listed.splitlines()[0] == ",".join(CONVERSATION_FIELDS)
    assert [row["message_count"] for row in _csv_rows(listed)] == ["3", "8"]
    messages = _csv_rows(_printed(capsys, url, "show", "lisbon-trip", "--csv"))
    assert list(messages[0]) == list(MESSAGE_FIELDS)
    assert json.loads(messages[2]["tool_calls"]) == [WEATHER_CALL]
    assert json.loads(messages[5]["content"])[1] == IMAGE
    context = _csv_rows(
        _printed(capsys, url, "context", "lisbon-trip", "--max-tokens", "60", "--csv")
    )
    assert [(row["seq"], row["suffix_tokens"]) for row in context] == [
        ("1", "30"),
        ("7", "21"),
        ("8", "13"),
    ]
    found = _printed(capsys, url, "search", "gelato", "--user", "alice", "--csv")
    assert found.splitlines() == [
        "conversation_id,title,seq,role,content,created_at,rank,snippet,branch_ids"
    ]


# -- a user's view -----------------------------------------------------------------------


def test_user_reads_through_that_users_view(url, capsys):
    assert TRIP in _printed(capsys, url, "show", "lisbon-trip", "--user", "alice")
    assert _failure(capsys, url, "show", "lisbon-trip", "--user", "bob", status=1) == (
        f"convstore: NotFound: user 'bob' has no conversation 'lisbon-trip' ({TRIP}) "
        "(`convstore list --user bob` lists a user's conversations)"
    )
    line = _failure(capsys, url, "context", TRIP, "--max-tokens", "60", "--user", "bob", status=1)
    assert line.startswith(f"convstore: NotFound: user 'bob' has no conversation {TRIP} ")
    assert _printed(capsys, url, "search", "tram", "--user", "bob") == "(0 messages)\n"
    assert PASTA in _printed(capsys, url, "list", "--user", "bob")
    assert TRIP not in _printed(capsys, url, "list", "--user", "bob")


# -- failures ----------------------------------------------------------------------------

UNKNOWN = "6f1e7c52-2b7e-4c1a-9d55-0c7f1b0e9a31"
FAILURES = [
    (
        ["list"],
        2,
        "convstore list: error: --user is required: conversations are listed one "
        "user at a time; `convstore users` lists the users",
    ),
    (
        ["search", "tram"],
        2,
        "convstore search: error: --user is required: each user's "
        "messages are searched apart; `convstore users` lists the users",
    ),
    (
        ["show", UNKNOWN],
        1,
        f"convstore: NotFound: there is no conversation {UNKNOWN} "
        "(`convstore list --user USER` lists a user's conversations)",
    ),
    (
        ["context", "no-such-thread", "--max-tokens", "9"],
        1,
        "convstore: NotFound: there is no "
        f"conversation 'no-such-thread' ({conversation_id('no-such-thread')})",
    ),
    (["users", "--json", "--csv"], 2, "argument --csv: not allowed with argument --json"),
    (["users", "--limit", "0"], 2, "--limit must be between 1 and"),
    (["list", "--user", "alice", "--limit", "ten"], 2, "--limit must be a whole number"),
    (["context", TRIP], 2, "the following arguments are required: --max-tokens"),
    (["context", TRIP, "--max-tokens", "-1"], 2, "--max-tokens must be between 0 and"),
    (
        ["show", "lisbon-trip", "--branches", "--csv"],
        2,
        "--csv writes one table, the messages: use --json for the branches too",
    ),
    (["show", f"{UNKNOWN}0"], 2, "is not a valid UUID"),
    (["search", "--user", "alice", "--", "-tram"], 2, "'-tram' has no word to search for"),
    (["list", "--user", ""], 2, "argument --user"),
]


@pytest.mark.parametrize(
    ("argv", "status", "says"), FAILURES, ids=[" ".join(f[0]) for f in FAILURES]
)
def test_failures_are_one_line_and_a_status(url, capsys, argv, status, says):
    line = _failure(capsys, url, *argv, status=status)
    assert says in line


@pytest.mark.parametrize(
    "command",
    [
        ["users"],
        ["list", "--user", "a"],
        ["show", TRIP],
        ["search", "x", "--user", "a"],
        ["context", TRIP, "--max-tokens", "9"],
    ],
)
def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path, capsys, command):
    missing = tmp_path / "typo.db"
    line = _failure(capsys, str(missing), *command, status=2)
    assert "there is no SQLite database at" in line and "typo.db" in line
    assert not missing.exists()


def test_what_a_terminal_would_obey_is_not_printed(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    with convstore.connect(url) as store:
        odd = store.create_conversation("mallory", title="\x1b]0;pwned\x07title")
        store.add_message(odd, "user", "red \x1b[31malert\x1b[0m\r\nsecond\u202eline", tokens=3)
    shown = _printed(capsys, url, "show", odd)
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "\u202e" not in shown
    assert "red \ufffd[31malert\ufffd[0m second\ufffdline" in shown
    assert (
        "\x1b[31m"
        in json.loads(_printed(capsys, url, "show", odd, "--json"))["messages"][0]["content"]
    )


def test_wide_characters_count_as_two_columns(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'wide.db'}"
    with convstore.connect(url) as store:
        tokyo = store.create_conversation("kenji", title="東京")
        store.add_message(
            tokyo, "user", "東京で一番おいしいラーメン屋はどこですか？" * 3, tokens=40
        )
    lines = _printed(capsys, url, "show", tokyo).splitlines()
    (row,) = [line for line in lines if line.lstrip().startswith("1 ")]
    assert row.endswith("…")
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in row)
    assert 79 <= columns <= 80, row  # a wide character that would end on column 81 is left out


# -- the README ------------------------------------------------------------------------------


def _readme_examples() -> list[tuple[str, str]]:
    section = README.read_text().split("### Looking at the data\n", 1)[1].split("\n#", 1)[0]
    (block,) = re.findall(r"```console\n(\$ .*?)```", section, re.S)
    return re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", block, re.M)


def test_the_readme_shows_what_the_commands_print(tmp_path):
    """The README's examples, run by the installed command in a directory
    whose default database holds the seed."""
    seed(f"sqlite:///{tmp_path / 'conversations.db'}")
    examples = _readme_examples()
    assert len(examples) >= 5
    for command, expected in examples:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert done.stdout == expected, f"$ {command}"

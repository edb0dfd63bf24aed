"""OpenAI chat fine-tuning JSONL in and out, on both databases: every member of
every line comes back from an export, a re-import adds nothing, a repeated
example is kept twice, and bad lines are named (and skipped when asked)."""

from __future__ import annotations

import gzip
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from convstore.cli import main
from convstore.errors import InvalidInput
from convstore.transfer.importing import Imported, Skipped, import_source
from convstore.transfer.lines import MAX_LINE_BYTES
from convstore.transfer.openai_jsonl import export_openai_lines, read_openai_lines

from .cli_support import one_line

FIXTURE = Path(__file__).parent / "fixtures" / "openai" / "fine_tuning.jsonl"
IMPORTED_AT = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=timezone.utc)


def _lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FIXTURE.read_text().splitlines()]


def _without_null_content(line: dict[str, Any]) -> dict[str, Any]:
    """A line as the API reads it: a null content is the same as none."""
    messages = [
        {key: value for key, value in message.items() if (key, value) != ("content", None)}
        for message in line["messages"]
    ]
    return {**line, "messages": messages}


def _import(store, lines, user, **options) -> list[Imported | Skipped]:
    return list(import_source(store, read_openai_lines(lines, user, IMPORTED_AT), **options))


def _export(store, user) -> list[dict[str, Any]]:
    out = io.StringIO()
    list(export_openai_lines(store, user, out))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_every_member_of_every_line_comes_back(store, user):
    outcomes = _import(store, FIXTURE.read_bytes().splitlines(keepends=True), user)
    assert [outcome.where for outcome in outcomes] == [f"line {n}" for n in range(1, 7)]
    assert _export(store, user) == [_without_null_content(line) for line in _lines()]


def test_where_each_member_is_stored(store, user):
    _import(store, FIXTURE.open("rb"), user)
    conversations = {
        conversation["message_count"]: conversation
        for conversation in store.list_conversations(user, limit=10)
    }
    with_tools = store.get_conversation(conversations[2]["id"])
    assert with_tools["extra"]["parallel_tool_calls"] is False
    assert with_tools["extra"]["tools"][0]["function"]["name"] == "get_current_weather"
    assert with_tools["created_at"] == IMPORTED_AT
    call = with_tools["messages"][1]
    assert call["content"] is None and call["tool_calls"][0]["id"] == "call_id"
    assert call["tokens_estimated"] and call["tokens"] > 0
    refused = store.get_conversation(conversations[3]["id"])["messages"]
    assert refused[0]["name"] == "ops" and refused[0]["role"] == "developer"
    assert refused[2]["refusal"] == "I can't help with that."
    assert refused[2]["extra"] == {"annotations": []}
    weighted = [
        message["weight"] for message in store.get_conversation(conversations[5]["id"])["messages"]
    ]
    assert weighted == [None, None, 0, None, 1]


def test_importing_again_adds_nothing_and_a_repeated_example_is_kept(store, user):
    lines = FIXTURE.read_bytes().splitlines(keepends=True)
    first = _import(store, [*lines, lines[0]], user)
    assert sum(outcome.conversations for outcome in first) == 7
    again = _import(store, [*lines, lines[0]], user)
    assert [(outcome.conversations, outcome.messages) for outcome in again] == [(0, 0)] * 7
    assert len(_export(store, user)) == 7
    assert _import(store, lines, f"{user}-bob")[0].conversations == 1  # bob's own copy


def test_a_line_differing_only_in_layout_is_the_same_example(store, user):
    line = _lines()[0]
    _import(store, [json.dumps(line)], user)
    outcome = _import(store, [json.dumps(line, indent=None, separators=(",", ":"))], user)
    assert outcome[0].conversations == 0


BAD = [
    '{"messages": [{"role": "user", "content": "fine"}]}',
    '{"messages": [{"content": "no role"}]}',
    "not json",
    '{"messages": [{"role": "user", "content": "also fine"}]}',
    '{"messages": [{"role": "user", "content": "x", "metadata": {"a": 1}}]}',
]


def test_a_bad_line_stops_the_import_and_names_the_line(store, user):
    with pytest.raises(InvalidInput, match=r"^line 2: messages\[0\]\.role is missing$"):
        _import(store, BAD, user)
    assert len(_export(store, user)) == 1


def test_skip_invalid_names_each_bad_line_and_imports_the_rest(store, user):
    outcomes = _import(store, BAD, user, skip_invalid=True)
    skipped = [
        (outcome.where, outcome.reason) for outcome in outcomes if isinstance(outcome, Skipped)
    ]
    assert [where for where, _ in skipped] == ["line 2", "line 3", "line 5"]
    assert skipped[1][1].startswith("not JSON")
    assert "messages[0].metadata is not a member of OpenAI's chat format" in skipped[2][1]
    assert [line["messages"][0]["content"] for line in _export(store, user)] == [
        "fine",
        "also fine",
    ]


def test_a_value_the_store_refuses_names_the_message_in_the_line(store, user):
    line = {"messages": [{"role": "user", "content": "hi"}, {"role": "wizard", "content": "x"}]}
    with pytest.raises(InvalidInput, match=r"^line 1: messages\[1\]: .*role"):
        _import(store, [json.dumps(line)], user)


def test_the_cli_imports_a_gzip_file_and_exports_it_again(database_url, user, tmp_path, capsys):
    packed = tmp_path / "train.jsonl.gz"
    packed.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    assert main(["--url", database_url, "import", str(packed), "--user", user]) == 0
    assert capsys.readouterr().out == "imported 6 new conversations, 24 new messages\n"
    assert main(["--url", database_url, "import", str(packed), "--user", user]) == 0
    assert capsys.readouterr().out == "imported 0 new conversations, 0 new messages\n"
    assert main(["--url", database_url, "export", "--user", user, "--format", "openai"]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert exported == [_without_null_content(line) for line in _lines()]


def test_the_cli_wants_an_owner_for_openai_lines(sqlite_url, tmp_path, capsys):
    assert main(["--url", sqlite_url, "import", str(FIXTURE), "--format", "openai"]) == 2
    line = one_line(capsys.readouterr().err)
    assert "name no owner: give --user; nothing was imported" in line


def test_the_cli_skips_bad_lines_when_asked(sqlite_url, tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(BAD) + "\n")
    arguments = ["--url", sqlite_url, "import", str(path), "--user", "ana"]
    assert main(arguments) == 1
    err = one_line(capsys.readouterr().err)
    assert "line 2: messages[0].role is missing" in err
    assert "1 line imported before that (1 new conversations, 1 new messages)" in err
    assert main([*arguments, "--skip-invalid"]) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        "imported 1 new conversations, 1 new messages\n"
        "skipped 3 lines that could not be imported (listed above)\n"
    )
    assert captured.err.splitlines()[0] == "skipped line 2: messages[0].role is missing"


def test_null_members_come_back_absent_and_the_export_imports_as_the_same_examples(store, user):
    line = {
        "messages": [
            {"role": "user", "content": "hi", "weight": None},
            {"role": "assistant", "content": None, "refusal": "no", "weight": None},
        ]
    }
    _import(store, [json.dumps(line)], user)
    (exported,) = _export(store, user)
    assert exported == {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "refusal": "no"}]
    }
    again = _import(store, [json.dumps(exported)], user)
    assert (again[0].conversations, again[0].messages) == (0, 0)


def test_a_lone_surrogate_is_refused_naming_the_line(store, user):
    lines = ['{"messages": [{"role": "user", "content": "a\\ud800b"}]}']
    with pytest.raises(InvalidInput, match=r"^line 1: messages\[0\]: "):
        _import(store, lines, user)


@pytest.mark.parametrize(
    "escaped",
    ["a\\ud800bc", "a\\ud800", "\\ud800\\u0041", "\\ud800\\ud83d\\ude00", "a\\udc00"],
)
def test_every_escaped_lone_surrogate_refuses_its_line_as_a_chatgpt_export_its_conversation(
    store, user, escaped
):
    # the ChatGPT reader's cases (tests/test_import_chatgpt.py, LONE_SURROGATES)
    bad = f'{{"messages": [{{"role": "user", "content": "{escaped}"}}]}}'
    good = json.dumps({"messages": [{"role": "user", "content": "😀"}]})  # \ud83d\ude00
    with pytest.raises(InvalidInput, match=r"^line 1: messages\[0\]: .*not valid Unicode text"):
        _import(store, [bad, good], user)
    outcomes = _import(store, [bad, good], user, skip_invalid=True)
    assert [type(outcome) for outcome in outcomes] == [Skipped, Imported]
    assert [conversation["message_count"] for conversation in store.list_conversations(user)] == [1]


def test_the_cli_skips_a_line_too_long_in_a_gzip_file(database_url, user, tmp_path, capsys):
    first, last = (
        json.dumps({"messages": [{"role": "user", "content": text}]}).encode() + b"\n"
        for text in ("hi", "hello")
    )
    too_long = b'{"messages": "' + b"x" * MAX_LINE_BYTES + b'"}\n'
    packed = tmp_path / "train.jsonl.gz"
    packed.write_bytes(gzip.compress(first + too_long + last, 1))
    arguments = ["--url", database_url, "import", str(packed), "--user", user]
    assert main([*arguments, "--skip-invalid"]) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        "imported 2 new conversations, 2 new messages\n"
        "skipped 1 line that could not be imported (listed above)\n"
    )
    assert captured.err == (
        f"skipped line 2: longer than {MAX_LINE_BYTES:,} bytes, the most a line may hold\n"
    )


def test_an_integer_python_will_not_read_is_refused_in_plain_words(store, user):
    line = '{"messages": [{"role": "user", "content": "x"}], "seed": ' + "9" * 5000 + "}"
    with pytest.raises(
        InvalidInput,
        match=r"^line 1: not JSON convstore reads: it holds an integer of more than 4,300 digits$",
    ):
        _import(store, [line], user)


def test_a_refused_line_member_is_named_where_the_line_holds_it(store, user):
    line = {"messages": [{"role": "user", "content": "x"}], "tools": [{"type": 1}]}
    with pytest.raises(InvalidInput, match=r"^line 1: tools\[0\] needs a non-empty string type"):
        _import(store, [json.dumps(line)], user)

"""Reading a ChatGPT data export (convstore.transfer.chatgpt_export): each
conversation's tree as a root and branches, hidden messages, custom
instructions and every content type kept, times, zips, broken input; and
importing what the reader yields, on SQLite and PostgreSQL, finding every
field of the export in the store."""

from __future__ import annotations

import copy
import io
import json
import re
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from convstore import InvalidInput
from convstore.store import Store
from convstore.transfer.chatgpt_export import read_chatgpt_export
from convstore.transfer.importing import Imported, Skipped, import_source
from convstore.transfer.sources import SourceConversation, SourceProblem
from convstore.validation import conversation_id as canonical_id

FIXTURE = Path(__file__).parent / "fixtures" / "chatgpt" / "conversations.json"
LISBON = "67a1c0de-5b7e-8003-9f1e-4c2d7a9b3e51"
UNTITLED = "2d4f6a8c-1e3b-4d5f-a7c9-0b2d4f6a8c1e"
STORED_APART = ("id", "title", "create_time", "update_time", "mapping", "current_node")


def lisbon_node(number: str) -> str:
    """A node id of the Lisbon conversation of the fixture."""
    return f"1a2b3c4d-0000-4000-8000-0000000000{number}"


def branch_id(root_id: str, node_id: str) -> str:
    return str(uuid.uuid5(uuid.UUID(root_id), node_id))


EDITED = branch_id(LISBON, lisbon_node("20"))  # the first question, edited
REGENERATED = branch_id(LISBON, lisbon_node("10"))  # the first answer, regenerated
PORTO = branch_id(LISBON, lisbon_node("24"))  # an answer of the edited branch, regenerated

LISBON_PLACES = {
    **{
        lisbon_node(n): (LISBON, seq)
        for seq, n in enumerate("01 02 03 04 05 06 07 08 09 0a 0b 0c 0d".split(), 1)
    },
    **{lisbon_node(n): (EDITED, seq) for seq, n in enumerate(["20", "21", "22", "23"], 3)},
    **{lisbon_node(n): (REGENERATED, seq) for seq, n in enumerate(["10", "11", "12"], 4)},
    lisbon_node("24"): (PORTO, 6),
}
"""Where each message of the Lisbon conversation belongs: (conversation, seq)."""


def fixture_export() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def read(export: bytes | list[Any]) -> list[SourceConversation | SourceProblem]:
    data = export if isinstance(export, bytes) else json.dumps(export).encode()
    return list(read_chatgpt_export(io.BytesIO(data)))


def conversations(export: bytes | list[Any]) -> list[SourceConversation]:
    read_back = read(export)
    assert all(isinstance(entry, SourceConversation) for entry in read_back), read_back
    return [entry for entry in read_back if isinstance(entry, SourceConversation)]


def by_id(entries: list[SourceConversation]) -> dict[str, SourceConversation]:
    return {entry.conversation["id"]: entry for entry in entries}


def seconds(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, timezone.utc)


def chatgpt_message(stored: Mapping[str, Any]) -> Any:
    """The message object of the export, made again from a stored (or an
    imported) message, as the module docstring says it is kept."""
    if stored.get("kind", "message") != "message":
        return stored["payload"]
    message = copy.deepcopy(stored["extra"]["chatgpt"]["message"])
    content = stored["content"]
    if isinstance(content, str):
        parts: list[Any] = [content]
    else:
        parts = [
            part["text"]
            if part["type"] == "text"
            else {"content_type": part["type"], **{k: v for k, v in part.items() if k != "type"}}
            for part in content
        ]
    message["content"]["parts"] = parts
    return message


def node_links(node: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in node.items() if key != "message"}


def conversation(
    conversation_id: str, mapping: dict[str, Any], current_node: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A ChatGPT conversation of the export's shape."""
    return {
        "title": "T",
        "create_time": 1736000000.0,
        "update_time": 1736000100.0,
        "mapping": mapping,
        "current_node": current_node,
        "id": conversation_id,
        **fields,
    }


def tree(edges: dict[str, list[str]], root: str = "root") -> dict[str, Any]:
    """A mapping of the nodes in ``edges`` (node -> children): the root
    without a message, the others user text messages saying their id."""
    parents = {child: parent for parent, children in edges.items() for child in children}
    nodes = set(edges) | set(parents)
    return {
        node: {
            "id": node,
            "message": None if node == root else text_message(node, "user", node),
            "parent": parents.get(node),
            "children": edges.get(node, []),
        }
        for node in nodes
    }


def text_message(
    message_id: str, role: str, text: str, create_time: Any = 1736000001.0
) -> dict[str, Any]:
    return {
        "id": message_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": create_time,
        "content": {"content_type": "text", "parts": [text]},
        "metadata": {},
    }


# -- reading ----------------------------------------------------------------------------


def test_a_tree_is_a_root_then_its_branches_each_after_its_parent():
    read_back = read(FIXTURE.read_bytes())
    lisbon = [entry for entry in read_back if entry.where.startswith("conversations[0]")]
    assert [entry.conversation["id"] for entry in lisbon] == [LISBON, EDITED, REGENERATED, PORTO]
    shapes = [
        (entry.conversation.get("parent_id"), entry.conversation.get("fork_seq"))
        for entry in lisbon
    ]
    assert shapes == [(None, None), (LISBON, 2), (LISBON, 3), (EDITED, 5)]
    for entry in lisbon:
        for place, message in entry.messages:
            node_id = place.removeprefix('mapping["').removesuffix('"]')
            assert LISBON_PLACES[node_id] == (entry.conversation["id"], message["seq"])
    assert sum(len(entry.messages) for entry in lisbon) == len(LISBON_PLACES)
    assert lisbon[0].where == f'conversations[0] (id {LISBON}, title "Lisbon trip")'
    assert lisbon[1].where == f'{lisbon[0].where}, branch from mapping["{lisbon_node("20")}"]'
    assert {entry.conversation["title"] for entry in lisbon} == {"Lisbon trip"}
    assert all(entry.conversation["extra"] == lisbon[0].conversation["extra"] for entry in lisbon)
    assert set(lisbon[1].conversation) == {
        "id",
        "title",
        "extra",
        "parent_id",
        "fork_seq",
        "created_at",
        "updated_at",
    }


def test_current_node_names_the_active_branch_of_the_root():
    entries = by_id(conversations([fixture_export()[0], fixture_export()[2]]))
    assert entries[LISBON].active_branch_id == PORTO  # a branch of a branch
    assert entries[UNTITLED].active_branch_id is None  # on the root's path
    assert all(entries[branch].active_branch_id is None for branch in (EDITED, REGENERATED, PORTO))


def test_current_node_on_the_root_path_or_none_leaves_the_root_active():
    mapping = tree({"root": ["a"], "a": ["b", "c"]})
    for current_node in ("b", "a", "root", None):
        (root, _) = conversations([conversation(LISBON, mapping, current_node)])
        assert root.active_branch_id is None
    (root, branch) = conversations([conversation(LISBON, mapping, "c")])
    assert root.active_branch_id == branch.conversation["id"] == branch_id(LISBON, "c")


def test_hidden_system_message_and_custom_instructions_are_items():
    root = conversations([fixture_export()[0]])[0]
    export = fixture_export()[0]["mapping"]
    hidden, instructions = (message for _, message in root.messages[:2])
    assert hidden["kind"] == "chatgpt.hidden"
    assert hidden["role"] == "system"
    assert hidden["content"] is None  # its one part is empty
    assert hidden["payload"] == export[lisbon_node("01")]["message"]
    assert instructions["kind"] == "chatgpt.custom_instructions"
    assert instructions["role"] == "user"
    assert instructions["payload"] == export[lisbon_node("02")]["message"]
    assert "I live in Porto" in instructions["content"]
    assert "Answer briefly." in instructions["content"]


EXPECTED_ITEMS = {
    "06": ("chatgpt.thoughts", "assistant", "Identifying the landmark\nA limestone tower"),
    "07": ("chatgpt.reasoning_recap", "assistant", "Thought for 4 seconds"),
    "08": ("chatgpt.code", "assistant", "from astral import LocationInfo\n"),
    "09": ("chatgpt.execution_output", "tool", "2025-01-07 17:29:41+00:00"),
    "0a": ("chatgpt.tether_browsing_display", "tool", "# 【0†Belém Tower: opening hours"),
    "0b": (
        "chatgpt.tether_quote",
        "tool",
        "Belém Tower | Visit Lisboa\nhttps://www.visitlisboa.com/en/places/belem-tower\n"
        "The tower was built",
    ),
    "0c": ("chatgpt.system_error", "tool", "tool_error\nError when executing command"),
}


@pytest.mark.parametrize("number", sorted(EXPECTED_ITEMS))
def test_each_tool_and_reasoning_content_type_is_an_item_with_its_text(number):
    root = conversations([fixture_export()[0]])[0]
    found = dict(root.messages)[f'mapping["{lisbon_node(number)}"]']
    kind, role, text = EXPECTED_ITEMS[number]
    assert (found["kind"], found["role"]) == (kind, role)
    assert found["content"].startswith(text)
    assert found["payload"] == fixture_export()[0]["mapping"][lisbon_node(number)]["message"]
    assert found["extra"] == {
        "chatgpt": {"node": node_links(fixture_export()[0]["mapping"][lisbon_node(number)])}
    }


def test_text_and_multimodal_messages_are_chat_messages_with_parts():
    entries = by_id(conversations([fixture_export()[0], fixture_export()[2]]))
    lisbon = dict(entries[LISBON].messages)
    image = lisbon[f'mapping["{lisbon_node("05")}"]']
    assert "kind" not in image and image["role"] == "user"
    assert image["content"][1] == {"type": "text", "text": "What is this tower?"}
    assert image["content"][0]["type"] == "image_asset_pointer"
    assert image["content"][0]["asset_pointer"] == "file-service://file-4Zx9KqTbM2wLpR7s"
    voice = dict(entries[REGENERATED].messages)[f'mapping["{lisbon_node("11")}"]']
    assert [part["type"] for part in voice["content"]] == [
        "audio_transcription",
        "audio_asset_pointer",
    ]
    assert voice["content"][0]["text"] == "Are they open on Sundays?"
    answer = lisbon[f'mapping["{lisbon_node("04")}"]']
    assert answer["content"] == "Start in Alfama, then take tram 28 up to the castle."
    assert answer["extra"]["chatgpt"]["message"]["metadata"]["model_slug"] == "gpt-4o"
    assert "parts" not in answer["extra"]["chatgpt"]["message"]["content"]
    untitled = [message for _, message in entries[UNTITLED].messages]
    assert untitled[1]["kind"] == "chatgpt.sonic_future_widget"  # a type to come
    assert untitled[1]["content"] == "A widget showing tram routes"
    assert untitled[2]["content"][1]["type"] == "real_time_user_audio_video_asset_pointer"
    assert (untitled[3]["kind"], untitled[3]["role"]) == ("chatgpt.text", "tool")


def test_every_message_of_the_export_can_be_made_again_from_what_is_imported():
    export = fixture_export()
    given = [export[0], export[2]]
    for entry in conversations(given):
        mapping = given[0 if entry.where.startswith("conversations[0]") else 1]["mapping"]
        for place, message in entry.messages:
            node = mapping[place.removeprefix('mapping["').removesuffix('"]')]
            assert chatgpt_message(message) == node["message"]
            assert message["extra"]["chatgpt"]["node"] == node_links(node)


def test_a_part_the_chat_format_would_read_otherwise_makes_the_message_an_item():
    message = text_message("a", "user", "x")
    message["content"] = {
        "content_type": "multimodal_text",
        "parts": [{"content_type": "text", "text": "x"}],
    }
    mapping = {
        "root": {"id": "root", "message": None, "parent": None, "children": ["a"]},
        "a": {"id": "a", "message": message, "parent": "root", "children": []},
    }
    (root,) = conversations([conversation(LISBON, mapping)])
    (item,) = [found for _, found in root.messages]
    assert (item["kind"], item["content"], item["payload"]) == (
        "chatgpt.multimodal_text",
        "x",
        message,
    )


def test_times_null_take_the_message_before_or_the_conversation():
    entries = by_id(conversations([fixture_export()[0], fixture_export()[2]]))
    lisbon = [message for _, message in entries[LISBON].messages]
    assert entries[LISBON].conversation["created_at"] == seconds(1736209400.0)
    assert entries[LISBON].conversation["updated_at"] == seconds(1736210000.5)
    assert lisbon[0]["created_at"] == lisbon[1]["created_at"] == seconds(1736209400.0)
    assert lisbon[2]["created_at"] == datetime(2025, 1, 7, 0, 23, 32, 345678, timezone.utc)
    regenerated = [message for _, message in entries[REGENERATED].messages]
    assert regenerated[2]["created_at"] == regenerated[1]["created_at"] == seconds(1736209600.0)
    assert entries[REGENERATED].conversation["created_at"] == seconds(1736209430.0)
    assert entries[REGENERATED].conversation["updated_at"] == seconds(1736209600.0)
    untitled = entries[UNTITLED].conversation  # create_time and update_time are null
    assert (untitled["created_at"], untitled["updated_at"]) == (
        seconds(1736300000.0),
        seconds(1736300050.0),
    )


def test_conversation_fields_without_a_place_of_their_own_go_to_extra():
    export = fixture_export()
    entries = by_id(conversations([export[0], export[2]]))
    kept = entries[LISBON].conversation["extra"]
    others = {key: value for key, value in export[0].items() if key not in STORED_APART}
    assert kept == {
        **others,
        "mapping": {"client-created-root": export[0]["mapping"]["client-created-root"]},
    }
    assert kept["default_model_slug"] == "gpt-4o" and kept["is_archived"] is False
    untitled = entries[UNTITLED].conversation
    assert untitled["title"] is None
    assert untitled["extra"]["conversation_id"] == UNTITLED  # it has no "id"
    assert all("user_id" not in entry.conversation for entry in entries.values())


def test_a_conversation_id_that_is_not_a_uuid_stands_for_one():
    (root, branch) = conversations(
        [conversation("chat-42", tree({"root": ["a"], "a": ["b", "c"]}))]
    )
    assert root.conversation["id"] == canonical_id("chat-42")
    assert branch.conversation["id"] == branch_id(canonical_id("chat-42"), "c")


def test_a_branch_without_messages_is_left_out_and_its_forks_fork_from_its_parent():
    mapping = tree({"root": ["a"], "a": ["b", "gap"], "gap": ["gap2", "c", "d"]})
    mapping["gap"]["message"] = mapping["gap2"]["message"] = None
    (root, first, second) = conversations([conversation(LISBON, mapping, "gap2")])
    assert [message["seq"] for _, message in root.messages] == [1, 2]
    assert [entry.conversation["id"] for entry in (first, second)] == [
        branch_id(LISBON, "c"),
        branch_id(LISBON, "d"),
    ]
    assert {
        (entry.conversation["parent_id"], entry.conversation["fork_seq"])
        for entry in (first, second)
    } == {(LISBON, 1)}
    assert root.active_branch_id is None  # "gap" belongs to no branch of its own: its parent's


def test_an_edit_of_the_first_message_forks_before_any_message():
    (root, branch) = conversations([conversation(LISBON, tree({"root": ["a", "b"]}))])
    assert (branch.conversation["parent_id"], branch.conversation["fork_seq"]) == (LISBON, 0)
    assert [message["seq"] for _, message in branch.messages] == [1]


def test_an_empty_mapping_is_a_conversation_without_messages():
    (root,) = conversations([conversation(LISBON, {})])
    assert root.messages == []
    assert root.conversation["created_at"] == seconds(1736000000.0)


def test_a_deep_tree_is_read_without_recursion():
    depth = 10_000
    chain = {"root": ["n0"], **{f"n{i}": [f"n{i + 1}"] for i in range(depth - 1)}}
    (root,) = conversations([conversation(LISBON, tree(chain), f"n{depth - 1}")])
    assert [message["seq"] for _, message in root.messages] == list(range(1, depth + 1))
    # Each second child goes on, so branches nest 2,000 deep.
    stairs = {"root": ["s0"], **{f"s{i}": [f"leaf{i}", f"s{i + 1}"] for i in range(2_000)}}
    entries = conversations([conversation(LISBON, tree(stairs), "s2000")])
    assert len(entries) == 2_001
    deepest = entries[-1]
    assert deepest.conversation["id"] == branch_id(LISBON, "s2000")
    assert deepest.conversation["fork_seq"] == 2_000
    assert entries[0].active_branch_id == deepest.conversation["id"]


def test_a_zip_export_is_read_from_its_conversations_json(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as export:
        export.writestr("chat.html", "<html></html>")
        export.writestr("user.json", "{}")
        export.write(FIXTURE, "ChatGPT-export-2026-01-10/conversations.json")
    expected = read(FIXTURE.read_bytes())
    with archive.open("rb") as source:
        assert list(read_chatgpt_export(source)) == expected
    with archive.open("rb") as source:
        assert list(read_chatgpt_export(Unseekable(source))) == expected


def test_a_split_zip_export_is_read_file_after_file(tmp_path):
    export = fixture_export()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("conversations-001.json", json.dumps(export[1:]))
        written.writestr("conversations-000.json", json.dumps(export[:1]))
        written.writestr("conversations.json.index", "{}")
    with archive.open("rb") as source:
        read_back = list(read_chatgpt_export(source))
    assert [entry.where.split(" ")[0] for entry in read_back] == [
        *["conversations-000.json[0]"] * 4,
        "conversations-001.json[0]",
        "conversations-001.json[1]",
    ]
    assert isinstance(read_back[4], SourceProblem)


def test_a_zip_without_conversations_is_refused(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("user.json", "{}")
    with archive.open("rb") as source, pytest.raises(InvalidInput, match="no conversations.json"):
        list(read_chatgpt_export(source))


class Unseekable(io.RawIOBase):
    """A stream that cannot seek, as a pipe."""

    def __init__(self, source: io.BufferedIOBase) -> None:
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(min(len(buffer), 1000))
        buffer[: len(data)] = data
        return len(data)


BROKEN = {
    "a parent not in the mapping": (
        {
            "root": {"message": None, "parent": None, "children": []},
            "a": {"message": None, "parent": "gone", "children": []},
        },
        "mapping node a has parent gone, which is not in the mapping",
    ),
    "a cycle": (
        {
            "root": {"message": None, "parent": None, "children": []},
            "a": {"message": None, "parent": "b", "children": ["b"]},
            "b": {"message": None, "parent": "a", "children": ["a"]},
        },
        "mapping has 2 nodes its root root does not reach: their parents form a cycle",
    ),
    "only a cycle": (
        {"a": {"message": None, "parent": "a", "children": ["a"]}},
        "mapping has no root (a node whose parent is null): its parents form a cycle",
    ),
    "two roots": (
        {
            "r1": {"message": None, "parent": None, "children": []},
            "r2": {"message": None, "parent": None, "children": []},
        },
        "mapping has 2 roots (nodes whose parent is null): r1, r2",
    ),
    "a child not in the mapping": (
        {"root": {"message": None, "parent": None, "children": ["x"]}},
        "mapping node root lists child x, which is not in the mapping",
    ),
    "a child that is another's": (
        {
            "root": {"message": None, "parent": None, "children": ["a", "b"]},
            "a": {"message": None, "parent": "root", "children": ["b"]},
            "b": {"message": None, "parent": "root", "children": []},
        },
        "mapping node b is a child of a, but its parent is root",
    ),
    "a node its parent does not list": (
        {
            "root": {"message": None, "parent": None, "children": []},
            "a": {"message": None, "parent": "root", "children": []},
        },
        "mapping node a has parent root, which does not list it as a child",
    ),
    "a bad time": (
        {
            "root": {"message": None, "parent": None, "children": ["a"]},
            "a": {
                "message": text_message("a", "user", "hi", 1e15),
                "parent": "root",
                "children": [],
            },
        },
        'mapping["a"].message.create_time 1000000000000000.0 is not a time between the years 1 and 9999',
    ),
    "a time that is text": (
        {
            "root": {"message": None, "parent": None, "children": ["a"]},
            "a": {
                "message": text_message("a", "user", "hi", "yesterday"),
                "parent": "root",
                "children": [],
            },
        },
        "mapping[\"a\"].message.create_time must be seconds since 1970 or null, got str 'yesterday'",
    ),
    "a message without an author": (
        {
            "root": {"message": None, "parent": None, "children": ["a"]},
            "a": {
                "message": {"content": {"content_type": "text", "parts": []}},
                "parent": "root",
                "children": [],
            },
        },
        'mapping["a"].message.author.role must be text, got NoneType None',
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_conversation_that_cannot_be_read_is_a_problem_and_the_next_still_comes(case):
    mapping, reason = BROKEN[case]
    good = conversation(UNTITLED, tree({"root": ["a"]}))
    read_back = read([conversation(LISBON, mapping), good])
    assert read_back[0] == SourceProblem(f'conversations[0] (id {LISBON}, title "T")', reason)
    assert isinstance(read_back[1], SourceConversation)
    assert read_back[1].where == f'conversations[1] (id {UNTITLED}, title "T")'


def test_conversation_level_problems_name_the_field():
    cases = [
        (
            {"title": "No id", "mapping": {}},
            'conversations[0] (title "No id")',
            "it has no id (neither id nor conversation_id)",
        ),
        (
            conversation(LISBON, {}, "nowhere"),
            None,
            "current_node str 'nowhere' is not in the mapping",
        ),
        (conversation(LISBON, [], None), None, "mapping must be an object of nodes, got list []"),
        (conversation(LISBON, {}, None, title=7), None, "title must be text or null, got int 7"),
        (
            {**conversation(LISBON, {}), "create_time": None, "update_time": None},
            None,
            "create_time and update_time are null and no message has a time",
        ),
    ]
    for given, where, reason in cases:
        (problem,) = read([given])
        assert isinstance(problem, SourceProblem)
        assert problem.reason == reason
        if where is not None:
            assert problem.where == where
    (fixture_problem,) = [
        entry for entry in read(FIXTURE.read_bytes()) if isinstance(entry, SourceProblem)
    ]
    assert fixture_problem.reason == "mapping node b2 has parent b9, which is not in the mapping"


def test_input_that_is_not_an_array_of_conversations_raises_invalid_input():
    cases = {
        b"": "the input must be a JSON array of conversations; it is empty",
        b' {"mapping": {}}': "the input must be a JSON array of conversations; it is a JSON object",
        b"\x1f\x8b\x08\x00": "it looks gzip-compressed: decompress it first",
        b'[{"id": "a", "mapping": {}}, 3]': "the input: conversations[1] is a number, not a JSON object",
    }
    for given, message in cases.items():
        with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
            read(given)


def test_broken_json_raises_invalid_input_naming_the_byte_after_what_came_before():
    whole = FIXTURE.read_bytes()
    cut = whole[: len(whole) - 100]
    read_back = read_chatgpt_export(io.BytesIO(cut))
    assert [next(read_back).conversation["id"] for _ in range(4)] == [
        LISBON,
        EDITED,
        REGENERATED,
        PORTO,
    ]
    with pytest.raises(InvalidInput) as raised:
        list(read_back)
    assert str(raised.value) == (
        f"the input is not valid JSON: it ends at byte {len(cut):,}, inside a value: is it cut short?"
    )
    with pytest.raises(InvalidInput) as raised:
        read(b'[{"id": tru}]')
    assert str(raised.value).startswith(
        "the input is not valid JSON: lexical error: invalid string in json text at byte 11 "
    )
    garbage = b"[" + b" " * 100_000 + b"] x"
    with pytest.raises(InvalidInput, match="trailing garbage at byte 100,004 "):
        read(garbage)


# -- what ijson gets wrong: depth, long keys, lone surrogates ----------------------------


def with_metadata(conversation_id: str, metadata_json: str) -> bytes:
    """A conversation of one user message whose metadata is ``metadata_json``."""
    message = text_message("m1", "user", "Hi")
    message["metadata"] = "METADATA"
    mapping = {"m1": {"id": "m1", "message": message, "parent": None, "children": []}}
    given = json.dumps(conversation(conversation_id, mapping, "m1"))
    return given.replace('"METADATA"', metadata_json).encode()


def export_of(*conversation_texts: bytes) -> bytes:
    return b"[" + b", ".join(conversation_texts) + b"]"


def peak_memory_reading(export: bytes) -> tuple[list[SourceConversation | SourceProblem], int]:
    """What the reader yields of ``export``, and the most memory it took (bytes)."""
    tracemalloc.start()
    try:
        read_back = read(export)
        return read_back, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


NESTED_TOO_DEEP = (
    r"^a value at byte [\d,]+ is nested more than 71 levels deep: the export's 7 levels "
    r"\(conversations, conversation, mapping, node, message, content, parts\) and the 64 "
    r"a value may nest \(Limits.max_json_depth\)$"
)


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a": ', "}")])
def test_a_conversation_nested_too_deep_is_refused_in_flat_memory(opening, closing):
    # ijson keeps a path string per level: 8,000 levels took 150 MiB, 32,000 2.4 GiB
    levels = 8_000
    deep = opening * levels + "1" + closing * levels
    export = export_of(
        with_metadata(LISBON, "{}"), with_metadata(UNTITLED, deep), with_metadata(LISBON, "{}")
    )
    read_back, peak = peak_memory_reading(export)
    assert [type(entry) for entry in read_back] == [
        SourceConversation,
        SourceProblem,
        SourceConversation,
    ]
    assert read_back[1].where == f'conversations[1] (id {UNTITLED}, title "T")'
    assert re.match(NESTED_TOO_DEEP, read_back[1].reason)
    assert peak < 8 * 1024 * 1024


def nested_part(levels: int) -> dict[str, Any]:
    """A part of a kind convstore keeps as given, whose value nests ``levels``
    arrays deep (the innermost empty)."""
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return {"content_type": "image_asset_pointer", "value": value}


def with_part(part: dict[str, Any]) -> dict[str, Any]:
    """A conversation (of a new id) of one user message whose one part is ``part``."""
    message = text_message("m1", "user", "x")
    message["content"] = {"content_type": "multimodal_text", "parts": [part]}
    mapping = {"m1": {"id": "m1", "message": message, "parent": None, "children": []}}
    return conversation(str(uuid.uuid4()), mapping)


def test_the_depth_allowed_is_the_stores_below_the_exports_own_levels(store: Store, user: str):
    # The parts of a message's content are the deepest value the store keeps
    # (7 levels into the export); it takes them nested 64 levels deep.
    deepest, too_deep = with_part(nested_part(63)), with_part(nested_part(64))
    kept, refused = import_export(store, [deepest, too_deep], user)
    assert isinstance(kept, Imported) and kept.messages == 1
    assert isinstance(refused, Skipped) and re.match(NESTED_TOO_DEEP, refused.reason)
    stored = store.get_conversation(deepest["id"])
    assert stored is not None
    assert stored["messages"][0]["content"][0]["value"] == nested_part(63)["value"]


def test_keys_that_make_a_long_way_to_a_value_are_refused_in_flat_memory():
    # ijson repeats the keys on the way in its path string of each level below
    key = "k" * 20_000
    levels = 60
    long_way = f'{{"{key}": ' * levels + "1" + "}" * levels
    short_way = f'{{"{key}": 1, "{key}x": 2, "a": {{"b": [1]}}}}'
    export = export_of(with_metadata(LISBON, long_way), with_metadata(UNTITLED, short_way))
    (refused, kept), peak = peak_memory_reading(export)
    assert isinstance(refused, SourceProblem)
    assert re.match(
        r"^the keys on the way to the value at byte [\d,]+ hold more than 65,536 bytes$",
        refused.reason,
    )
    assert isinstance(kept, SourceConversation)
    assert kept.messages[0][1]["extra"]["chatgpt"]["message"]["metadata"] == json.loads(short_way)
    assert peak < 16 * 1024 * 1024


LONE_SURROGATES = {
    "high, then text": ("a\\ud800bc", "d800"),
    "high, at the end": ("a\\ud800", "d800"),
    "high, then an escape": ("\\ud800\\u0041", "d800"),
    "high, then high": ("\\ud800\\ud83d\\ude00", "d800"),
    "low": ("a\\udc00", "dc00"),
    "low, after a pair": ("\\ud83d\\ude00\\udfff", "dfff"),
}
"""An escaped lone surrogate in a JSON string, and the escape refused."""


@pytest.mark.parametrize("case", sorted(LONE_SURROGATES))
def test_an_escaped_lone_surrogate_refuses_its_conversation_in_one_line(case):
    # ijson read "a\ud800bc" as "a?bc" and "\ud800\u0041" as U+10041, and
    # failed on "\udc00" in a way that stopped the whole file
    escaped, refused_escape = LONE_SURROGATES[case]
    title = f'{{"title": "{escaped}", "id": "{UNTITLED}", "mapping": {{}}}}'.encode()
    in_text = with_metadata(LISBON, f'{{"note": "{escaped}"}}')
    fine = json.dumps(conversation(LISBON, {})).encode()
    read_back = read(export_of(title, in_text, fine))
    assert [type(entry) for entry in read_back] == [
        SourceProblem,
        SourceProblem,
        SourceConversation,
    ]
    for problem in read_back[:2]:
        assert re.match(
            rf"^a string is not valid Unicode text: the escape \\u{refused_escape} at byte "
            r"[\d,]+ is a lone surrogate$",
            problem.reason,
        )
    assert read_back[1].where == f'conversations[1] (id {LISBON}, title "T")'


def test_escaped_surrogate_pairs_and_text_read_as_they_say():
    title = r"caf\u00e9 \ud83d\ude00 \\ud800 \"\\\ud83d\ude00"  # \\ud800: a backslash, then text
    given = json.dumps(conversation(LISBON, {}, title="TITLE")).replace('"TITLE"', f'"{title}"')
    (root,) = conversations(export_of(given.encode()))
    assert root.conversation["title"] == 'café 😀 \\ud800 "\\😀'


def test_text_that_is_not_utf8_stops_the_reading_in_one_line():
    # a surrogate written out in bytes, which ijson's parser lets by
    export = b'[{"id": "6f1e7c52-2b7e-4c1a-9d55-0c7f1b0e9a31", "title": "a\xed\xa0\x80"}]'
    with pytest.raises(InvalidInput, match=r"^the input is not UTF-8 text \(.*\) near byte "):
        read(export)


class Trickle(io.RawIOBase):
    """A stream that hands on a few bytes a read, to cut every escape and
    bracket somewhere."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), 1 + self.position % 7)
        piece = self.data[self.position : self.position + size]
        buffer[: len(piece)] = piece
        self.position += len(piece)
        return len(piece)


def test_what_is_refused_is_found_however_the_input_is_cut():
    escaped = r"\u00e9\ud83d\ude00 \\ \" " * 50
    export = export_of(
        FIXTURE.read_bytes().strip()[1:-1],
        with_metadata(UNTITLED, f'{{"a": "{escaped}\\ud800{escaped}"}}'),
        with_metadata(UNTITLED, "[" * 100 + "]" * 100),
        with_metadata(UNTITLED, f'{{"a": "{escaped}"}}'),
    )
    whole = read(export)
    assert [type(entry) for entry in whole[-3:]] == [
        SourceProblem,
        SourceProblem,
        SourceConversation,
    ]
    assert list(read_chatgpt_export(Trickle(export))) == whole


# -- importing --------------------------------------------------------------------------


def fresh_ids(export: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The export with new conversation ids, so that tests sharing a database
    keep apart."""
    for given in export:
        new_id = str(uuid.uuid4())
        for key in ("id", "conversation_id"):
            if key in given:
                given[key] = new_id
    return export


def import_export(
    store: Store, export: list[dict[str, Any]], user: str
) -> list[Imported | Skipped]:
    """Import what the reader yields, as ``user``'s, skipping what it cannot read."""
    source = io.BytesIO(json.dumps(export).encode())
    return list(import_source(store, read_chatgpt_export(source), user_id=user, skip_invalid=True))


def stored_places(export: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, int]]:
    """Each node of an exported conversation with a message, with the
    conversation and seq it is stored at (by the module docstring's rules,
    walked here independently: first children continue a path)."""
    root_id = canonical_id(export.get("id") or export["conversation_id"])
    mapping = export["mapping"]
    (root,) = [node for node in mapping.values() if node["parent"] is None]
    waiting = [(root["id"], root_id, 0)]
    while waiting:
        node_id, holder, seq = waiting.pop()
        while node_id is not None:
            node = mapping[node_id]
            if node["message"] is not None:
                seq += 1
                yield node, holder, seq
            for child in node["children"][1:]:
                waiting.append((child, branch_id(root_id, child), seq))
            node_id = node["children"][0] if node["children"] else None


def expected_extra(given: dict[str, Any]) -> dict[str, Any]:
    """A conversation's extra, as the module docstring says: its fields but
    those stored apart, and its nodes without a message as its mapping."""
    others = {key: value for key, value in given.items() if key not in STORED_APART}
    mapping = given["mapping"]
    return {
        **others,
        "mapping": {key: node for key, node in mapping.items() if node["message"] is None},
    }


def test_importing_keeps_every_field_of_the_export(store: Store, user: str):
    export = fresh_ids(fixture_export())
    imported = import_export(store, export, user)
    lisbon, broken, untitled = export
    assert imported[4] == Skipped(
        f'conversations[1] (id {broken["id"]}, title "Broken")',
        "mapping node b2 has parent b9, which is not in the mapping",
    )
    assert store.get_conversation(broken["id"]) is None
    for given, created, updated in [
        (lisbon, 1736209400.0, 1736210000.5),
        (untitled, 1736300000.0, 1736300050.0),  # null in the export: its messages' times
    ]:
        stored = store.get_conversation(given.get("id") or given["conversation_id"])
        assert stored is not None
        assert (stored["user_id"], stored["title"]) == (user, given["title"])
        assert (stored["created_at"], stored["updated_at"]) == (seconds(created), seconds(updated))
        assert (stored["extra"], stored["metadata"]) == (expected_extra(given), {})
        for node, holder, seq in stored_places(given):
            message = store.get_message(holder, seq)
            assert message is not None, (holder, seq)
            assert chatgpt_message(message) == node["message"]
            assert message["extra"]["chatgpt"]["node"] == node_links(node)
            if node["message"]["create_time"] is not None:
                assert message["created_at"] == seconds(node["message"]["create_time"])


def test_importing_makes_the_tree_with_its_active_branch(store: Store, user: str):
    export = fresh_ids(fixture_export())
    import_export(store, export, user)
    lisbon_id = export[0]["id"]
    edited, regenerated, porto = (branch_id(lisbon_id, lisbon_node(n)) for n in ("20", "10", "24"))
    tree_of_lisbon = store.get_conversation_tree(lisbon_id)
    assert [
        (member["conversation_id"], member["parent_id"], member["fork_seq"], member["depth"])
        for member in tree_of_lisbon
    ] == [
        (lisbon_id, None, None, 0),
        (edited, lisbon_id, 2, 1),
        (regenerated, lisbon_id, 3, 1),
        (porto, edited, 5, 2),
    ]
    assert [branch["conversation_id"] for branch in store.list_branches(lisbon_id)] == [
        edited,
        regenerated,
    ]
    for member in tree_of_lisbon:
        branch = store.get_conversation(member["conversation_id"])
        assert branch is not None
        assert (branch["title"], branch["extra"]) == ("Lisbon trip", expected_extra(export[0]))
    place = store.get_branch(porto)
    assert place is not None and place["active_branch_id"] == porto
    stored_porto = store.get_conversation(porto)
    assert stored_porto is not None
    assert [message["content"] for message in stored_porto["messages"]][2:] == [
        "Three days in Lisbon?",
        "Three days leave time for Sintra too.",
        "And Porto?",
        "Take the Alfa Pendular: under three hours to Porto.",
    ]


def test_importing_again_adds_nothing(store: Store, user: str):
    export = fresh_ids(fixture_export())
    first = import_export(store, export, user)
    assert [entry[1:] for entry in first if isinstance(entry, Imported)] == [
        (1, 13),
        (1, 4),
        (1, 3),
        (1, 1),
        (1, 5),
    ]
    ids = [entry.conversation["id"] for entry in conversations([export[0], export[2]])]
    stored = [store.get_conversation(conversation_id) for conversation_id in ids]
    again = import_export(store, export, user)
    assert [entry.where for entry in again] == [entry.where for entry in first]
    assert [entry[1:] for entry in again if isinstance(entry, Imported)] == [(0, 0)] * 5
    assert [store.get_conversation(conversation_id) for conversation_id in ids] == stored


def test_an_export_another_user_imported_is_refused_once_a_conversation(store: Store, user: str):
    export = fresh_ids(fixture_export())
    import_export(store, export, user)
    lisbon, broken, untitled = export
    trees = {
        conversation_id: store.get_conversation_tree(conversation_id)
        for conversation_id in (lisbon["id"], untitled["conversation_id"])
    }
    stored = {
        member["conversation_id"]: store.get_conversation(member["conversation_id"])
        for tree in trees.values()
        for member in tree
    }
    assert len(stored) == 5  # Lisbon, its three branches, Untitled
    other = f"{user}-other"
    assert import_export(store, export, other) == [
        Skipped(
            f'conversations[0] (id {lisbon["id"]}, title "Lisbon trip")',
            f"conversation {lisbon['id']} belongs to another user than {other!r}",
        ),
        Skipped(
            f'conversations[1] (id {broken["id"]}, title "Broken")',
            "mapping node b2 has parent b9, which is not in the mapping",
        ),
        Skipped(
            f"conversations[2] (id {untitled['conversation_id']})",
            f"conversation {untitled['conversation_id']} belongs to another user than {other!r}",
        ),
    ]
    assert store.list_conversations(other) == []
    assert {key: store.get_conversation(key) for key in stored} == stored
    assert {key: store.get_conversation_tree(key) for key in trees} == trees


def test_search_finds_code_and_quotes_of_items(store: Store, user: str):
    export = fresh_ids(fixture_export())
    import_export(store, export, user)
    (code,) = store.search_messages(user, "astral LocationInfo")
    assert (code["conversation_id"], code["seq"]) == (export[0]["id"], 8)
    (quote,) = store.search_messages(user, '"built between 1514 and 1519"')
    assert (quote["conversation_id"], quote["seq"]) == (export[0]["id"], 11)
    kinds = [message["kind"] for message in store.get_messages(export[0]["id"], limit=None)]
    assert kinds[:3] == ["chatgpt.hidden", "chatgpt.custom_instructions", "message"]


def test_a_zip_member_that_cannot_be_unpacked_is_refused_in_one_line():
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("conversations.json", b"[]")
    damaged = bytearray(packed.getvalue())
    header = damaged.index(b"PK\x03\x04")
    damaged[header + 6] |= 0x01  # the "encrypted" flag of the member's local header
    central = damaged.index(b"PK\x01\x02")
    damaged[central + 8] |= 0x01  # and of its central directory entry
    with pytest.raises(InvalidInput, match="conversations.json in the zip archive cannot be read"):
        read(bytes(damaged))

"""Generated OpenAI chat messages -- any mix of content parts, tool calls, the
legacy function_call and function role, refusals, weights, names and fields
convstore has no column for -- come back identical from the store, from a
JSONL export imported into either database, and from the SQLite ->
PostgreSQL transfer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convstore
from convstore.store import Store
from convstore.transfer import transfer
from convstore.transfer.jsonl import export_conversations, import_conversations

from .conftest import DIALECTS

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=24
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
)
PART = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}),
    st.fixed_dictionaries({"type": st.just("refusal"), "refusal": TEXT}),
    st.fixed_dictionaries(
        {
            "type": st.just("image_url"),
            "image_url": st.fixed_dictionaries(
                {"url": TEXT}, optional={"detail": st.sampled_from(["low", "high", "auto"])}
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("input_audio"),
            "input_audio": st.fixed_dictionaries(
                {"data": TEXT, "format": st.sampled_from(["wav", "mp3"])}
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("file"),
            "file": st.fixed_dictionaries(
                {"file_id": TEXT}, optional={"filename": TEXT, "file_data": TEXT}
            ),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["output_text", "input_image", "thinking"])},
        optional={"data": JSON_VALUES},
    ),
)
CONTENT = TEXT | st.lists(PART, max_size=4)
TOOL_CALL = st.fixed_dictionaries(
    {
        "id": TEXT.filter(bool),
        "type": st.just("function"),
        "function": st.fixed_dictionaries({"name": TEXT}, optional={"arguments": TEXT}),
    },
    optional={"index": st.integers(0, 9)},
)
FUNCTION_CALL = st.fixed_dictionaries({"name": TEXT, "arguments": TEXT})
EXTRA = st.dictionaries(
    st.sampled_from(["audio", "annotations", "reasoning_content", "x_provider"]),
    JSON_VALUES,
    min_size=1,
    max_size=2,
)
SAYS_MORE = ("tool_calls", "function_call", "refusal", "extra")

MESSAGE = st.one_of(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "developer", "user"]), "content": CONTENT},
        optional={"name": TEXT, "extra": EXTRA},
    ),
    st.fixed_dictionaries(
        {"role": st.just("assistant")},
        optional={
            "content": CONTENT | st.none(),
            "tool_calls": st.lists(TOOL_CALL, min_size=1, max_size=2),
            "function_call": FUNCTION_CALL,
            "refusal": TEXT,
            "weight": st.sampled_from([0, 1]),
            "name": TEXT,
            "extra": EXTRA,
        },
    ).filter(lambda m: m.get("content") is not None or any(key in m for key in SAYS_MORE)),
    st.fixed_dictionaries(
        {"role": st.just("tool"), "tool_call_id": TEXT, "content": CONTENT},
        optional={"extra": EXTRA},
    ),
    st.fixed_dictionaries(
        {"role": st.just("function"), "name": TEXT}, optional={"content": TEXT | st.none()}
    ),
)
HISTORY = st.lists(MESSAGE, min_size=1, max_size=6)
PROFILE = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _as_read(given: dict[str, Any]) -> dict[str, Any]:
    """What a stored message's OpenAI fields are for a message given as ``given``."""
    return {
        "role": given["role"],
        "content": given.get("content"),
        "tool_calls": given.get("tool_calls"),
        "tool_call_id": given.get("tool_call_id"),
        "name": given.get("name"),
        "function_call": given.get("function_call"),
        "refusal": given.get("refusal"),
        "weight": given.get("weight"),
        "extra": given.get("extra", {}),
    }


def _openai_fields(stored: dict[str, Any]) -> dict[str, Any]:
    return {key: stored[key] for key in _as_read({"role": ""})}


@pytest.fixture
def store(open_store) -> Store:
    return open_store()


@given(history=HISTORY)
@PROFILE
def test_generated_messages_come_back_identical(store, user, history):
    conversation_id = store.create_conversation(user)
    stored = store.add_messages(conversation_id, history)
    one_by_one = [store.add_message(conversation_id, **message) for message in history]

    assert [_openai_fields(m) for m in stored] == [_as_read(m) for m in history]
    assert [_openai_fields(m) for m in one_by_one] == [_as_read(m) for m in history]
    assert store.get_messages(conversation_id, limit=None) == [*stored, *one_by_one]


@pytest.fixture(params=DIALECTS, ids=[f"into-{dialect}" for dialect in DIALECTS])
def destination(request, tmp_path, scratch_databases) -> Iterator[Store]:
    url = (
        f"sqlite:///{tmp_path / 'imported.db'}"
        if request.param == "sqlite"
        else scratch_databases.create()
    )
    with convstore.connect(url, migrate=True) as opened:
        yield opened


@given(history=HISTORY)
@PROFILE
def test_a_jsonl_export_imports_identical_messages(store, destination, user, history):
    conversation_id = store.create_conversation(user)
    store.add_messages(conversation_id, history)
    out = io.StringIO()
    export_conversations(store, user, out)

    import_conversations(destination, io.StringIO(out.getvalue()))  # lines end at \n only
    assert destination.get_messages(conversation_id, limit=None) == store.get_messages(
        conversation_id, limit=None
    )


@pytest.fixture
def transfer_urls(sqlite_url, scratch_databases) -> tuple[str, str]:
    convstore.migrate(sqlite_url)
    return sqlite_url, scratch_databases.create()


@given(history=HISTORY)
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_transfer_copies_identical_messages(transfer_urls, user, history):
    source_url, destination_url = transfer_urls
    with convstore.connect(source_url) as source:
        conversation_id = source.create_conversation(user)
        source.add_messages(conversation_id, history)
        expected = source.get_messages(conversation_id, limit=None)

    assert transfer(source_url, destination_url).verified
    with convstore.connect(destination_url) as copied:
        assert copied.get_messages(conversation_id, limit=None) == expected

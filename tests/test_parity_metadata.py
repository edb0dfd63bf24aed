"""Metadata containment answers the same on both databases: PostgreSQL's jsonb
``@>`` is the oracle, SQLite's query files must agree with it for every shape
of document and filter (nested objects, arrays as unordered sets with
duplicates, numbers by value, booleans, null, empty containers, unicode)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convstore

# Integers stay within 2^53: beyond it SQLite compares numbers as doubles (the
# accepted difference named in sql/sqlite/messages_by_metadata.sql).
NUMBERS = st.one_of(
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.sampled_from([0, 1, -1, 1.0, 0.5, 2.5, 10, 10.0, 100, 1e-7]),
)
KEYS = st.one_of(
    st.sampled_from(["a", "b", "tags", "model", "", "a.b", 'q"uote', "[0]", "Ünï", "東京", "$"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=4),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    NUMBERS,
    st.sampled_from(["a", "b", "x", "1", "true", "null", "café", "cafe\u0301", "東京", "", "A"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=5),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
OBJECTS = st.dictionaries(KEYS, VALUES, max_size=4)


def _documents() -> list[dict[str, Any]]:
    """Hand-picked edge cases, then documents drawn with a fixed seed."""
    documents: list[dict[str, Any]] = [
        {},
        {"tags": ["a", "b"]},
        {"tags": ["b"]},
        {"tags": ["a", "b", "b"], "n": 1},
        {"tags": [["a", "b"], "c"]},
        {"tags": [{"k": 1, "v": 2}, {"k": 3}]},
        {"tags": [{"k": 1}, {"v": 2}]},
        {"tags": "a"},
        {"tags": []},
        {"tags": {}},
        {"n": 1},
        {"n": 1.0},
        {"n": 1.5},
        {"n": True},
        {"n": False},
        {"n": None},
        {"n": "1"},
        {"n": 0},
        {"n": [1, 2.0, 3]},
        {"usage": {"total": 12, "prompt": {"cached": 3}}, "model": "gpt-4o-mini"},
        {"usage": {"total": 12}, "model": "gpt-4o"},
        {"a.b": 1, 'q"uote': [1], "[0]": {"東京": "café"}},
        {"a": {"b": 1}},
        {"a": [[]]},
        {"a": [{}]},
        {"a": [None, True, "x"]},
        {"ü": "ü", "u": "u\u0308"},
    ]
    draw = random.Random(11)
    for _ in range(60):
        documents.append(_random_object(draw, 3))
    documents += [  # after the drawn ones, so the examples' numbering holds
        {"big": 10**22, "deep": {"x": {"x": {"x": {"x": {"x": {"x": {"x": {"x": {"y": 1}}}}}}}}}},
        {"big": 10**22 + 1, "tags": ["b"]},
    ]
    return documents


def _random_value(draw: random.Random, depth: int) -> Any:
    kind = draw.randrange(9 if depth > 0 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return draw.choice([True, False])
    if kind == 2:
        return draw.choice([0, 1, 2, -3, 10, 2**40])
    if kind == 3:
        return draw.choice([1.0, 2.5, -0.5, 10.0, 1e-3])
    if kind in (4, 5):
        return draw.choice(["a", "b", "x", "café", "東京", "", "1"])
    if kind in (6, 7):
        return [_random_value(draw, depth - 1) for _ in range(draw.randrange(5))]
    return _random_object(draw, depth - 1)


def _random_object(draw: random.Random, depth: int) -> dict[str, Any]:
    keys = ["a", "b", "tags", "model", "a.b", 'q"uote', "東京"]
    return {draw.choice(keys): _random_value(draw, depth) for _ in range(draw.randrange(1, 5))}


DOCUMENTS = _documents()


@st.composite
def _part_of(draw: st.DrawFn, value: Any) -> Any:
    """A value the document's value contains (usually), reshaped the ways @>
    ignores: keys left out, array elements left out, repeated or reordered,
    integers written as floats; now and then one scalar changed."""
    if isinstance(value, dict):
        kept = [key for key in value if draw(st.booleans())]
        return {key: draw(_part_of(value[key])) for key in kept}
    if isinstance(value, list):
        if not value:
            return []
        picks = draw(st.lists(st.sampled_from(value), max_size=len(value) + 1))
        return [draw(_part_of(item)) for item in picks]
    if draw(st.integers(0, 9)) == 0:
        return draw(SCALARS)
    if isinstance(value, int) and not isinstance(value, bool) and draw(st.booleans()):
        return float(value)
    return value


@st.composite
def _filters(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 3)) == 0:
        return draw(OBJECTS)
    document = draw(st.sampled_from(DOCUMENTS))
    return draw(_part_of(document))


@pytest.fixture(scope="module")
def both(tmp_path_factory, postgres_url):
    """The documents stored as message and conversation metadata on each database."""
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('parity') / 'conversations.db'}"
    convstore.migrate(sqlite_url)
    stores = {"sqlite": convstore.connect(sqlite_url), "postgres": convstore.connect(postgres_url)}
    user = f"parity-{random.Random().getrandbits(48):x}"
    for store in stores.values():
        holder = store.create_conversation(user, title="holder")
        store.add_messages(
            holder,
            [
                {"role": "user", "content": str(i), "metadata": document}
                for i, document in enumerate(DOCUMENTS)
            ],
        )
        for i, document in enumerate(DOCUMENTS):
            store.create_conversation(user, title=str(i), metadata=document)
    yield stores, user
    for store in stores.values():
        store.close()


def _found(store, user: str, wanted: dict[str, Any]) -> tuple[set[str], set[str]]:
    messages = store.find_messages_by_metadata(user, wanted, limit=1000)
    conversations = store.find_conversations_by_metadata(user, wanted, limit=1000)
    return {m["content"] for m in messages}, {c["title"] for c in conversations} - {"holder"}


@settings(max_examples=300, deadline=None)
@given(wanted=_filters())
def test_sqlite_containment_agrees_with_postgres(both, wanted):
    stores, user = both
    expected = _found(stores["postgres"], user, wanted)
    assert _found(stores["sqlite"], user, wanted) == expected, wanted


@pytest.mark.parametrize(
    ("wanted", "contents"),
    [
        ({"tags": ["b"]}, {"1", "2", "3"}),
        ({"tags": ["b", "a", "b"]}, {"1", "3"}),
        ({"tags": [["b"]]}, {"4"}),
        ({"tags": [{"k": 1, "v": 2}]}, {"5"}),
        ({"tags": "a"}, {"7"}),  # a primitive is contained by an array only at the top level
        ({"n": 1.0}, {"3", "10", "11"}),
        ({"n": True}, {"13"}),
        ({"n": None}, {"15"}),
        ({"a": [{}]}, {"24"}),
        ({"u": "u\u0308"}, {"26"}),
    ],
)
def test_containment_examples(both, wanted, contents):
    stores, user = both
    for store in stores.values():
        messages, _ = _found(store, user, wanted)
        assert {m for m in messages if int(m) < 27} == contents, store.dialect


@pytest.mark.parametrize(
    "wanted",
    [
        {"tags": ["b"] * 10_000},  # a large filter against every document
        {"big": 10**22},  # numbers compared exactly, not as doubles
        {"big": 10**22 + 1},
        {"deep": {"x": {"x": {"x": {"x": {"x": {"x": {"x": {"x": {"y": 1}}}}}}}}}},
    ],
)
def test_large_filters_and_numbers_agree(both, wanted):
    """A filter of 10,000 elements took 99 s on SQLite when containment was a
    recursive query matching every pair of nodes at each level."""
    stores, user = both
    assert _found(stores["sqlite"], user, wanted) == _found(stores["postgres"], user, wanted)

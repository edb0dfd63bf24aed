"""What goes in comes out exactly, on both databases: JSON values keep their
types and values, caller-supplied timestamps are read by one rule, and indexed
identifiers have a documented size cap."""

from __future__ import annotations

import io
import json
import math
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convstore import ConfigurationError, DatabaseError, InvalidInput, Limits, validation
from convstore.db.rows import row_dicts
from convstore.transfer.jsonl import export_conversations, import_conversations

# -- JSON: every value back with its type ------------------------------------------------

storable_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**80), 10**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e16, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 0.1, 2.0**53, 1e22]),
    storable_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(storable_text, children, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(storable_text, json_values, max_size=6)


def typed(value):
    """``value`` with each scalar's type made part of it, so that ``1 == 1.0``
    and ``True == 1`` no longer compare equal; ``-0.0`` is expected back as
    ``0.0`` (see convstore.validation)."""
    if isinstance(value, dict):
        return ("dict", {key: typed(item) for key, item in value.items()})
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    if isinstance(value, float):
        return ("float", float.hex(value + 0.0))  # + 0.0 turns -0.0 into 0.0
    return (type(value).__name__, value)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(metadata=json_objects, arguments=json_values)
def test_json_values_come_back_with_their_types(store, user, metadata, arguments):
    conversation_id = store.create_conversation(user, metadata=metadata)
    assert typed(store.get_conversation(conversation_id)["metadata"]) == typed(metadata)

    calls = [{"id": "call-1", "type": "function", "function": {"name": "f", "x": arguments}}]
    stored = store.add_message(
        conversation_id, "assistant", None, metadata=metadata, tool_calls=calls
    )
    (batched,) = store.add_messages(
        conversation_id, [{"role": "user", "content": "hi", "metadata": metadata}]
    )
    read = store.get_message(conversation_id, stored["seq"])
    assert typed(read["metadata"]) == typed(metadata) == typed(stored["metadata"])
    assert typed(read["tool_calls"]) == typed(calls)
    assert typed(store.get_message(conversation_id, batched["seq"])["metadata"]) == typed(metadata)


def test_floats_that_look_like_integers_stay_floats(store, user):
    metadata = {
        "x": 1e16,
        "small": 1e-300,
        "tiny": 5e-324,
        "big": 1.7976931348623157e308,
        "zero": -0.0,
        "whole": 3.0,
        "int": 10**40,
        "negative": -(10**30),
    }
    conversation_id = store.create_conversation(user, metadata=metadata)
    back = store.get_conversation(conversation_id)["metadata"]
    assert back == metadata
    assert {key: type(value) for key, value in back.items()} == {
        key: type(value) for key, value in metadata.items()
    }
    assert math.copysign(1, back["zero"]) == 1.0  # -0.0 is stored as 0.0 on both


def test_values_that_would_not_come_back_exactly_are_refused(store, user):
    conversation_id = store.create_conversation(user)
    for bad in ({1: "int key"}, {"n": float("nan")}, {"s": {1, 2}}, {"b": b"x"}, {"i": 10**4301}):
        with pytest.raises(InvalidInput):
            store.add_message(conversation_id, "user", "x", metadata=bad)
        with pytest.raises(InvalidInput):
            store.create_conversation(user, metadata=bad)
    assert store.get_messages(conversation_id) == []
    assert len(store.list_conversations(user)) == 1


def test_a_jsonl_round_trip_keeps_types(store, user):
    metadata = {"x": 1e16, "n": 10**30, "f": 0.5}
    conversation_id = store.create_conversation(user, metadata=metadata)
    store.add_message(conversation_id, "user", "hi", metadata=metadata)
    out = io.StringIO()
    export_conversations(store, user, out)
    store.delete_conversation(conversation_id)
    import_conversations(store, out.getvalue().splitlines())
    back = store.get_conversation(conversation_id)
    assert typed(back["metadata"]) == typed(metadata)
    assert typed(back["messages"][0]["metadata"]) == typed(metadata)


# -- timestamps: one rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-11-25T13:38:38Z", "2026-11-25T13:38:38.000000Z"),
        ("2026-11-25T15:38:38.5+02:00", "2026-11-25T13:38:38.500000Z"),
        ("2026-11-25 13:38:38", "2026-11-25T13:38:38.000000Z"),  # zone-less: UTC
        ("2024-05-01 10:00:00+00", "2024-05-01T10:00:00.000000Z"),  # psql's output
        ("2026-11-25", "2026-11-25T00:00:00.000000Z"),
        ("2026-11-25T13:38:38.1234567-0130", "2026-11-25T15:08:38.123456Z"),
        (datetime(2026, 11, 25, 13, 38), "2026-11-25T13:38:00.000000Z"),
        (date(2026, 11, 25), "2026-11-25T00:00:00.000000Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
        ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999000Z"),
    ],
)
def test_timestamps_are_read_by_one_rule(written, expected):
    assert validation.timestamp("created_at", written) == expected


@pytest.mark.parametrize(
    "written",
    [
        "infinity",
        "-infinity",
        "epoch",
        "now",
        "today",
        "yesterday",
        "tomorrow",
        "allballs",
        "2026-02-30",
        "2026-11-25T24:00",
        "2026-W48-3",
        "20261125",
        " 2026-11-25",
        "2026-11-25 ",
        "0044-03-15 00:00:00 BC",
        "0000-01-01",
        "10000-01-01",
        "9999-12-31T23:59:59.9999Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-05:00",
        "2026-11-25T10:00+24:00",
        "",
        1_700_000_000,
        None,
        1.5,
    ],
)
def test_everything_else_is_refused_naming_the_field(written):
    with pytest.raises(InvalidInput, match="updated_at"):
        validation.timestamp("updated_at", written)


def test_timestamps_at_the_edges_are_stored_and_read_back_on_both(store, user):
    earliest = "0001-01-01T00:00:00.000000+00:00"
    latest = "9999-12-31T23:59:59.999000+00:00"
    conversation_id = str(uuid.uuid4())
    line = {
        "messages": [{"role": "user", "content": "hi"}],
        "convstore": {
            "conversation": {
                "id": conversation_id,
                "user_id": user,
                "title": None,
                "metadata": {},
                "created_at": earliest,
                "updated_at": latest,
            },
            "messages": [{"seq": 1, "created_at": earliest}],
        },
    }
    import_conversations(store, [json.dumps(line)])
    (listed,) = store.list_conversations(user)
    assert listed["created_at"] == datetime(1, 1, 1, tzinfo=timezone.utc)
    assert listed["updated_at"] == datetime.fromisoformat(latest)
    assert store.get_message(conversation_id, 1)["created_at"] == listed["created_at"]


def test_export_since_is_read_by_the_same_rule(store, user):
    store.create_conversation(user)
    out = io.StringIO()
    for since in ("infinity", "yesterday", "2026-13-01"):
        with pytest.raises(InvalidInput, match="since"):
            export_conversations(store, user, out, since)
    assert out.getvalue() == ""
    assert export_conversations(store, user, out, "2000-01-01") == 1
    assert export_conversations(store, user, out, datetime(9999, 1, 1, tzinfo=timezone.utc)) == 0


def test_age_cutoff_never_overflows():
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert validation.age_cutoff(timedelta(days=1), now) == "2026-11-24T00:00:00.000000Z"
    assert validation.age_cutoff(timedelta.max, now) == "0001-01-01T00:00:00.000000Z"
    for bad in (timedelta(days=-1), 3, None):
        with pytest.raises(InvalidInput, match="older_than"):
            validation.age_cutoff(bad, now)


def test_stored_values_that_do_not_convert_are_a_typed_error_naming_the_column():
    (row,) = row_dicts(["created_at", "metadata"], [("2026-11-25T13:38:38.123Z", '{"x": 1.0}')])
    assert row == {
        "created_at": datetime(2026, 11, 25, 13, 38, 38, 123000, timezone.utc),
        "metadata": {"x": 1.0},
    }
    for column, stored in [
        ("updated_at", "infinity"),
        ("created_at", 1714557600),
        ("metadata", "{"),
        ("tool_calls", "[" * 100_000),
    ]:
        with pytest.raises(DatabaseError, match=f"column {column} holds"):
            row_dicts([column], [(stored,)])


# -- identifiers: a documented cap -----------------------------------------------------------

CAP = 255
"""The documented default of Limits.max_identifier_bytes."""


def test_the_documented_identifier_cap_is_the_default():
    assert Limits().max_identifier_bytes == CAP


@pytest.mark.parametrize("unit", ["x", "é", "😀"])
def test_user_ids_at_the_cap_are_stored_and_one_byte_over_is_refused(store, unit):
    size = len(unit.encode("utf-8"))
    at_cap = uuid.uuid4().hex + unit * ((CAP - 32) // size)
    at_cap += "x" * (CAP - len(at_cap.encode("utf-8")))
    assert len(at_cap.encode("utf-8")) == CAP
    conversation_id = store.create_conversation(at_cap)
    assert [c["id"] for c in store.list_conversations(at_cap)] == [conversation_id]
    assert store.for_user(at_cap).get_conversation(conversation_id)["user_id"] == at_cap

    over = at_cap + "y"
    with pytest.raises(InvalidInput, match="max_identifier_bytes"):
        store.create_conversation(over)
    with pytest.raises(InvalidInput, match="max_identifier_bytes"):
        store.list_conversations(over)


def test_random_user_ids_of_kilobytes_are_refused_not_mistaken_for_an_outage(store):
    huge = uuid.uuid4().hex * 85  # 2,720 bytes that do not compress: over the btree's limit
    with pytest.raises(InvalidInput, match="max_identifier_bytes") as raised:
        store.create_conversation(huge)
    assert not raised.value.retryable


def test_idempotency_keys_at_the_cap_are_stored_and_one_byte_over_is_refused(store, user):
    conversation_id = store.create_conversation(user)
    at_cap = (uuid.uuid4().hex * 8)[:CAP]
    first = store.add_message(conversation_id, "user", "once", idempotency_key=at_cap)
    again = store.add_message(conversation_id, "user", "once", idempotency_key=at_cap)
    assert first == again and first["idempotency_key"] == at_cap

    over = (uuid.uuid4().hex * 90)[: CAP + 1]
    with pytest.raises(InvalidInput, match="max_identifier_bytes"):
        store.add_message(conversation_id, "user", "over", idempotency_key=over)
    with pytest.raises(InvalidInput, match="max_identifier_bytes"):
        store.add_messages(
            conversation_id,
            [
                {"role": "user", "content": "ok"},
                {"role": "user", "content": "over", "idempotency_key": over},
            ],
        )
    with pytest.raises(InvalidInput, match="max_identifier_bytes"):
        store.add_message(conversation_id, "user", "x", idempotency_key=uuid.uuid4().hex * 85)
    assert [m["content"] for m in store.get_messages(conversation_id)] == ["once"]


def test_a_smaller_identifier_cap_applies_to_user_ids_and_idempotency_keys(open_store):
    store = open_store(limits=Limits(max_identifier_bytes=8))
    with pytest.raises(InvalidInput, match="max_identifier_bytes"):
        store.create_conversation("123456789")
    with pytest.raises(InvalidInput, match="max_identifier_bytes"):
        store.for_user("123456789")
    conversation_id = store.create_conversation(f"u-{uuid.uuid4().hex[:6]}")
    store.add_message(conversation_id, "user", "ok", idempotency_key="12345678")
    with pytest.raises(InvalidInput, match="max_identifier_bytes"):
        store.add_message(conversation_id, "user", "no", idempotency_key="123456789")
    assert len(store.get_messages(conversation_id)) == 1


def test_the_identifier_cap_cannot_exceed_what_the_index_holds():
    assert Limits(max_identifier_bytes=validation.MAX_INDEXABLE_IDENTIFIER_BYTES)
    with pytest.raises(ConfigurationError, match="max_identifier_bytes"):
        Limits(max_identifier_bytes=validation.MAX_INDEXABLE_IDENTIFIER_BYTES + 1)
    with pytest.raises(ConfigurationError):
        Limits(max_json_depth=0)

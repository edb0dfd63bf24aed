"""Token counts that are never wildly wrong, run on SQLite, PostgreSQL and
PgBouncer through both APIs: a message stored without a count holds an
estimate from its content, marked as one, until a real count replaces it."""

from __future__ import annotations

import uuid

from convstore.token_estimate import (
    IMAGE_TOKENS,
    LOW_DETAIL_IMAGE_TOKENS,
    TOKENS_PER_MESSAGE,
    heuristic_text_tokens,
)

LONG_REPLY = "Lisbon has seven hills and a tram for each of them. " * 500  # 26,000 characters


def test_a_message_without_a_count_holds_an_estimate_of_its_content(store, user):
    conversation_id = store.create_conversation(user)
    stored = store.add_message(conversation_id, "assistant", LONG_REPLY)

    assert stored["tokens_estimated"] is True
    assert stored["tokens"] == TOKENS_PER_MESSAGE + heuristic_text_tokens(LONG_REPLY) == 6503
    given = store.add_message(conversation_id, "user", "thanks", tokens=2)
    assert (given["tokens"], given["tokens_estimated"]) == (2, False)
    # the budget no longer takes the long reply as 100 tokens
    context = store.get_recent_context(conversation_id, max_tokens=500)
    assert [m["seq"] for m in context] == [2]


def test_estimates_follow_the_script_and_the_parts(store, user):
    conversation_id = store.create_conversation(user)
    japanese = "東京で一番おいしいラーメン屋はどこですか"  # 20 characters, no spaces
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    low = {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}}
    stored = store.add_messages(
        conversation_id,
        [
            {"role": "user", "content": japanese},
            {"role": "user", "content": [{"type": "text", "text": "this?"}, image]},
            {"role": "user", "content": [low]},
            {"role": "user", "content": "hi", "name": "ana"},
        ],
    )
    assert [m["tokens"] for m in stored] == [
        TOKENS_PER_MESSAGE + 20,
        TOKENS_PER_MESSAGE + 2 + IMAGE_TOKENS,
        TOKENS_PER_MESSAGE + LOW_DETAIL_IMAGE_TOKENS,
        TOKENS_PER_MESSAGE + 1 + 1 + 1,
    ]
    assert all(m["tokens_estimated"] for m in stored)


def test_a_real_count_replaces_the_estimate_and_none_estimates_again(store, user):
    conversation_id = store.create_conversation(user)
    estimate = store.add_message(conversation_id, "user", "x" * 400)["tokens"]

    counted = store.set_message_tokens(conversation_id, 1, 90)
    assert (counted["tokens"], counted["tokens_estimated"]) == (90, False)
    again = store.set_message_tokens(conversation_id, 1, None)
    assert (again["tokens"], again["tokens_estimated"]) == (estimate, True)
    assert (
        store.get_recent_context(conversation_id, max_tokens=estimate)[0]["suffix_tokens"]
        == estimate
    )

    replaced = store.replace_message(conversation_id, 1, {"role": "user", "content": "short"})
    assert (replaced["tokens"], replaced["tokens_estimated"]) == (TOKENS_PER_MESSAGE + 2, True)


def test_an_import_estimates_what_has_no_count_and_keeps_a_given_mark(store, user):
    conversation = {
        "id": str(uuid.uuid4()),
        "user_id": user,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    store.import_conversation(
        conversation,
        [
            {"seq": 1, "role": "user", "content": "x" * 40, "created_at": "2026-01-01T00:00:00Z"},
            {
                "seq": 2,
                "role": "assistant",
                "content": "y",
                "tokens": 7,
                "tokens_estimated": True,
                "created_at": "2026-01-01T00:00:01Z",
            },
            {
                "seq": 3,
                "role": "user",
                "content": "z",
                "tokens": 4,
                "created_at": "2026-01-01T00:00:02Z",
            },
        ],
    )
    stored = store.get_messages(conversation["id"], limit=None)
    assert [(m["tokens"], m["tokens_estimated"]) for m in stored] == [
        (TOKENS_PER_MESSAGE + 10, True),
        (7, True),
        (4, False),
    ]

"""Attachments, run on SQLite, PostgreSQL and PgBouncer through both APIs:
the base64 data of image, audio and file parts is stored once per user, by
reference, comes back exactly as given (or as a reference, on request), and
goes when no message references it any more."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest

from convstore import InvalidInput, message_fingerprint, validation
from convstore.sqlfiles.parser import load_query
from convstore.transfer.jsonl import export_conversations, import_conversations

ROWS = Path(__file__).resolve().parent.parent / "sql" / "attachment_rows.sql"
PICTURE = bytes(range(256)) * 12  # 3 KiB: over attachments.MIN_BYTES
SOUND = bytes(range(255, -1, -1)) * 6
DOCUMENT = b"%PDF-1.7 " + bytes(2000)
SMALL = b"\x89PNG tiny"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _image(data: bytes = PICTURE, prefix: str = "data:image/png;base64,") -> dict:
    return {"type": "image_url", "image_url": {"url": prefix + _base64(data), "detail": "low"}}


AUDIO = {"type": "input_audio", "input_audio": {"data": _base64(SOUND), "format": "mp3"}}
FILE = {
    "type": "file",
    "file": {
        "filename": "plan.pdf",
        "file_data": "data:application/pdf;name=plan.pdf;base64," + _base64(DOCUMENT),
    },
}
ASKED = {"role": "user", "content": [{"type": "text", "text": "Where is this?"}, _image()]}


@pytest.fixture
def sync_store(open_store):
    """A sync store of the test's database (``store`` may be the async one)."""
    return open_store()


@pytest.fixture
def rows(sync_store):
    """``rows(user)``: (attachments the user holds, references their messages make)."""
    query = load_query(ROWS, sync_store.dialect, "attachment_rows")

    def count(user: str) -> tuple[int, int]:
        (counted,) = sync_store.database.run(query, user_id=user)
        return counted["attachments"], counted["references_made"]

    return count


def test_an_image_in_two_messages_and_a_branch_is_stored_once(store, rows, user):
    conversation_id = store.create_conversation(user)
    stored = store.add_messages(
        conversation_id, [ASKED, {"role": "assistant", "content": "Lisbon."}]
    )
    store.add_message(conversation_id, **ASKED)
    branch = store.fork_conversation(conversation_id, 2)
    store.add_message(branch, **ASKED)

    assert rows(user) == (1, 3)
    assert stored[0]["content"] == ASKED["content"]
    for read in (
        store.get_messages(conversation_id, limit=None),
        store.get_messages(branch, limit=None),
        store.get_conversation(branch)["messages"],
        store.get_recent_context(branch, max_tokens=100_000),
    ):
        assert [m["content"] for m in read if m["role"] == "user"] == [ASKED["content"]] * 2
    assert store.get_message(branch, 3)["content"] == ASKED["content"]


def test_reads_by_reference_name_the_bytes_and_get_attachment_gives_them(store, user):
    conversation_id = store.create_conversation(user)
    parts = [_image(), AUDIO, FILE, {"type": "text", "text": "All three."}]
    store.add_message(conversation_id, "user", parts)

    (message,) = store.get_messages(conversation_id, attachments="reference")
    image, audio, file, text = message["content"]
    assert image == {
        "type": "image_url",
        "image_url": {"url": None, "detail": "low"},
        "attachment": {
            "sha256": _sha256(PICTURE),
            "media_type": "image/png",
            "bytes": len(PICTURE),
            "prefix": "data:image/png;base64,",
        },
    }
    assert audio["input_audio"] == {"data": None, "format": "mp3"}
    assert (audio["attachment"]["media_type"], audio["attachment"]["prefix"]) == ("audio/mpeg", "")
    assert file["file"] == {"filename": "plan.pdf", "file_data": None}
    assert file["attachment"]["prefix"] == "data:application/pdf;name=plan.pdf;base64,"
    assert text == parts[3]
    assert store.get_message(conversation_id, 1, attachments="reference") == message
    assert store.get_conversation(conversation_id, attachments="reference")["messages"] == [message]
    assert store.get_recent_context(conversation_id, attachments="reference") == [
        {**message, "suffix_tokens": message["tokens"]}
    ]
    assert store.get_messages(conversation_id)[0]["content"] == parts

    assert store.get_attachment(_sha256(SOUND), user) == {
        "sha256": _sha256(SOUND),
        "media_type": "audio/mpeg",
        "bytes": len(SOUND),
        "data": SOUND,
    }
    assert store.get_attachment(_sha256(DOCUMENT).upper(), user)["data"] == DOCUMENT
    assert store.get_attachment(_sha256(SMALL), user) is None
    with pytest.raises(InvalidInput, match="attachments must be"):
        store.get_messages(conversation_id, attachments="base64")
    with pytest.raises(InvalidInput, match="SHA-256"):
        store.get_attachment("not a hash", user)


def test_the_message_as_given_decides_its_fingerprint_estimate_and_text(store, user):
    conversation_id = store.create_conversation(user)
    stored = store.add_message(conversation_id, **ASKED)

    (held,) = store.get_message_fingerprints(conversation_id)
    assert held["fingerprint"] == message_fingerprint(ASKED)
    assert stored["tokens_estimated"]
    assert stored["tokens"] == validation.new_message(ASKED)["tokens"]
    assert store.set_message_tokens(conversation_id, 1, None)["tokens"] == stored["tokens"]
    assert [hit["seq"] for hit in store.search_messages(user, "where")] == [1]


@pytest.mark.parametrize(
    "part",
    [
        _image(SMALL),  # under MIN_BYTES
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64," + _base64(PICTURE)[:-2]},
        },
        {"type": "image_url", "image_url": {"url": base64.encodebytes(PICTURE).decode()}},
        {"type": "image_url", "image_url": {"url": "data:image/png," + "x" * 3000}},  # not base64
        {"type": "input_audio", "input_audio": {"data": base64.encodebytes(SOUND).decode()}},
        {"type": "file", "file": {"file_data": _base64(DOCUMENT)}},  # not a data: URL
        {"type": "file", "file": {"file_id": "file-abc"}},
    ],
    ids=["small", "unpadded", "line breaks", "not base64", "audio with breaks", "raw file", "id"],
)
def test_data_that_cannot_be_rebuilt_or_is_small_stays_inline(store, rows, user, part):
    conversation_id = store.create_conversation(user)
    store.add_message(conversation_id, "user", [part])

    assert store.get_messages(conversation_id, attachments="reference")[0]["content"] == [part]
    assert rows(user) == (0, 0)


def test_a_forged_reference_is_refused_and_nothing_is_stored(store, rows, user):
    conversation_id = store.create_conversation(user)
    forged = {
        "type": "image_url",
        "image_url": {"url": "https://example.com/x.png"},
        "attachment": {"sha256": _sha256(PICTURE), "prefix": ""},
    }
    with pytest.raises(InvalidInput, match='may not hold an "attachment" member'):
        store.add_messages(conversation_id, [ASKED, {"role": "user", "content": [forged]}])
    assert store.get_messages(conversation_id) == [] and rows(user) == (0, 0)

    store.add_message(conversation_id, **ASKED)
    (as_stored,) = store.get_messages(conversation_id, attachments="reference")
    with pytest.raises(InvalidInput, match="content"):
        store.replace_message(conversation_id, 1, {"role": "user", "content": as_stored["content"]})
    assert store.get_messages(conversation_id)[0]["content"] == ASKED["content"]
    # a type convstore does not know keeps any member
    unknown = {"type": "output_image", "attachment": {"sha256": "x"}}
    assert store.add_message(conversation_id, "user", [unknown])["content"] == [unknown]


def test_an_attachment_goes_when_no_message_references_it(store, rows, user):
    conversation_id = store.create_conversation(user)
    store.add_messages(conversation_id, [ASKED, ASKED, ASKED, ASKED])

    store.delete_message(conversation_id, 1)
    assert rows(user) == (1, 3)
    store.delete_messages(conversation_id, seqs=[2])
    popped = store.pop_message(conversation_id)
    assert popped["content"] == ASKED["content"] and rows(user) == (1, 1)
    replaced = store.replace_message(conversation_id, 3, {"role": "user", "content": "text"})
    assert replaced["content"] == "text" and rows(user) == (0, 0)
    assert store.get_attachment(_sha256(PICTURE), user) is None

    replaced = store.replace_message(conversation_id, 3, ASKED)
    assert replaced["content"] == ASKED["content"] and rows(user) == (1, 1)
    again = store.replace_message(conversation_id, 3, {**ASKED, "tokens": 5})  # the same image
    assert again["content"] == ASKED["content"] and rows(user) == (1, 1)
    store.delete_messages(conversation_id)
    assert rows(user) == (0, 0)

    store.add_message(conversation_id, **ASKED)
    branch = store.fork_conversation(conversation_id, 1)
    store.add_message(branch, "user", [_image(SOUND)])
    store.delete_conversation(branch)
    assert rows(user) == (1, 1)
    store.delete_conversation(conversation_id)
    assert rows(user) == (0, 0)


def test_erasure_takes_a_users_attachments_and_leaves_anothers_identical_image(store, rows, user):
    alice, bob = f"{user}-alice", f"{user}-bob"
    alices = store.create_conversation(alice)
    bobs = store.create_conversation(bob)
    store.add_message(alices, **ASKED)
    store.add_message(bobs, **ASKED)
    assert rows(alice) == rows(bob) == (1, 1)  # per user: never shared across users

    assert store.delete_user_data(alice) == {"conversations": 1, "messages": 1}
    assert rows(alice) == (0, 0) and store.get_attachment(_sha256(PICTURE), alice) is None
    assert rows(bob) == (1, 1)
    assert store.get_messages(bobs)[0]["content"] == ASKED["content"]


def test_a_view_reads_only_its_users_attachments(store, user):
    alice, bob = f"{user}-alice", f"{user}-bob"
    store.add_message(store.create_conversation(bob), "user", [_image(SOUND)])
    alices = store.create_conversation(alice)
    store.add_message(alices, **ASKED)
    view = store.for_user(alice)

    assert view.get_attachment(_sha256(SOUND)) is None  # bob's
    assert view.get_attachment(_sha256(PICTURE))["data"] == PICTURE
    with pytest.raises(InvalidInput, match="limited to user"):
        view.get_attachment(_sha256(SOUND), bob)
    assert view.get_messages(alices)[0]["content"] == ASKED["content"]
    assert store.for_user(bob).get_messages(alices) == []


def test_retries_and_imports_store_an_attachment_once(store, sync_store, rows, user):
    conversation_id = store.create_conversation(user)
    first = store.add_message(conversation_id, **ASKED, idempotency_key="turn-1")
    again = store.add_message(conversation_id, **ASKED, idempotency_key="turn-1")
    assert first == again and again["content"] == ASKED["content"]
    assert rows(user) == (1, 1)

    exported = io.StringIO()
    export_conversations(sync_store, user, exported)
    assert _base64(PICTURE) in exported.getvalue()  # a line holds the data inline
    store.delete_user_data(user)
    assert rows(user) == (0, 0)
    for _ in range(2):
        import_conversations(sync_store, exported.getvalue().splitlines())
        assert rows(user) == (1, 1)
    assert store.get_messages(conversation_id) == [first]

"""Attachments through the SQLite -> PostgreSQL transfer: copied once per
user with the references of the copied messages, branches included, and
verified (owner, media type, size and the bytes' SHA-256)."""

from __future__ import annotations

import base64
from pathlib import Path

import convstore
from convstore.sqlfiles.parser import load_query
from convstore.store import Store
from convstore.transfer import transfer, verify_transfer

TEST_SQL = Path(__file__).resolve().parent / "sql"
PICTURE = bytes(range(256)) * 8
SOUND = PICTURE[::-1]


def _image(data: bytes) -> dict:
    return {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(data).decode()},
    }


def _rows(store: Store, user: str) -> tuple[int, int]:
    """(attachments the user holds, references their messages make)."""
    query = load_query(TEST_SQL / "attachment_rows.sql", store.dialect, "attachment_rows")
    (counted,) = store.database.run(query, user_id=user)
    return counted["attachments"], counted["references_made"]


def test_the_transfer_copies_attachments_once_and_verifies_them(
    sqlite_url, scratch_databases, user
):
    alice, bob = f"{user}-alice", f"{user}-bob"
    destination_url = scratch_databases.create()
    with convstore.connect(sqlite_url) as source:
        root = source.create_conversation(alice)
        source.add_messages(root, [{"role": "user", "content": [_image(PICTURE)]}] * 2)
        branch = source.fork_conversation(root, 1)
        source.add_message(branch, "user", [_image(PICTURE), _image(SOUND)])
        other = source.create_conversation(alice)
        source.add_message(other, "user", [_image(SOUND)])
        bobs = source.create_conversation(bob)
        source.add_message(bobs, "user", [_image(PICTURE)])
        ids = [root, branch, other, bobs]
        expected = [source.get_conversation(i, attachments="reference") for i in ids]

    report = transfer(sqlite_url, destination_url, page_size=1)
    assert report.verified and report.attachments_copied == 3  # alice's two, bob's one
    with convstore.connect(destination_url) as copied:
        assert [copied.get_conversation(i, attachments="reference") for i in ids] == expected
        assert copied.get_messages(branch)[-1]["content"] == [_image(PICTURE), _image(SOUND)]
        assert (_rows(copied, alice), _rows(copied, bob)) == ((2, 5), (1, 1))

    with convstore.connect(sqlite_url) as source:
        source.add_message(other, "user", [_image(PICTURE)])  # held at the destination already
    grown = transfer(sqlite_url, destination_url)
    assert (grown.messages_copied, grown.attachments_copied) == (1, 0) and grown.verified
    with convstore.connect(destination_url) as copied:
        assert _rows(copied, alice) == (2, 6)
        tamper = load_query(TEST_SQL / "tamper_attachment.sql", "postgres", "tamper_attachment")
        copied.database.run(tamper, user_id=bob)
    assert verify_transfer(sqlite_url, destination_url).mismatched == [bobs]

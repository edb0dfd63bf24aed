"""convstore.content.attachments alone (no database): any part taken out by
reference comes back byte for byte, and nothing else is taken out."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from convstore import validation
from convstore.content import attachments

PREFIXES = st.sampled_from(
    [
        "data:image/png;base64,",
        "DATA:Image/JPEG;base64,",
        "data:;base64,",
        "data:application/pdf;name=plan.pdf;base64,",
        "data:not a type;base64,",
    ]
)
DATA = st.binary(min_size=attachments.MIN_BYTES - 4, max_size=attachments.MIN_BYTES + 64)


def _stored(parts: list) -> tuple[list, dict]:
    _, parts_json = validation.content_and_parts(parts)
    stored_json, held = attachments.by_reference(parts_json)
    return json.loads(stored_json), held


@given(prefix=PREFIXES, data=DATA, field=st.sampled_from(["image_url", "file"]))
def test_a_data_url_comes_back_exactly(prefix, data, field):
    member = {"image_url": "url", "file": "file_data"}[field]
    part = {"type": field, field: {member: prefix + base64.b64encode(data).decode(), "k": 1}}
    stored, held = _stored([part])
    taken = len(data) >= attachments.MIN_BYTES
    assert (attachments.ATTACHMENT_REFERENCE in stored[0]) is taken
    assert len(held) == taken
    by_digest = {digest: found["data"] for digest, found in held.items()}
    assert attachments.inline(stored, by_digest) == [part]
    if taken:
        (found,) = held.values()
        assert found["media_type"] in (
            "image/png",
            "image/jpeg",
            "text/plain",
            "application/pdf",
            attachments.UNKNOWN_MEDIA_TYPE,
        )


@given(data=DATA, audio_format=st.sampled_from(["wav", "mp3", "MP3", "x y", 3, None]))
def test_audio_comes_back_exactly(data, audio_format):
    part = {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(data).decode(), "format": audio_format},
    }
    stored, held = _stored([part, part])
    by_digest = {digest: found["data"] for digest, found in held.items()}
    assert len(held) == (len(data) >= attachments.MIN_BYTES)  # the same bytes once
    assert attachments.inline(stored, by_digest) == [part, part]


@given(data=st.binary(min_size=attachments.MIN_BYTES, max_size=attachments.MIN_BYTES + 64))
def test_base64_that_would_not_come_back_the_same_stays_inline(data):
    encoded = base64.b64encode(data).decode()
    for text in (
        base64.encodebytes(data).decode(),  # line breaks
        encoded.rstrip("="),  # no padding
        " " + encoded,
        encoded + "=",
    ):
        if text == encoded:
            continue
        part = {"type": "input_audio", "input_audio": {"data": text, "format": "wav"}}
        assert _stored([part]) == ([part], {})


def test_the_reference_names_the_bytes_and_the_text_before_them():
    data = bytes(range(256)) * 5
    part = {
        "type": "image_url",
        "image_url": {"url": "data:image/webp;base64," + base64.b64encode(data).decode()},
    }
    stored, held = _stored([{"type": "text", "text": "x"}, part])
    (digest,) = held
    assert stored[1] == {
        "type": "image_url",
        "image_url": {"url": None},
        "attachment": {
            "sha256": digest,
            "media_type": "image/webp",
            "bytes": len(data),
            "prefix": "data:image/webp;base64,",
        },
    }
    assert attachments.references(stored) == {digest}
    assert attachments.references("text") == set()

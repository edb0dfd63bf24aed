"""Attachments: the base64 data of content parts, stored once, by reference.

A message's content parts may carry a file inline, as base64 text (OpenAI's
Chat Completions API reference, the user message's content parts):

- ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}``:
  a ``data:`` URL (RFC 2397);
- ``{"type": "input_audio", "input_audio": {"data": "<base64>", "format": "wav"}}``:
  raw base64, its media type ``audio/<format>`` (``audio/mpeg`` for mp3, RFC 3003);
- ``{"type": "file", "file": {"file_data": "data:application/pdf;base64,...",
  "filename": ...}}``: a ``data:`` URL.

Data of at least :data:`MIN_BYTES` bytes whose base64 is *canonical* -- the
bytes encoded again (``base64.b64encode``, RFC 4648, padded, no line breaks)
give the same text, so the text is rebuilt byte for byte -- is taken out of
the part: the store keeps the bytes once per user, keyed by their SHA-256
(:class:`~convstore.types.Attachment`), and the part keeps its shape, the data
field set to ``None`` and a member :data:`~convstore.validation.ATTACHMENT_REFERENCE`
added::

    {"type": "image_url",
     "image_url": {"url": None, "detail": "low"},
     "attachment": {"sha256": "9f86d0...", "media_type": "image/png",
                    "bytes": 48213, "prefix": "data:image/png;base64,"}}

``prefix`` is the exact text before the base64 (``""`` for audio), so that
:func:`inline` gives back the part exactly as it was given. Other data stays
inline: smaller data (a reference and its rows would cost more than they
save), base64 that is not canonical (line breaks, missing padding, stray
bits: its text could not be rebuilt), and ``data:`` URLs that are not base64
or not URLs (a file's raw base64, an image's ``https://`` URL).

Everything here is free of I/O: :class:`convstore.Store` writes and reads
the rows, in the transaction that writes the message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from ..types import Attachment
from ..validation import ATTACHMENT_REFERENCE, DEFAULT_LIMITS, Limits, parts_json

MIN_BYTES = 1024
"""The least data (decoded bytes) stored as an attachment. A reference
(about 150 bytes of JSON), its two rows and the extra read cost more than
they save on less; an image or a recording of any use is far larger."""

DATA_FIELDS = {"image_url": "url", "input_audio": "data", "file": "file_data"}
"""The part types that may carry base64 data, by the member of their object
that holds it (:data:`convstore.validation.PART_OBJECT`)."""

_MIN_ENCODED = 4 * -(-MIN_BYTES // 3)
"""The length of the canonical base64 of :data:`MIN_BYTES` bytes."""

_DATA_URL = re.compile(r"data:(?P<media_type>[^,;]*)(?:;[^,;]*)*?;base64,", re.I | re.A)
"""The start of a base64 ``data:`` URL (RFC 2397: ``data:[<media type>][;
<parameter>]*;base64,<data>``), up to and with its comma."""

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
"""A media type's ``type/subtype`` (RFC 6838, section 4.2), in lower case."""

UNKNOWN_MEDIA_TYPE = "application/octet-stream"
"""The media type of data whose part names none convstore can read (RFC 2046)."""

_CANDIDATES = tuple(f'"{kind}"' for kind in DATA_FIELDS)


def by_reference(
    parts_json_text: str | None, limits: Limits = DEFAULT_LIMITS
) -> tuple[str | None, dict[str, Attachment]]:
    """Checked content parts (JSON text, as :func:`convstore.validation.content_and_parts`
    gives them; ``None`` for content that is not parts) with their data taken
    out: the parts as stored, and the attachments they reference by SHA-256.
    Parts without such data cost a substring search, not a parse.

    :raises InvalidInput: as :func:`convstore.validation.parts_json` (never
        for parts that passed it: references are smaller than the data).
    """
    if parts_json_text is None or not any(kind in parts_json_text for kind in _CANDIDATES):
        return parts_json_text, {}
    found: dict[str, Attachment] = {}
    stored = [_stored_part(part, found) for part in json.loads(parts_json_text)]
    return (parts_json(stored, limits), found) if found else (parts_json_text, {})


def _stored_part(part: dict[str, Any], found: dict[str, Attachment]) -> dict[str, Any]:
    """``part`` as stored: with a reference in place of its data when the
    data is an attachment (added to ``found``), else as it is."""
    kind = part["type"]
    field = DATA_FIELDS.get(kind)
    held = part.get(kind)
    if field is None or not isinstance(held, dict) or not isinstance(held.get(field), str):
        return part
    split = _split(kind, held[field], held)
    if split is None:
        return part
    prefix, media_type, data = split
    digest = hashlib.sha256(data).hexdigest()
    found[digest] = Attachment(sha256=digest, media_type=media_type, bytes=len(data), data=data)
    reference = {"sha256": digest, "media_type": media_type, "bytes": len(data), "prefix": prefix}
    return {**part, kind: {**held, field: None}, ATTACHMENT_REFERENCE: reference}


def _split(kind: str, text: str, held: Mapping[str, Any]) -> tuple[str, str, bytes] | None:
    """The prefix, media type and bytes of a part's data, or ``None`` when it
    stays inline (see the module docstring)."""
    if kind == "input_audio":
        prefix, media_type = "", audio_media_type(held.get("format"))
    else:
        found = _DATA_URL.match(text)
        if found is None:
            return None
        prefix, media_type = found.group(0), data_url_media_type(found["media_type"])
    data = canonical_base64(text[len(prefix) :])
    return None if data is None else (prefix, media_type, data)


def canonical_base64(text: str) -> bytes | None:
    """The bytes ``text`` encodes, if it is the canonical base64 (RFC 4648,
    section 4, padded, no line breaks) of at least :data:`MIN_BYTES` bytes;
    otherwise ``None``."""
    if len(text) < _MIN_ENCODED:
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # not base64, or not ASCII
        return None
    return data if len(data) >= MIN_BYTES and base64.b64encode(data).decode() == text else None


def data_url_media_type(given: str) -> str:
    """The media type of a ``data:`` URL whose media type part is ``given``
    (its parameters left out): in lower case; ``text/plain`` when empty (RFC
    2397's default); :data:`UNKNOWN_MEDIA_TYPE` when not ``type/subtype``."""
    media_type = given.strip().lower() or "text/plain"
    return media_type if _MEDIA_TYPE.fullmatch(media_type) else UNKNOWN_MEDIA_TYPE


def audio_media_type(audio_format: Any) -> str:
    """The media type of an ``input_audio`` part of this ``format`` (``wav``,
    ``mp3``): ``audio/<format>``, ``audio/mpeg`` for mp3 (RFC 3003), or
    :data:`UNKNOWN_MEDIA_TYPE`."""
    if not isinstance(audio_format, str):
        return UNKNOWN_MEDIA_TYPE
    media_type = "audio/mpeg" if audio_format.lower() == "mp3" else f"audio/{audio_format.lower()}"
    return media_type if _MEDIA_TYPE.fullmatch(media_type) else UNKNOWN_MEDIA_TYPE


def references(content: Any) -> set[str]:
    """The SHA-256s of the attachments a stored message's content (as a read
    returns it: text, parts or ``None``) references."""
    if not isinstance(content, list):
        return set()
    return {part[ATTACHMENT_REFERENCE]["sha256"] for part in content if _is_reference(part)}


def _is_reference(part: Any) -> bool:
    """Whether ``part`` is a stored part that references an attachment."""
    if not isinstance(part, dict) or part.get("type") not in DATA_FIELDS:
        return False
    reference = part.get(ATTACHMENT_REFERENCE)
    return (
        isinstance(part.get(part["type"]), dict)
        and isinstance(reference, dict)
        and isinstance(reference.get("sha256"), str)
    )


def inline(content: list[Any], data: Mapping[str, bytes]) -> list[Any]:
    """Stored parts as they were given: each reference replaced by its data
    (its prefix and the base64 of the bytes in ``data``, by SHA-256), the
    :data:`~convstore.validation.ATTACHMENT_REFERENCE` member removed.

    :raises KeyError: for a reference whose bytes ``data`` does not hold.
    """
    return [_inlined(part, data) if _is_reference(part) else part for part in content]


def _inlined(part: dict[str, Any], data: Mapping[str, bytes]) -> dict[str, Any]:
    kind = part["type"]
    reference = part[ATTACHMENT_REFERENCE]
    encoded = base64.b64encode(data[reference["sha256"]]).decode()
    given = {key: value for key, value in part.items() if key != ATTACHMENT_REFERENCE}
    given[kind] = {**part[kind], DATA_FIELDS[kind]: str(reference.get("prefix", "")) + encoded}
    return given

"""Which reader a file to import needs: the format named, or the one its
first bytes and name show, with gzip unpacked on the way.

- ``convstore``: convstore's JSONL export (:mod:`convstore.transfer.jsonl`);
- ``openai``: OpenAI's chat fine-tuning / evaluation JSONL
  (:mod:`convstore.transfer.openai_jsonl`);
- ``chatgpt``: a ChatGPT data export, ``conversations.json`` or the export's
  ``.zip`` (:mod:`convstore.transfer.chatgpt_export`);
- ``llm``: the ``logs.db`` of simonw/llm (:mod:`convstore.transfer.llm_logs`).

Detected: a zip is a ChatGPT export and a SQLite database an ``llm`` log; a
``.json`` name, or a first character ``[``, a ChatGPT export; anything else
JSON Lines, where a line with a ``"convstore"`` member is read as
convstore's and any other as OpenAI's (so a file may mix them).
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

from ..errors import ConfigurationError, InvalidInput
from ..validation import DEFAULT_LIMITS, Limits, show
from .chatgpt_export import ZIP_MAGIC, read_chatgpt_export
from .jsonl import conversation_of_line
from .lines import GZIP_MAGIC, binary_stream, read_json_lines
from .llm_logs import read_llm_logs
from .openai_jsonl import OpenAILines
from .sources import SourceConversation, SourceProblem

FORMATS = ("convstore", "openai", "chatgpt", "llm")
"""The formats a file to import may be in."""

SQLITE_MAGIC = b"SQLite format 3\x00"
JSON_LINES = "jsonl"
"""Detected JSON Lines, each line read as convstore's or OpenAI's."""


class OpenedSource(NamedTuple):
    """A file to import, unpacked, and its format."""

    stream: io.BufferedReader
    """Its bytes, gunzipped if they were gzip."""
    name: str | None
    """Its path, or ``None`` for a stream."""
    format: str
    """One of :data:`FORMATS`, or :data:`JSON_LINES` (detected)."""
    gzipped: bool

    @property
    def needs_user(self) -> bool:
        """Whether its conversations need an owner named (all but convstore's name theirs)."""
        return self.format not in ("convstore", JSON_LINES)

    @property
    def unit(self) -> str:
        """What a place in it counts: ``"line"`` or ``"conversation"``."""
        return "conversation" if self.format in ("chatgpt", "llm") else "line"


def open_source(source: IO[bytes], name: str | None, format_name: str | None) -> OpenedSource:
    """``source`` (opened in binary mode; ``name`` its path, or ``None`` for a
    stream) unpacked, in the format named, or detected from its first bytes
    and its name (``format_name=None``); nothing is consumed.

    :raises InvalidInput: for a ``source`` that is not a binary stream, or a
        ``name`` that is not text.
    :raises OSError: when ``source`` cannot be read (``EOFError`` for a gzip
        stream cut short).
    """
    source = binary_stream(source)
    if name is not None and not isinstance(name, str):
        raise InvalidInput(
            f"name must be the file's path (a string) or None, not {type(name).__name__}"
        )
    buffered: io.BufferedReader = (
        source if isinstance(source, io.BufferedReader) else io.BufferedReader(cast(Any, source))
    )
    gzipped = buffered.peek(2)[:2] == GZIP_MAGIC
    stream: io.BufferedReader = (
        io.BufferedReader(cast(Any, gzip.GzipFile(fileobj=buffered, mode="rb")))
        if gzipped
        else buffered
    )
    found = format_name or _detected(stream.peek(64)[:64], name)
    return OpenedSource(stream, name, found, gzipped)


def read_source(
    opened: OpenedSource,
    *,
    user_id: str | None,
    imported_at: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[SourceConversation | SourceProblem]:
    """The conversations of ``opened``, as its format's reader yields them.
    ``user_id`` owns the conversations of a format without owners, for their
    ids; ``imported_at`` is their time when the format has none (OpenAI's);
    ``limits`` are the store's, which bound how deep a ChatGPT export may nest
    (:func:`~convstore.transfer.chatgpt_export.read_chatgpt_export`).

    :raises InvalidInput: for an ``llm`` log that is not a file on disk, or
        a format without owners and no ``user_id``.
    :raises ConfigurationError: when ``limits`` is not a :class:`~convstore.Limits`.
    """
    if not isinstance(opened, OpenedSource):
        raise InvalidInput(f"opened must be what open_source returns, not {type(opened).__name__}")
    if not isinstance(limits, Limits):
        raise ConfigurationError(f"limits must be a convstore.Limits, not {show(limits)}")
    if opened.format == "convstore":
        return read_json_lines(opened.stream, conversation_of_line)
    if opened.format == JSON_LINES:
        return read_json_lines(opened.stream, _either(user_id, imported_at))
    if user_id is None:
        raise InvalidInput(
            f"{opened.format} files name no owner: say whose conversations they are (a user_id, --user)"
        )
    if opened.format == "llm":
        if opened.name is None or opened.gzipped:
            raise InvalidInput("an llm logs.db is read as a database file: give its path, unpacked")
        return read_llm_logs(opened.name)
    if opened.format == "chatgpt":
        return read_chatgpt_export(opened.stream, limits=limits)
    return read_json_lines(opened.stream, OpenAILines(user_id, imported_at))


def _either(user_id: str | None, imported_at: datetime) -> Any:
    """A line's conversation, read as convstore's line if it has a
    ``"convstore"`` member, else as OpenAI's (which needs an owner)."""
    openai_lines = None if user_id is None else OpenAILines(user_id, imported_at)

    def conversation_of(record: Any, where: str) -> SourceConversation:
        if not isinstance(record, dict) or "convstore" in record:
            return conversation_of_line(record, where)  # not an object: it says so
        if openai_lines is None:
            raise InvalidInput(
                "convstore is missing (read as an OpenAI chat line instead, it needs an "
                "owner: a user_id, --user)"
            )
        return openai_lines(record, where)

    return conversation_of


def _detected(head: bytes, name: str | None) -> str:
    if head.startswith(ZIP_MAGIC):
        return "chatgpt"
    if head.startswith(SQLITE_MAGIC):
        return "llm"
    suffixes = Path(name).suffixes if name else []
    if suffixes[-1:] == [".gz"]:
        suffixes.pop()
    if suffixes[-1:] == [".json"]:
        return "chatgpt"
    if not suffixes[-1:] or suffixes[-1] not in (".jsonl", ".ndjson"):
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
            return "chatgpt"
    return JSON_LINES

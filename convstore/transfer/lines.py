"""Reading JSON Lines, for every format that has one conversation a line:
the lines' numbers, their text (UTF-8, a byte order mark skipped), their
JSON, and one-line reasons that name what is wrong. A line is held whole
(it is parsed whole), so its length is bounded: :data:`MAX_LINE_BYTES`."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..errors import InvalidInput
from ..validation import DEFAULT_LIMITS
from .sources import SourceConversation, SourceProblem

GZIP_MAGIC = b"\x1f\x8b"

MAX_LINE_BYTES = 8 * DEFAULT_LIMITS.max_text_bytes
"""The longest line read, in bytes of UTF-8 with its line break (64 MiB):
eight times the store's largest text
(:attr:`~convstore.validation.Limits.max_text_bytes`), room for a
conversation of several such texts as JSON writes them (``\\u`` escapes take
two or three times the UTF-8 of a text in a non-Latin script). A line is
parsed whole, which takes about four times its length in memory; a longer
line is refused after reading at most this much of it, and its rest is read
past, not kept."""

LINE_PIECE = 1024 * 1024
"""How much of a line a file is asked for at a time: bytes, or characters of
a text file."""


class _Overlong:
    """What a file's line longer than the limit is read as."""


_OVERLONG = _Overlong()


def binary_stream(source: Any) -> Any:
    """``source``, if it is a stream of bytes to read (a file opened ``"rb"``,
    ``io.BytesIO``, ``sys.stdin.buffer``).

    :raises InvalidInput: otherwise (a text file, a path, ``bytes``).
    """
    if isinstance(source, io.TextIOBase) or not callable(getattr(source, "read", None)):
        raise InvalidInput(
            "the input must be a binary stream (a file opened 'rb', io.BytesIO), "
            f"not {type(source).__name__}"
        )
    return source


def read_json_lines(
    lines: Iterable[str | bytes],
    conversation_of: Callable[[Any, str], SourceConversation],
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[SourceConversation | SourceProblem]:
    """Each non-blank line's conversation, by ``conversation_of(parsed JSON,
    "line N")``, or a :class:`SourceProblem` for a line that is not UTF-8,
    not JSON, longer than ``max_line_bytes``, or that ``conversation_of``
    refuses with ``InvalidInput``.

    :raises InvalidInput: when ``lines`` is not an iterable of lines, or a
        text file's decoder fails (the lines after it cannot be read).
    """
    for number, line in numbered_lines(lines, max_line_bytes):
        where = f"line {number}"
        if isinstance(line, SourceProblem):
            yield line
        elif line.strip():
            try:
                yield conversation_of(parsed_json(line), where)
            except InvalidInput as error:
                yield SourceProblem(where, str(error))


def numbered_lines(
    lines: Iterable[str | bytes], max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, str | SourceProblem]]:
    """Each line as text with its number (from 1), or why it is not text or
    why it is longer than ``max_line_bytes`` (bytes of UTF-8). A file (an
    object with ``readline``) is read :data:`LINE_PIECE` at a time, so that
    memory holds at most ``max_line_bytes`` of a line; the rest of a line
    too long is read past when the next line is asked for. The lines of
    another iterable are as it holds them."""
    if isinstance(lines, (str, bytes, bytearray)):
        raise InvalidInput(
            "lines must be an iterable of lines (an open file, a list), not one "
            f"{type(lines).__name__}; read it as a file: io.StringIO(text) or io.BytesIO(data) "
            "(not .splitlines(), which also splits at the U+2028 an export may hold in a string)"
        )
    readline = getattr(lines, "readline", None)
    try:
        iterator = _file_lines(readline, max_line_bytes) if callable(readline) else iter(lines)
    except TypeError:
        raise InvalidInput(
            f"lines must be an iterable of lines (an open file, a list), not {type(lines).__name__}"
        ) from None
    number = 0
    while True:
        number += 1
        try:
            line = next(iterator)
        except StopIteration:
            return
        except UnicodeDecodeError as error:  # a file opened as UTF-8 text
            # The decoder failed on a block that starts at line `number`; the
            # bad byte is on the line after the newlines before it in the block.
            before = bytes(error.object[: error.start])
            bad_line = number + before.count(b"\n")
            byte: int | None = len(before) - before.rfind(b"\n")  # from 1 (rfind: -1 on line 1)
            if number > 1 and bad_line == number:
                byte = None  # the block starts mid-line: the column is unknown
            raise InvalidInput(f"line {bad_line}: {_not_utf8(error, bad_line, byte)}") from None
        if line is _OVERLONG or _longer(line, max_line_bytes):
            reason = f"longer than {max_line_bytes:,} bytes, the most a line may hold"
            yield number, SourceProblem(f"line {number}", reason)
            continue
        if isinstance(line, (bytes, bytearray)):
            try:
                line = bytes(line).decode("utf-8")
            except UnicodeDecodeError as error:
                problem = _not_utf8(error, number, error.start + 1)
                yield number, SourceProblem(f"line {number}", problem)
                continue
        elif not isinstance(line, str):
            yield number, SourceProblem(f"line {number}", f"a {type(line).__name__}, not text")
            continue
        yield number, line.removeprefix("\ufeff") if number == 1 else line


def _file_lines(
    readline: Callable[[int], str | bytes], max_line_bytes: int
) -> Iterator[str | bytes | _Overlong]:
    """Each line of a file (``readline`` its method), read a piece at a
    time: ``_OVERLONG`` for one longer than ``max_line_bytes``, whose
    pieces are let go once it is, and whose rest is read past before the
    next line is read."""
    while True:
        pieces: list[Any] = []
        size, ended = 0, False
        while not ended and size <= max_line_bytes:
            piece = readline(LINE_PIECE)
            ended = _ends_line(piece)
            if piece:
                pieces.append(piece)
                size += len(piece) if isinstance(piece, (bytes, bytearray)) else _utf8_size(piece)
        if not pieces:
            return
        if size <= max_line_bytes:
            yield pieces[0][:0].join(pieces)
            continue
        pieces.clear()
        yield _OVERLONG
        while not ended:
            ended = _ends_line(readline(LINE_PIECE))


def _ends_line(piece: str | bytes) -> bool:
    """Whether a piece a file's ``readline(LINE_PIECE)`` returned ends its
    line: it stops short only at the line's end (or the file's)."""
    if len(piece) < LINE_PIECE:
        return True
    return piece.endswith("\n") if isinstance(piece, str) else piece.endswith(b"\n")


def _longer(line: object, max_bytes: int) -> bool:
    """Whether ``line`` (text or bytes; anything else is not) holds more
    than ``max_bytes`` bytes of UTF-8."""
    if isinstance(line, (bytes, bytearray)):
        return len(line) > max_bytes
    return isinstance(line, str) and len(line) * 4 > max_bytes and _utf8_size(line) > max_bytes


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _not_utf8(error: UnicodeDecodeError, number: int, byte: int | None) -> str:
    if number == 1 and bytes(error.object[:2]) == GZIP_MAGIC:
        return (
            "the input is gzip-compressed; decompress it first (gunzip, or "
            "gzip.open(path, 'rt', encoding='utf-8') in Python)"
        )
    bad = bytes(error.object[error.start : error.end]).hex(" ")
    where = f"byte {byte} (0x{bad})" if byte is not None else f"byte 0x{bad}"
    return f"{where} is not UTF-8 ({error.reason}); the input must be UTF-8 text, as exports are"


def parsed_json(line: str) -> Any:
    try:
        return json.loads(line, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidInput("nested too deeply to read") from None
    except ValueError as error:  # JSONDecodeError, NaN, or an integer of too many digits
        if "integer string conversion" not in str(error):
            raise InvalidInput(f"not JSON ({error})") from None
        raise InvalidInput(
            "not JSON convstore reads: it holds an integer of more than "
            f"{sys.get_int_max_str_digits():,} digits"
        ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def member(record: Mapping[str, Any], key: str, kind: type, path: str = "") -> Any:
    """``record[key]``, which must be present and of JSON type ``kind``."""
    if key not in record:
        raise InvalidInput(f"{path}{key} is missing")
    value = record[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = {dict: "an object", list: "an array", str: "a string", int: "an integer"}
        raise InvalidInput(f"{path}{key} must be {expected[kind]}, got {json_kind(value)}")
    return value


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    kinds = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }
    return kinds.get(type(value), type(value).__name__)

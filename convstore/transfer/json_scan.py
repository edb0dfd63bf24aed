"""A scan of the JSON text of a ChatGPT export on its way to ijson, before
ijson parses it, for what ijson's C backend (yajl2_c) gets wrong:

- **Deep nesting.** ijson keeps the path to the value it is in as one string
  per level (``"item.mapping.<node>.message.metadata.a.a..."``), so its
  memory grows with the square of the depth: 32,000 nested arrays, 64 KB of
  input, took 2.4 GiB. A value nested deeper than :func:`max_depth` levels,
  which the store would refuse anyway, is refused here.
- **Long keys.** The same strings repeat the keys on the way, once for each
  level below them: keys of 1 MB on 60 levels, 57 MiB of input, took 1.9 GiB.
  A value whose way holds more than :data:`MAX_PATH_KEY_BYTES` of keys is refused.
- **Lone surrogates.** ijson reads an escaped lone high surrogate as ``"?"``
  (``"\\ud800abc"`` as ``"?abc"``), or pairs it with whatever escape follows
  (``"\\ud800\\u0041"`` as U+10041), without a word, and fails on a lone low
  one in a way it cannot go on after. An escaped lone surrogate is refused,
  as the store refuses one in any text.

What is refused is named by the item of the top-level array (the
conversation) that holds it, in :attr:`JsonScan.problems`, and made harmless
on the way to ijson without moving a byte: an over-deep value (an array or
object) becomes ``0`` followed by spaces, a lone surrogate ``\\ufffd``. So
ijson reads on to the next item, in flat memory, and the reader reports the
item instead of importing it.
"""

from __future__ import annotations

import re
import sys

from ..validation import Limits

EXPORT_LEVELS = 7
"""How deep the export holds the values the store keeps as JSON and checks
against :attr:`~convstore.validation.Limits.max_json_depth`: the array of
conversations, a conversation, its mapping, a node, its message, the
message's content and its parts (the store's depth of a message's content
counts from the parts)."""

MAX_PATH_KEY_BYTES = 64 * 1024
"""The most bytes of object keys on the way to a nested value (of the keys
the scan reads itself: those longer than :data:`SHORT_STRING`). A ChatGPT
export's keys are field names and node ids; with the depth bounded, this
keeps ijson's path strings to tens of MiB at worst, whatever the keys."""

QUOTE, COMMA, COLON = b'"', b",", b":"
OPENING = b"[{"

ESCAPE = (
    rb"\\[^u]"  # \" \\ \n ...
    rb"|\\u(?![dD][89a-fA-F])[0-9a-fA-F]{4}"  # \u00e9: not a surrogate
    rb"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a surrogate pair
)
STRING_BODY = re.compile(rb'(?:[^"\\]+|' + ESCAPE + rb")*")
"""A string's text up to its closing quote, or up to an escape the scan looks
at itself: a lone surrogate, or one the end of what was read cuts."""
SHORT_STRING = rb'"[^"\\]{0,256}(?:(?:' + ESCAPE + rb')[^"\\]{0,256}){0,16}"'
"""A string the scan takes without a look at its length: runs of at most 256
bytes between at most 16 escapes (4.5 KB at most)."""
IN_CONTAINER = re.compile(rb'[^"\[\]{}]*(?:' + SHORT_STRING + rb'[^"\[\]{}]*)*')
"""Text up to the next bracket, or a string not short or not whole."""
AT_SEPARATORS = re.compile(rb'[^"\[\]{},]*(?:' + SHORT_STRING + rb'[^"\[\]{},]*)*')
"""As :data:`IN_CONTAINER`, stopping at commas too: where they part the
top-level items, or members of an object whose key the scan counts."""
BRACKETS_OR_QUOTE = re.compile(
    rb'[^"\[\]{}]*(?:' + SHORT_STRING + rb'[^"\[\]{}]*)*(?:([\[{]+)|([\]}]+)|(")|\Z)'
)
"""As :data:`IN_CONTAINER`, with what it stops at (group 1: opening brackets,
2: closing ones, 3: a quote; none at the end)."""
JSON_SPACE = re.compile(rb"[ \t\r\n]*")
HEX_DIGITS = re.compile(rb"[0-9a-fA-F]{4}")


def _matched(pattern: re.Pattern[bytes], data: bytes, index: int) -> re.Match[bytes]:
    """``pattern`` matched at ``index`` of ``data``: each pattern here matches
    there, if only the empty string."""
    found = pattern.match(data, index)
    if found is None:
        raise AssertionError(f"{pattern.pattern!r} matches the empty string")
    return found


def max_depth(limits: Limits) -> int:
    """How deep (in arrays and objects, the top-level array being 1) the
    export may nest: ``limits.max_json_depth`` below its
    :data:`EXPORT_LEVELS`. Anything deeper lies within a value the store
    refuses as nested more than ``limits.max_json_depth`` levels."""
    return limits.max_json_depth + EXPORT_LEVELS


class JsonScan:
    """The scan of one JSON text, fed its bytes in order (:meth:`scan`)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.max_depth = max_depth(limits)
        self.problems: dict[int, str] = {}
        """Why each refused item of the top-level array (by index) is refused:
        one line, for the first thing found in it."""
        self.depth = 0
        self.item = 0
        """The index of the top-level item being read (commas at depth 1)."""
        self.in_string = False
        self.string_start = 0
        """Where the string being read starts (its quote, from 0)."""
        self.closed_string: int | None = None
        """The length of a string the scan read itself and just closed, until
        what follows shows whether it is a key."""
        self.keys: dict[int, int] = {}
        """The bytes of the key of the current member of the object at each
        depth, for the keys the scan read itself."""
        self.blank_depth: int | None = None
        """While a refused value is made harmless: the depth it opened."""
        self._edits: list[tuple[int, bytes]] = []
        """What to replace in the data being scanned: (where, with what)."""
        self._blank_from = 0
        """Where the part of a refused value in the data being scanned starts."""

    def scan(self, data: bytes, start: int, at_end: bool) -> tuple[bytes, bytes]:
        """Scan ``data``, which starts at byte ``start`` (from 0) of the text
        and is its end when ``at_end``; return what to hand on to ijson (as
        long as scanned, with what is refused made harmless) and what to
        hold until more is read (an escape the end of ``data`` cuts: 11 bytes
        at most, to come first in the next ``data``)."""
        self._edits, self._blank_from = [], 0
        index, end = 0, len(data)
        while index < end:
            if self.in_string:
                index = self._in_string(data, index, start, at_end)
                if index < 0:  # an escape cut short: held
                    index = -index - 1
                    break
                continue
            if self.closed_string is not None:
                index = _matched(JSON_SPACE, data, index).end()
                if index == end:
                    break
                if data[index : index + 1] == COLON and self.blank_depth is None:
                    self.keys[self.depth] = self.closed_string
                self.closed_string = None
            if self.blank_depth is not None or (self.depth > 1 and not self.keys):
                index = self._brackets(data, index)
                if index == end:
                    break
            counting = self.depth == 1 or self.depth in self.keys
            index = _matched(AT_SEPARATORS if counting else IN_CONTAINER, data, index).end()
            if index < end:
                self._token(data, index, start)
                index += 1
        settled = min(index, end)
        if self.blank_depth is not None:
            self._blank(self._blank_from, settled)
        handed = data[:settled]
        if self._edits:
            edited = bytearray(handed)
            for at, replacement in self._edits:
                edited[at : at + len(replacement)] = replacement
            handed = bytes(edited)
        return handed, data[settled:]

    def _brackets(self, data: bytes, index: int) -> int:
        """The fast way over brackets that need no care, from ``index``: stop
        at a quote, at a bracket that would open too deep or close the item
        (or the refused value being blanked, however deep), or at the end of
        ``data``; where it stops."""
        if self.blank_depth is None:
            floor, ceiling = 2, self.max_depth
        else:
            floor, ceiling = self.blank_depth, sys.maxsize
        depth = self.depth
        while True:
            found = _matched(BRACKETS_OR_QUOTE, data, index)
            token = found.lastindex
            if token is None or token == 3:
                self.depth = depth
                return found.start(token) if token else found.end()
            run = found.end() - found.start(token)
            room = ceiling - depth if token == 1 else depth - floor
            if run > room:  # the bracket after ``room`` of them needs care
                self.depth = depth + room if token == 1 else depth - room
                return found.start(token) + room
            index = found.end()
            depth += run if token == 1 else -run

    def _token(self, data: bytes, index: int, start: int) -> None:
        """Take the quote, comma or bracket at ``index``."""
        byte = data[index : index + 1]
        if byte == QUOTE:
            self.in_string = True
            self.string_start = start + index
        elif byte == COMMA:
            if self.depth == 1:
                self.item += 1
            self.keys.pop(self.depth, None)
        elif byte in OPENING:
            self.depth += 1
            if self.blank_depth is None:
                self._check_opening(index, start)
        else:
            if self.blank_depth == self.depth:
                self._blank(self._blank_from, index + 1)
                self.blank_depth = None
            self.keys.pop(self.depth, None)
            self.depth = max(self.depth - 1, 0)

    def _check_opening(self, index: int, start: int) -> None:
        """Refuse the array or object opening at ``index`` (the depth counts
        it) if it is too deep or its way holds too many bytes of keys."""
        where = f"at byte {start + index + 1:,}"
        if self.depth > self.max_depth:
            reason = (
                f"a value {where} is nested more than {self.max_depth} levels deep: the "
                f"export's {EXPORT_LEVELS} levels (conversations, conversation, mapping, node, "
                f"message, content, parts) and the {self.limits.max_json_depth} a value may "
                "nest (Limits.max_json_depth)"
            )
        elif sum(self.keys.values()) > MAX_PATH_KEY_BYTES:
            reason = (
                f"the keys on the way to the value {where} hold more than "
                f"{MAX_PATH_KEY_BYTES:,} bytes"
            )
        else:
            return
        self.problems.setdefault(self.item, reason)
        self.blank_depth = self.depth
        self._edits.append((index, b"0"))
        self._blank_from = index + 1

    def _in_string(self, data: bytes, index: int, start: int, at_end: bool) -> int:
        """Read on in a string from ``index``: where to go on, or ``-1 - i``
        when the escape at ``i`` is cut by the end of ``data``."""
        index = _matched(STRING_BODY, data, index).end()
        if index == len(data):
            return index
        if data[index : index + 1] == QUOTE:
            self.in_string = False
            self.closed_string = start + index - self.string_start - 1
            return index + 1
        taken = self._escape(data, index, start, at_end)
        return index + taken if taken else -1 - index

    def _escape(self, data: bytes, index: int, start: int, at_end: bool) -> int:
        """How many bytes the escape at ``index`` takes (0: more must be read
        to tell), which :data:`STRING_BODY` left: a lone surrogate is refused."""
        available = len(data) - index
        cut = 2 if data[index + 1 : index + 2] != b"u" else 6
        if available < cut:
            return available if at_end else 0
        digits = data[index + 2 : index + 6]
        if cut == 2 or not HEX_DIGITS.fullmatch(digits):
            return 2  # an escape JSON does not have: ijson says so
        code = int(digits, 16)
        if 0xD800 <= code <= 0xDBFF and available < 12 and not at_end:
            return 0  # a pair, perhaps
        if not 0xD800 <= code <= 0xDFFF:
            return 6
        if self.blank_depth is None:  # a refused value is blanked whole
            self.problems.setdefault(
                self.item,
                f"a string is not valid Unicode text: the escape \\u{digits.decode()} at byte "
                f"{start + index + 1:,} is a lone surrogate",
            )
            self._edits.append((index, b"\\ufffd"))
        return 6

    def _blank(self, since: int, until: int) -> None:
        """Make ``since`` to ``until`` (of the current data) spaces."""
        if until > since:
            self._edits.append((since, b" " * (until - since)))

"""Rows printed for people (an aligned table) or for programs (CSV, JSON)."""

from __future__ import annotations

import csv
import json
import re
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TextIO


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    style: str,
    out: TextIO,
    columns: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` as ``table``, ``csv`` or ``json`` (every field of each
    row). ``columns``: the table's and the CSV's columns, so that a CSV
    without rows still has its header (default: the first row's keys)."""
    if style == "json":
        print_json(rows, out)
        return
    columns = list(columns if columns is not None else rows[0] if rows else [])
    cells = [[_text(row[column]) for column in columns] for row in rows]
    if style == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(cells)
        return
    widths = [
        max([len(column)] + [len(row[i]) for row in cells]) for i, column in enumerate(columns)
    ]
    for line in [columns, ["-" * width for width in widths], *cells]:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        out.write("\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def print_json(document: Any, out: TextIO) -> None:
    """Print ``document`` as one indented JSON document (times as ISO 8601 text)."""
    json.dump(document, out, default=_text, ensure_ascii=False, indent=2)
    out.write("\n")


class Column(NamedTuple):
    """A column of a table for people (:func:`print_table`)."""

    heading: str
    cell: Callable[[Mapping[str, Any]], str]
    """The text of a row's cell."""
    shrinks: bool = False
    """Long text is cut, ending in an ellipsis, so that the table fits the
    width; a column that does not shrink keeps its widest cell's width."""
    right: bool = False
    """Aligned right (numbers)."""


NARROWEST_COLUMN = 3
"""The fewest terminal columns a table's column is narrowed to: two
characters and an ellipsis."""


def print_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], width: int, out: TextIO
) -> None:
    """Print ``rows`` as a table at most ``width`` terminal columns wide (if
    that leaves each column :data:`NARROWEST_COLUMN`, two between columns),
    a heading, a rule, then a line a row. Cells are made printable first
    (:func:`printable`); wide East Asian characters count as two columns."""
    cells = [[printable(column.cell(row)) for column in columns] for row in rows]
    headings = [column.heading for column in columns]
    widths = _fitted(columns, [headings, *cells], width)
    rule = ["-" * each for each in widths]
    for line in [headings, rule, *cells]:
        placed = (
            _placed(cell, each, column.right)
            for cell, each, column in zip(line, widths, columns, strict=True)
        )
        out.write("  ".join(placed).rstrip() + "\n")


def _fitted(columns: Sequence[Column], lines: list[list[str]], width: int) -> list[int]:
    """Each column's width: its widest cell's, narrowed until the table fits
    in ``width``. The columns that shrink go first, to their heading's
    width; if that is not enough (a narrow terminal), every column, ids,
    times and headings too, to :data:`NARROWEST_COLUMN`: a row cut short
    beats one the terminal wraps onto the next."""
    widths = [max(_width(line[i]) for line in lines) for i in range(len(columns))]
    room = width - 2 * (len(columns) - 1)  # two spaces between columns
    least_at_first = [
        max(_width(column.heading), NARROWEST_COLUMN) if column.shrinks else each
        for column, each in zip(columns, widths, strict=True)
    ]
    _narrowed(widths, least_at_first, room)
    _narrowed(widths, [NARROWEST_COLUMN] * len(columns), room)
    return widths


def _narrowed(widths: list[int], least: Sequence[int], room: int) -> None:
    """Narrow ``widths`` in place, the widest first, by one column at a time,
    none below its ``least``, until they add up to ``room`` at most."""
    while sum(widths) > room:
        narrowable = [i for i, each in enumerate(widths) if each > least[i]]
        if not narrowable:
            return
        widths[max(narrowable, key=lambda i: widths[i])] -= 1


def print_wrapped(text: str, width: int, out: TextIO) -> None:
    """Print ``text`` in lines at most ``width`` wide, broken between words.
    For our own words (a count, a legend): stored text is neither made
    printable nor measured for wide characters here."""
    for line in textwrap.wrap(text, width, break_on_hyphens=False) or [""]:
        out.write(line + "\n")


def _placed(text: str, width: int, right: bool) -> str:
    """``text`` in a cell ``width`` columns wide: cut to fit (:func:`cut`), and padded."""
    text = cut(text, width)
    padding = " " * (width - _width(text))
    return padding + text if right else text + padding


def cut(text: str, width: int) -> str:
    """``text`` (printable: :func:`printable`) in at most ``width`` terminal
    columns: if it is wider, what fits before an ellipsis, and the ellipsis."""
    if _width(text) <= width:
        return text
    kept, used = [], 0
    for character in text:
        used += _character_width(character)
        if used > width - 1:
            break
        kept.append(character)
    return "".join(kept) + "…"


LONGEST_CELL = 1000
"""The characters of a cell looked at: no table is wider than this."""

_BREAK = re.compile(r"\s*[^\S ]\s*")
"""A run of white space with a line break, a tab or another space than U+0020 in it."""
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (escape sequences a terminal would obey) and the
bidirectional overrides that reorder what follows them."""


def printable(text: str) -> str:
    """``text`` on one line, safe to print on a terminal: each run of white
    space with a line break or a tab in it one space (spaces alone are kept,
    indentation too), control characters and bidirectional overrides shown as
    U+FFFD, and cut after :data:`LONGEST_CELL` characters (ending in an
    ellipsis)."""
    shown = text[:LONGEST_CELL] + ("…" if len(text) > LONGEST_CELL else "")
    return _UNPRINTABLE.sub("\ufffd", _BREAK.sub(" ", shown))


def _width(text: str) -> int:
    """The terminal columns ``text`` takes: two for a wide East Asian
    character, none for a combining mark or a format character."""
    return sum(_character_width(character) for character in text)


def _character_width(character: str) -> int:
    if unicodedata.combining(character) or unicodedata.category(character) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)

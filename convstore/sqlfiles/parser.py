"""Parse one ``.sql`` file into a :class:`Query`.

A query file holds a leading comment block (what it returns, each ``:name``
parameter, the index that serves it) and one SQL statement. Parameters are
written ``:name`` so the file runs unchanged in ``psql -v name=value -f`` and in
``sqlite3`` after ``.parameter set :name value``.

The parser knows no driver. A dialect names the parameter style of DB-API 2.0
(PEP 249, ``paramstyle``) its driver takes -- :data:`PARAMSTYLES` -- and the
statement is written in it: ``named`` sends ``:name`` as written (sqlite3);
``pyformat`` writes ``%(name)s`` and doubles every literal ``%`` (psycopg),
while ``::casts``, string literals, quoted identifiers, dollar-quoted bodies and
comments are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import QueryFileError
from ..types import POSTGRES, SQLITE

PARAMSTYLES = {SQLITE: "named", POSTGRES: "pyformat"}
"""Each dialect's driver's DB-API parameter style (``sqlite3`` binds ``:name``;
``psycopg.paramstyle`` is ``pyformat``)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
# A statement writes if it says so, or calls one of the migrations' functions
# that change data (pg_0029's appends).
_WRITE_KEYWORD = re.compile(
    r"\b(?:(?:INSERT|UPDATE|DELETE)\b|convstore_append_messages?\s*\()", re.IGNORECASE
)


@dataclass(frozen=True)
class Query:
    """One named statement of one dialect, ready to send."""

    name: str
    dialect: str
    path: Path
    description: str
    """The file's leading comment block, without the ``--`` markers."""
    sql: str
    """The statement as written in the file (``:name`` parameters)."""
    parameters: tuple[str, ...]
    """Parameter names in order of first appearance."""
    writes: bool
    """True if the statement changes data (INSERT, UPDATE or DELETE, also inside
    WITH, or a call of a function of the migrations that does)."""
    statement: str
    """What the driver receives: a comment naming the file, then the statement
    in the driver's parameter style."""


@dataclass(frozen=True)
class _Token:
    kind: str  # "code", "quoted" (string, identifier, comment) or "parameter"
    text: str


def load_query(path: Path, dialect: str, name: str, label: str | None = None) -> Query:
    """Read and parse ``path``; raise :class:`QueryFileError` naming the file and line.
    ``label`` is how the statement names its file (default ``sql/<dialect>/<name>.sql``)."""
    text = path.read_text(encoding="utf-8")
    description, body, body_line = _split_header(text)
    if not body.strip():
        raise QueryFileError(f"{path}:1: no SQL statement after the comment block")
    tokens = list(_tokenize(body, path, body_line))
    _check_single_statement(tokens, path, body_line, body)
    parameters = tuple(dict.fromkeys(t.text for t in tokens if t.kind == "parameter"))
    code = "".join(t.text for t in tokens if t.kind == "code")
    tag = f"/* convstore: {label or f'sql/{dialect}/{name}.sql'} */\n"
    driver_sql = _in_paramstyle(tokens, PARAMSTYLES[dialect])
    return Query(
        name=name,
        dialect=dialect,
        path=path,
        description=description,
        sql=body.strip(),
        parameters=parameters,
        writes=bool(_WRITE_KEYWORD.search(code)),
        statement=tag + driver_sql.strip(),
    )


def _split_header(text: str) -> tuple[str, str, int]:
    """Split the leading ``--`` comment block from the statement.

    Returns the block's text, the statement, and the statement's first line number.
    """
    lines = text.splitlines(keepends=True)
    header: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("--"):
            header.append(stripped[2:].strip())
        elif stripped:
            return "\n".join(header).strip(), "".join(lines[index:]), index + 1
    return "\n".join(header).strip(), "", len(lines) + 1


def _tokenize(body: str, path: Path, first_line: int) -> Iterator[_Token]:
    position = 0
    end = len(body)
    while position < end:
        char = body[position]
        two = body[position : position + 2]
        if two == "--":
            stop = body.find("\n", position)
            stop = end if stop == -1 else stop
        elif two == "/*":
            stop = _closing(body, "*/", position + 2, path, first_line, position) + 2
        elif char in "'\"":
            stop = _end_of_quoted(body, char, position, path, first_line)
        elif char == "$" and (tag := _DOLLAR_TAG.match(body, position)):
            closing = _closing(body, tag.group(), tag.end(), path, first_line, position)
            stop = closing + len(tag.group())
        elif two == "::":
            yield _Token("code", two)
            position += 2
            continue
        elif char == ":" and (name := _IDENTIFIER.match(body, position + 1)):
            yield _Token("parameter", name.group())
            position = name.end()
            continue
        else:
            yield _Token("code", char)
            position += 1
            continue
        yield _Token("quoted", body[position:stop])
        position = stop


def _end_of_quoted(body: str, quote: str, start: int, path: Path, first_line: int) -> int:
    """Index just past the quote closing the literal that opens at ``start``
    (a doubled quote inside is an escaped quote)."""
    position = start + 1
    while True:
        position = _closing(body, quote, position, path, first_line, start)
        if body.startswith(quote * 2, position):
            position += 2
            continue
        return position + 1


def _closing(body: str, marker: str, after: int, path: Path, first_line: int, opened: int) -> int:
    found = body.find(marker, after)
    if found == -1:
        line = first_line + body.count("\n", 0, opened)
        raise QueryFileError(f"{path}:{line}: unterminated {body[opened : opened + 2]!r}...")
    return found


def _check_single_statement(tokens: list[_Token], path: Path, first_line: int, body: str) -> None:
    # Quoted text may hold ';' but counts only for its line breaks.
    code = "".join(t.text if t.kind != "quoted" else "\n" * t.text.count("\n") for t in tokens)
    statement, _, rest = code.partition(";")
    if rest.strip():
        line = first_line + statement.count("\n") + 1
        raise QueryFileError(f"{path}:{line}: one statement per query file; found more after ';'")


def _in_paramstyle(tokens: list[_Token], paramstyle: str) -> str:
    """The statement in a PEP 249 parameter style: ``named`` (``:name``) or
    ``pyformat`` (``%(name)s``, where a literal ``%`` is written ``%%``)."""
    if paramstyle == "named":
        return "".join(f":{t.text}" if t.kind == "parameter" else t.text for t in tokens)
    return "".join(
        f"%({t.text})s" if t.kind == "parameter" else t.text.replace("%", "%%") for t in tokens
    )

"""Search-box text into an SQLite FTS5 expression, never passing user text
through as FTS5 syntax.

The grammar is PostgreSQL's ``websearch_to_tsquery``: words (all must match),
``"quoted phrases"``, ``-excluded`` words or phrases, and ``or`` between
alternatives. Every word or phrase becomes an FTS5 string literal (double
quotes doubled), so ``NEAR``, ``*``, ``^``, column filters or stray quotes in
the input are only text. Terms with no letter or digit are dropped. FTS5 has no
"everything except": an alternative made only of exclusions is dropped, where
PostgreSQL would match every message without those words.
"""

from __future__ import annotations

import re

_TERM = re.compile(r'(-?)"([^"]*)(?:"|$)|(\S+)')


def to_fts5(text: str) -> str | None:
    """The FTS5 expression for ``text``, or ``None`` when it has nothing to search for."""
    alternatives: list[list[tuple[bool, str]]] = [[]]
    for match in _TERM.finditer(text):
        excluded, phrase, word = match.groups()
        if word is not None:
            if word.lower() == "or":
                alternatives.append([])
                continue
            excluded, phrase = ("-" if word.startswith("-") else ""), word.removeprefix("-")
        if any(character.isalnum() for character in phrase):
            alternatives[-1].append((bool(excluded), phrase))
    clauses = []
    for terms in alternatives:
        wanted = [_literal(phrase) for excluded, phrase in terms if not excluded]
        if not wanted:
            continue
        clause = " AND ".join(wanted)
        for phrase in (_literal(phrase) for excluded, phrase in terms if excluded):
            clause = f"({clause}) NOT {phrase}"
        clauses.append(f"({clause})")
    return " OR ".join(clauses) or None


def _literal(phrase: str) -> str:
    return '"' + phrase.replace('"', '""') + '"'

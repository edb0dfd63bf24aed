"""The search box: what people type, read once into a :class:`SearchQuery`
of folded words, and written for each database.

The grammar is PostgreSQL's ``websearch_to_tsquery``'s: words (all must
match), ``"quoted phrases"``, ``-excluded`` words or phrases, and ``or``
between alternatives. Every word is folded as messages are
(:func:`convstore.content.search_text.words`); a word of several folded words
(``spring-boot``, ``東京``) is a phrase. An alternative made only of
exclusions is dropped: neither database can answer "every message without
these" from its index. Rendered queries hold folded words only, each quoted,
so no user text is ever read as query syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidInput
from .search_text import words

MAX_QUERY_WORDS = 1_000
"""Folded words a search may hold: PostgreSQL's query parser runs out of stack
at about 13,000 and SQLite slows down with the square of the count."""


@dataclass(frozen=True)
class Term:
    """A word or a phrase, as folded words, wanted or excluded."""

    words: tuple[str, ...]
    excluded: bool


@dataclass(frozen=True)
class SearchQuery:
    """Alternatives (``or``), each a conjunction of terms with at least one
    wanted term; no alternatives means nothing to search for."""

    alternatives: tuple[tuple[Term, ...], ...]

    @property
    def wanted(self) -> frozenset[tuple[str, ...]]:
        """The word sequences a match contains (for snippets)."""
        return frozenset(
            term.words for terms in self.alternatives for term in terms if not term.excluded
        )


_TOKEN = re.compile(r'(-?)"([^"]*)(?:"|$)|(\S+)')


def parse(text: str) -> SearchQuery:
    """Search-box text as a :class:`SearchQuery`: anything that is not grammar
    is words.

    :raises InvalidInput: for more than :data:`MAX_QUERY_WORDS` words.
    """
    alternatives: list[list[Term]] = [[]]
    count = 0
    for match in _TOKEN.finditer(text):
        excluded, phrase, word = match.groups()
        if word is not None:
            if word.lower() == "or":
                alternatives.append([])
                continue
            excluded, phrase = ("-" if word.startswith("-") else ""), word.removeprefix("-")
        folded = tuple(words(phrase))
        count += len(folded)
        if count > MAX_QUERY_WORDS:
            raise InvalidInput(f"a search holds at most {MAX_QUERY_WORDS:,} words")
        if folded:
            alternatives[-1].append(Term(folded, bool(excluded)))
    return SearchQuery(
        tuple(tuple(terms) for terms in alternatives if any(not term.excluded for term in terms))
    )


def to_fts5(query: SearchQuery) -> str | None:
    """The FTS5 expression for ``query`` (every term a string, which FTS5 reads
    as a phrase; an alternative's exclusions one flat ``NOT (a OR b ...)``, so
    that any number of them parses), or ``None`` when it has nothing to search
    for."""
    clauses = []
    for terms in query.alternatives:
        wanted = " AND ".join(_fts5_string(term) for term in terms if not term.excluded)
        unwanted = " OR ".join(_fts5_string(term) for term in terms if term.excluded)
        clauses.append(f"({wanted}) NOT ({unwanted})" if unwanted else f"({wanted})")
    return " OR ".join(clauses) or None


def _fts5_string(term: Term) -> str:
    # Folded words hold no quote (ASCII punctuation separates words).
    return '"' + " ".join(term.words) + '"'


def to_tsquery(query: SearchQuery) -> str | None:
    """``tsquery`` text for ``query`` (``'a' & ('b' <-> 'c') & !('d')``, its
    lexemes taken as written: no parser or dictionary runs on them), or
    ``None`` when it has nothing to search for."""
    clauses = []
    for terms in query.alternatives:
        wanted = " & ".join(_tsquery_phrase(term) for term in terms if not term.excluded)
        unwanted = " | ".join(_tsquery_phrase(term) for term in terms if term.excluded)
        clauses.append(f"({wanted} & !({unwanted}))" if unwanted else f"({wanted})")
    return " | ".join(clauses) or None


def _tsquery_phrase(term: Term) -> str:
    # Folded words hold no quote or backslash (ASCII punctuation separates words).
    return "(" + " <-> ".join(f"'{word}'" for word in term.words) + ")"

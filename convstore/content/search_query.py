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
from collections.abc import Callable, Iterable
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


_FTS5_TOKEN = re.compile(r'[ \t\n\r\f]*(?:"((?:[^"]|"")*)"|(\(|\))|([^ \t\n\r\f()"]+))')
_FTS5_BAREWORD = re.compile(r"[0-9A-Za-z_\x1a\x80-\U0010ffff]+")
_ASCII_SEPARATORS = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")

_Test = Callable[[list[str]], bool]
_Tokens = list[tuple[str, str]]


def fts5_matcher(expression: str) -> _Test:
    """A test of whether text of the given folded words matches the FTS5
    expression ``expression`` as the search index (FTS5, ``ascii``
    tokenizer) would: for the messages a search reads that are not indexed
    yet. Understood: strings and bare words (a phrase of the tokenizer's
    words: ASCII lower-cased, split at ASCII characters other than letters
    and digits), parentheses, phrases side by side (which bind first: ``a NOT
    b c`` is ``a NOT (b c)``; an empty phrase among them is left out, alone it
    matches nothing), then ``NOT``, then ``AND``, then ``OR`` -- everything
    :func:`to_fts5` writes. Source: SQLite's FTS5 documentation, "Full-text
    Query Syntax", and its grammar (``fts5parse.y``); a test compares it with
    FTS5 on generated expressions.

    :raises ValueError: for anything else (``NEAR``, a column filter, a
        prefix ``*``, ``^``, ``+``, unbalanced parentheses, a group beside a
        phrase).
    """
    tokens = _fts5_tokens(expression)
    test, position = _fts5_or(tokens, 0)
    if position != len(tokens):
        raise ValueError(f"not understood in a search expression: {expression[:80]!r}")
    return test


def _fts5_tokens(expression: str) -> _Tokens:
    tokens, position = [], 0
    while expression[position:].strip(" \t\n\r\f"):
        token = _FTS5_TOKEN.match(expression, position)
        if token is None:
            raise ValueError(f"not understood in a search expression: {expression[:80]!r}")
        string, parenthesis, bare = token.groups()
        if string is not None:
            tokens.append(("phrase", string.replace('""', '"')))
        elif parenthesis is not None:
            tokens.append((parenthesis, parenthesis))
        elif bare in ("AND", "OR", "NOT"):
            tokens.append((bare, bare))
        elif bare == "NEAR" and expression[token.end() :].lstrip().startswith("("):
            raise ValueError("NEAR is not understood in a search expression")
        elif _FTS5_BAREWORD.fullmatch(bare):
            tokens.append(("phrase", bare))
        else:
            raise ValueError(f"{bare!r} is not understood in a search expression")
        position = token.end()
    return tokens


def _fts5_or(tokens: _Tokens, position: int) -> tuple[_Test, int]:
    return _fts5_chain(tokens, position, "OR", _fts5_and, any)


def _fts5_and(tokens: _Tokens, position: int) -> tuple[_Test, int]:
    return _fts5_chain(tokens, position, "AND", _fts5_not, all)


def _fts5_chain(
    tokens: _Tokens,
    position: int,
    operator: str,
    operand: Callable[[_Tokens, int], tuple[_Test, int]],
    combine: Callable[[Iterable[bool]], bool],
) -> tuple[_Test, int]:
    """Operands joined by ``operator``, their tests combined by ``combine``."""
    tests = []
    while True:
        test, position = operand(tokens, position)
        tests.append(test)
        if not (position < len(tokens) and tokens[position][0] == operator):
            return (lambda folded: combine(t(folded) for t in tests)), position
        position += 1


def _fts5_not(tokens: _Tokens, position: int) -> tuple[_Test, int]:
    wanted, position = _fts5_side_by_side(tokens, position)
    unwanted = []
    while position < len(tokens) and tokens[position][0] == "NOT":  # (a NOT b) NOT c
        test, position = _fts5_side_by_side(tokens, position + 1)
        unwanted.append(test)
    return (lambda folded: wanted(folded) and not any(t(folded) for t in unwanted)), position


def _fts5_side_by_side(tokens: _Tokens, position: int) -> tuple[_Test, int]:
    """Phrases side by side, or one group in parentheses (FTS5 refuses a
    group beside anything)."""
    if position < len(tokens) and tokens[position][0] == "(":
        test, position = _fts5_or(tokens, position + 1)
        if position >= len(tokens) or tokens[position][0] != ")":
            raise ValueError("unbalanced parentheses in a search expression")
        return test, position + 1
    phrases = []
    while True:
        kind, text = tokens[position] if position < len(tokens) else ("end", "")
        if kind != "phrase":
            raise ValueError(f"a word or phrase was expected in a search expression, not {text!r}")
        lowered = "".join(c.lower() if c.isascii() else c for c in text)
        phrase = tuple(word for word in _ASCII_SEPARATORS.split(lowered) if word)
        if phrase:  # an empty one is left out
            phrases.append(phrase)
        position += 1
        if not (position < len(tokens) and tokens[position][0] == "phrase"):
            break
    if not phrases:
        return (lambda folded: False), position
    return (lambda folded: all(_holds(folded, phrase) for phrase in phrases)), position


def _holds(folded: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase``'s words occur in a row in ``folded``."""
    width = len(phrase)
    return any(
        folded[i] == phrase[0] and tuple(folded[i : i + width]) == phrase
        for i in range(len(folded) - width + 1)
    )


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

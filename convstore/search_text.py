"""What full-text search sees: the folding of text into words, the search-box
grammar, and the snippet marking the matched words.

One semantics on both databases (README, "Search"):

- A word is a run of letters, digits and combining marks; every other
  character separates words, so ``spring-boot`` is the two words ``spring
  boot`` (searched as a phrase), ``Gmail's`` is ``gmail s``, ``OAuth2`` is one
  word.
- Case and diacritics are folded: Unicode compatibility decomposition (NFKD,
  so ``ﬁ`` is ``fi`` and full-width ``Ａ`` is ``a``), lower case, the combining
  diacritical marks, Hebrew points and Arabic harakat removed, then
  recomposed (NFC). ``Café`` is ``cafe``,
  ``Tōkyō`` is ``tokyo``; a final sigma is a sigma.
- Every Han, kana, Hangul or Bopomofo character is a word of its own, and a
  run of them in a query is a phrase, so ``東京`` finds ``東京タワーは高い``:
  these scripts are written without spaces between words.
- No stop words and no stemming: every word counts and matches itself
  (English-only stemming would mis-stem every other language, and
  PostgreSQL's Snowball and SQLite's Porter stemmers disagree).

:func:`fold` is that folding. The databases index ``fold(content)`` of each
message's first 100,000 characters: PostgreSQL through the SQL function
``convstore_search_text`` (migration ``pg_0014``, which must agree with this
module character for character; ``tests/test_search_parity.py`` checks it),
SQLite through this function registered on every connection
(:mod:`convstore.sql_functions`).
Both then split the folded text at its spaces.

The search box is PostgreSQL's ``websearch_to_tsquery`` grammar: words (all
must match), ``"quoted phrases"``, ``-excluded`` words or phrases, and ``or``
between alternatives. :func:`parse` reads it once into a :class:`SearchQuery`, which
each dialect renders (:func:`to_fts5`, :func:`to_websearch`) from folded words
only, so no user text is read as query syntax. An alternative made only of
exclusions is dropped (FTS5 cannot express "every message without these").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The character classes below are the ones in migrations/postgres/
# pg_0014_folded_search.sql: change them together, in a new migration.
# Combining diacritical marks (Latin, Greek, Cyrillic...), Hebrew points and
# Arabic harakat: removed.
_DIACRITICS = re.compile(
    r"[\u0300-\u036f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u064b-\u065f\u0670"
    r"\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
# ASCII and Latin-1 punctuation and symbols, the spaces, general and
# supplemental punctuation, currency, arrows, mathematical and technical
# symbols, CJK punctuation, variation selectors, private use, emoji: word
# separators whatever a database's locale or Unicode tables say about them.
_SEPARATORS = re.compile(
    r"[\u0001-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u00bf\u00d7\u00f7\u1680"
    r"\u2000-\u206f\u20a0-\u20cf\u2190-\u2bff\u2e00-\u2e7f"
    r"\u3000-\u3004\u3008-\u3020\u3030\u303d-\u303f\ue000-\uf8ff\ufe00-\ufe0f\ufe30-\ufe4f"
    r"\ufff0-\uffff\U0001f000-\U0001fbff\U000f0000-\U0010ffff]+"
)
# Scripts written without spaces between words: each character is a word.
_UNSPACED = re.compile(
    r"[\u3005-\u3007\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff]"
)
# A number in scientific notation ends a word (PostgreSQL's parser reads
# ``1e5abc`` as ``1e5`` and ``abc``; SQLite's would not).
_EXPONENT = re.compile("(^| )([0-9]+e[0-9]+)(?=[^ ])")


def fold(text: str) -> str:
    """``text`` as search sees it: folded words separated by spaces (some
    separators may be runs of spaces)."""
    if text.isascii():
        text = text.lower()  # nothing to decompose or fold
    else:
        text = unicodedata.normalize("NFKD", text).lower()
        text = unicodedata.normalize("NFC", _DIACRITICS.sub("", text)).replace("ς", "σ")
        text = _UNSPACED.sub(r" \g<0> ", text)
    return _EXPONENT.sub(r"\1\2 ", _SEPARATORS.sub(" ", text))


def words(text: str) -> list[str]:
    """The words of ``text``, folded, in order."""
    return fold(text).split()


@dataclass(frozen=True)
class Term:
    """A word or a phrase, as folded words (one word: a word search)."""

    words: tuple[str, ...]
    excluded: bool


@dataclass(frozen=True)
class SearchQuery:
    """Alternatives (``or``), each a conjunction of terms with at least one
    wanted term; no alternatives means nothing to search for."""

    alternatives: tuple[tuple[Term, ...], ...]

    @property
    def wanted_words(self) -> frozenset[str]:
        """Every folded word a match can contain (for snippets)."""
        return frozenset(
            word
            for terms in self.alternatives
            for term in terms
            if not term.excluded
            for word in term.words
        )


_TOKEN = re.compile(r'(-?)"([^"]*)(?:"|$)|(\S+)')


def parse(text: str) -> SearchQuery:
    """Search-box text as a :class:`SearchQuery`. Never fails: anything that is not
    grammar is words."""
    alternatives: list[list[Term]] = [[]]
    for match in _TOKEN.finditer(text):
        excluded, phrase, word = match.groups()
        if word is not None:
            if word.lower() == "or":
                alternatives.append([])
                continue
            excluded, phrase = ("-" if word.startswith("-") else ""), word.removeprefix("-")
        folded = tuple(words(phrase))
        if folded:
            alternatives[-1].append(Term(folded, bool(excluded)))
    return SearchQuery(
        tuple(tuple(terms) for terms in alternatives if any(not term.excluded for term in terms))
    )


def to_fts5(query: SearchQuery) -> str | None:
    """The FTS5 expression for ``query`` (every term a string literal, the
    exclusions of an alternative one flat ``NOT (a OR b ...)`` so that any
    number of them parses), or ``None`` when it has nothing to search for."""
    clauses = []
    for terms in query.alternatives:
        wanted = " AND ".join(_fts5_string(term) for term in terms if not term.excluded)
        unwanted = " OR ".join(_fts5_string(term) for term in terms if term.excluded)
        clauses.append(f"({wanted}) NOT ({unwanted})" if unwanted else f"({wanted})")
    return " OR ".join(clauses) or None


def _fts5_string(term: Term) -> str:
    # Folded words hold no quote; FTS5 reads a string of several words as a phrase.
    return '"' + " ".join(term.words) + '"'


def to_websearch(query: SearchQuery) -> str | None:
    """Text for ``websearch_to_tsquery('simple', ...)`` meaning ``query``, or
    ``None`` when it has nothing to search for. Every term is quoted (a phrase
    of folded words), so a word such as ``or`` is never an operator."""
    clauses = []
    for terms in query.alternatives:
        clauses.append(
            " ".join(("-" if term.excluded else "") + f'"{" ".join(term.words)}"' for term in terms)
        )
    return " or ".join(clauses) or None


_WORD = re.compile(r"\w+")
SNIPPET_WORDS = 24
"""Words of context a snippet shows around the first match, at most."""


def snippet(content: str | None, query: SearchQuery) -> str:
    """The part of ``content`` around its first matched word (at most
    :data:`SNIPPET_WORDS` words), every matched word marked «like this», ``…``
    where text was cut. Matching is by folded word, so ``«Café»`` is marked for
    the query ``cafe``."""
    spans = [match.span() for match in _WORD.finditer(content or "")]
    if not content or not spans:
        return content or ""
    wanted = query.wanted_words
    hits = {
        i for i, (start, end) in enumerate(spans) if wanted.intersection(words(content[start:end]))
    }
    low = max(0, min(hits, default=0) - SNIPPET_WORDS // 3)
    high = min(len(spans), low + SNIPPET_WORDS)
    begin = 0 if low == 0 else spans[low][0]
    finish = len(content) if high == len(spans) else spans[high - 1][1]
    pieces, position = [], begin
    for i in sorted(hits):
        if low <= i < high:
            start, end = spans[i]
            pieces += [content[position:start], "«", content[start:end], "»"]
            position = end
    pieces.append(content[position:finish])
    return (
        ("…" if begin > 0 else "")
        + "".join(pieces).strip()
        + ("…" if finish < len(content) else "")
    )

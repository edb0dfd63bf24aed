"""The part of a message to show for a search match, with the matched words
marked «like this»: made from the content by convstore, so it is the same on
both databases."""

from __future__ import annotations

from .search_query import SearchQuery
from .search_text import word_spans

SNIPPET_WORDS = 24
"""Words a snippet shows at most, from a few before the first match."""
_LOOKED_AT = 100_000
"""Characters of a message looked at: the part the search index holds."""


def snippet(content: str | None, query: SearchQuery) -> str:
    """The part of ``content`` around its first match (at most
    :data:`SNIPPET_WORDS` words), each matched word or phrase marked
    «like this» where it occurs as the query asks (a phrase only where its
    words follow each other), ``…`` where text was cut. Matching is by folded
    word: ``«Café»`` is marked for the query ``cafe``."""
    text = (content or "")[:_LOOKED_AT]
    wanted = query.wanted
    longest = max((len(phrase) for phrase in wanted), default=1)
    spans, folded = [], []  # one span per folded word
    first = None if wanted else 0  # the first match's word
    # Words are folded only as far as the snippet needs: up to the first
    # match and the words shown after it (folding all 100,000 characters of
    # a long message cost 0.3 s of a search).
    for start, end, run_words in word_spans(text):
        spans += [(start, end)] * len(run_words)
        folded += run_words
        if first is None:
            first = _first_match(folded, wanted, len(folded) - len(run_words) - longest + 1)
        elif len(folded) >= max(0, first - SNIPPET_WORDS // 3) + SNIPPET_WORDS + longest:
            break
    marked = sorted(_matched(folded, query))
    if not spans:
        return text
    first = marked[0] if marked else 0
    low = max(0, first - SNIPPET_WORDS // 3)
    high = min(len(spans), low + SNIPPET_WORDS)
    begin = 0 if low == 0 else spans[low][0]
    finish = len(text) if high == len(spans) else spans[high - 1][1]
    pieces, position = [], begin
    for start, end in sorted({spans[i] for i in marked if low <= i < high}):
        if start >= position:
            pieces += [text[position:start], "«", text[start:end], "»"]
            position = end
    pieces.append(text[position:finish])
    cut_after = finish < len(content or "")
    return ("…" if begin > 0 else "") + "".join(pieces).strip() + ("…" if cut_after else "")


def _first_match(folded: list[str], wanted: frozenset[tuple[str, ...]], since: int) -> int | None:
    """The first position of ``folded``, from ``since`` on, where a
    ``wanted`` word or phrase occurs whole; ``None`` if none does (yet)."""
    for i in range(max(0, since), len(folded)):
        if any(_occurs_at(folded, i, phrase) for phrase in wanted):
            return i
    return None


def _matched(folded: list[str], query: SearchQuery) -> set[int]:
    """The positions of ``folded`` that are part of an occurrence of a wanted
    word or phrase."""
    matched: set[int] = set()
    for phrase in query.wanted:
        for i in range(len(folded) - len(phrase) + 1):
            if _occurs_at(folded, i, phrase):
                matched.update(range(i, i + len(phrase)))
    return matched


def _occurs_at(folded: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return folded[i] == phrase[0] and tuple(folded[i : i + len(phrase)]) == phrase

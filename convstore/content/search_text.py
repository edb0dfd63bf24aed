"""What full-text search sees of a text: its folded words.

One semantics on both databases (README, "Search, metadata and reports"):

- A word is a run of characters that are not punctuation, symbols, spaces,
  controls, format characters or private use (Unicode 14 general categories
  P*, S*, Z*, Cc, Cf, Co, frozen in :data:`_SEPARATORS` so that a newer Unicode
  never changes what an index holds): ``spring-boot`` is the two words
  ``spring boot``, ``Gmail's`` is ``gmail s``, ``OAuth2`` is one word, and a
  Devanagari vowel sign or an Ethiopic numeral is part of its word.
- Case and diacritics are folded: Unicode compatibility decomposition (NFKD,
  so ``ﬁ`` is ``fi``, full-width ``Ａ`` is ``a``, ``½`` is ``1 2``), lower case,
  the combining diacritical marks, Hebrew points and Arabic harakat removed,
  then recomposed (NFC): ``Café`` is ``cafe``, ``Tōkyō`` is ``tokyo``; a final
  sigma is a sigma.
- Every Han, kana, Hangul or Bopomofo character is a word of its own, so a run
  of them is searched as a phrase and ``東京`` finds ``東京タワーは高い``: these
  scripts are written without spaces between words.
- A word of 256 characters or more (a hash, a base64 blob) is left out.

:func:`fold` is that folding, and the only tokenizer: both databases split its
result at spaces and nothing else. PostgreSQL folds with the SQL function
``convstore_search_text`` (migration ``pg_0014``, the same steps and character
classes; ``tests/test_search_parity.py`` compares the two on every code point)
and builds the ``tsvector`` from the words itself, without a text search
parser; SQLite calls this function (registered by :mod:`convstore.db.sql_functions`)
and its FTS5 ``ascii`` tokenizer splits at the spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# The character classes below are the ones in migrations/postgres/
# pg_0014_folded_search.sql: change them together, in a new migration.
# Combining diacritical marks (Latin, Greek, Cyrillic...), Hebrew points and
# Arabic harakat: removed.
_DIACRITICS = re.compile(
    r"[\u0300-\u036f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u064b-\u065f\u0670"
    r"\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
# Scripts written without spaces between words: each character is a word.
_UNSPACED = re.compile(
    r"[\u3005-\u3007\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff]"
)
# Every code point of the general categories P*, S*, Z*, Cc, Cf and Co in
# Unicode 14.0 (generated from Python 3.11's unicodedata): word separators.
_SEPARATORS = re.compile(
    r"[\u0001-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8"
    r"\u00bb\u00bf\u00d7\u00f7\u02c2-\u02c5\u02d2-\u02df\u02e5-\u02eb\u02ed\u02ef-\u02ff"
    r"\u0375\u037e\u0384-\u0385\u0387\u03f6\u0482\u055a-\u055f\u0589-\u058a\u058d-\u058f"
    r"\u05be\u05c0\u05c3\u05c6\u05f3-\u05f4\u0600-\u060f\u061b-\u061f\u066a-\u066d\u06d4"
    r"\u06dd-\u06de\u06e9\u06fd-\u06fe\u0700-\u070d\u070f\u07f6-\u07f9\u07fe-\u07ff"
    r"\u0830-\u083e\u085e\u0888\u0890-\u0891\u08e2\u0964-\u0965\u0970\u09f2-\u09f3"
    r"\u09fa-\u09fb\u09fd\u0a76\u0af0-\u0af1\u0b70\u0bf3-\u0bfa\u0c77\u0c7f\u0c84\u0d4f"
    r"\u0d79\u0df4\u0e3f\u0e4f\u0e5a-\u0e5b\u0f01-\u0f17\u0f1a-\u0f1f\u0f34\u0f36\u0f38"
    r"\u0f3a-\u0f3d\u0f85\u0fbe-\u0fc5\u0fc7-\u0fcc\u0fce-\u0fda\u104a-\u104f\u109e-\u109f"
    r"\u10fb\u1360-\u1368\u1390-\u1399\u1400\u166d-\u166e\u1680\u169b-\u169c\u16eb-\u16ed"
    r"\u1735-\u1736\u17d4-\u17d6\u17d8-\u17db\u1800-\u180a\u180e\u1940\u1944-\u1945"
    r"\u19de-\u19ff\u1a1e-\u1a1f\u1aa0-\u1aa6\u1aa8-\u1aad\u1b5a-\u1b6a\u1b74-\u1b7e"
    r"\u1bfc-\u1bff\u1c3b-\u1c3f\u1c7e-\u1c7f\u1cc0-\u1cc7\u1cd3\u1fbd\u1fbf-\u1fc1"
    r"\u1fcd-\u1fcf\u1fdd-\u1fdf\u1fed-\u1fef\u1ffd-\u1ffe\u2000-\u2064\u2066-\u206f"
    r"\u207a-\u207e\u208a-\u208e\u20a0-\u20c0\u2100-\u2101\u2103-\u2106\u2108-\u2109\u2114"
    r"\u2116-\u2118\u211e-\u2123\u2125\u2127\u2129\u212e\u213a-\u213b\u2140-\u2144"
    r"\u214a-\u214d\u214f\u218a-\u218b\u2190-\u2426\u2440-\u244a\u249c-\u24e9\u2500-\u2775"
    r"\u2794-\u2b73\u2b76-\u2b95\u2b97-\u2bff\u2ce5-\u2cea\u2cf9-\u2cfc\u2cfe-\u2cff\u2d70"
    r"\u2e00-\u2e2e\u2e30-\u2e5d\u2e80-\u2e99\u2e9b-\u2ef3\u2f00-\u2fd5\u2ff0-\u2ffb"
    r"\u3000-\u3004\u3008-\u3020\u3030\u3036-\u3037\u303d-\u303f\u309b-\u309c\u30a0\u30fb"
    r"\u3190-\u3191\u3196-\u319f\u31c0-\u31e3\u3200-\u321e\u322a-\u3247\u3250\u3260-\u327f"
    r"\u328a-\u32b0\u32c0-\u33ff\u4dc0-\u4dff\ua490-\ua4c6\ua4fe-\ua4ff\ua60d-\ua60f\ua673"
    r"\ua67e\ua6f2-\ua6f7\ua700-\ua716\ua720-\ua721\ua789-\ua78a\ua828-\ua82b\ua836-\ua839"
    r"\ua874-\ua877\ua8ce-\ua8cf\ua8f8-\ua8fa\ua8fc\ua92e-\ua92f\ua95f\ua9c1-\ua9cd"
    r"\ua9de-\ua9df\uaa5c-\uaa5f\uaa77-\uaa79\uaade-\uaadf\uaaf0-\uaaf1\uab5b\uab6a-\uab6b"
    r"\uabeb\ue000-\uf8ff\ufb29\ufbb2-\ufbc2\ufd3e-\ufd4f\ufdcf\ufdfc-\ufdff\ufe10-\ufe19"
    r"\ufe30-\ufe52\ufe54-\ufe66\ufe68-\ufe6b\ufeff\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40"
    r"\uff5b-\uff65\uffe0-\uffe6\uffe8-\uffee\ufff9-\ufffd\U00010100-\U00010102"
    r"\U00010137-\U0001013f\U00010179-\U00010189\U0001018c-\U0001018e\U00010190-\U0001019c"
    r"\U000101a0\U000101d0-\U000101fc\U0001039f\U000103d0\U0001056f\U00010857"
    r"\U00010877-\U00010878\U0001091f\U0001093f\U00010a50-\U00010a58\U00010a7f\U00010ac8"
    r"\U00010af0-\U00010af6\U00010b39-\U00010b3f\U00010b99-\U00010b9c\U00010ead"
    r"\U00010f55-\U00010f59\U00010f86-\U00010f89\U00011047-\U0001104d\U000110bb-\U000110c1"
    r"\U000110cd\U00011140-\U00011143\U00011174-\U00011175\U000111c5-\U000111c8\U000111cd"
    r"\U000111db\U000111dd-\U000111df\U00011238-\U0001123d\U000112a9\U0001144b-\U0001144f"
    r"\U0001145a-\U0001145b\U0001145d\U000114c6\U000115c1-\U000115d7\U00011641-\U00011643"
    r"\U00011660-\U0001166c\U000116b9\U0001173c-\U0001173f\U0001183b\U00011944-\U00011946"
    r"\U000119e2\U00011a3f-\U00011a46\U00011a9a-\U00011a9c\U00011a9e-\U00011aa2"
    r"\U00011c41-\U00011c45\U00011c70-\U00011c71\U00011ef7-\U00011ef8\U00011fd5-\U00011ff1"
    r"\U00011fff\U00012470-\U00012474\U00012ff1-\U00012ff2\U00013430-\U00013438"
    r"\U00016a6e-\U00016a6f\U00016af5\U00016b37-\U00016b3f\U00016b44-\U00016b45"
    r"\U00016e97-\U00016e9a\U00016fe2\U0001bc9c\U0001bc9f-\U0001bca3\U0001cf50-\U0001cfc3"
    r"\U0001d000-\U0001d0f5\U0001d100-\U0001d126\U0001d129-\U0001d164\U0001d16a-\U0001d16c"
    r"\U0001d173-\U0001d17a\U0001d183-\U0001d184\U0001d18c-\U0001d1a9\U0001d1ae-\U0001d1ea"
    r"\U0001d200-\U0001d241\U0001d245\U0001d300-\U0001d356\U0001d6c1\U0001d6db\U0001d6fb"
    r"\U0001d715\U0001d735\U0001d74f\U0001d76f\U0001d789\U0001d7a9\U0001d7c3"
    r"\U0001d800-\U0001d9ff\U0001da37-\U0001da3a\U0001da6d-\U0001da74\U0001da76-\U0001da83"
    r"\U0001da85-\U0001da8b\U0001e14f\U0001e2ff\U0001e95e-\U0001e95f\U0001ecac\U0001ecb0"
    r"\U0001ed2e\U0001eef0-\U0001eef1\U0001f000-\U0001f02b\U0001f030-\U0001f093"
    r"\U0001f0a0-\U0001f0ae\U0001f0b1-\U0001f0bf\U0001f0c1-\U0001f0cf\U0001f0d1-\U0001f0f5"
    r"\U0001f10d-\U0001f1ad\U0001f1e6-\U0001f202\U0001f210-\U0001f23b\U0001f240-\U0001f248"
    r"\U0001f250-\U0001f251\U0001f260-\U0001f265\U0001f300-\U0001f6d7\U0001f6dd-\U0001f6ec"
    r"\U0001f6f0-\U0001f6fc\U0001f700-\U0001f773\U0001f780-\U0001f7d8\U0001f7e0-\U0001f7eb"
    r"\U0001f7f0\U0001f800-\U0001f80b\U0001f810-\U0001f847\U0001f850-\U0001f859"
    r"\U0001f860-\U0001f887\U0001f890-\U0001f8ad\U0001f8b0-\U0001f8b1\U0001f900-\U0001fa53"
    r"\U0001fa60-\U0001fa6d\U0001fa70-\U0001fa74\U0001fa78-\U0001fa7c\U0001fa80-\U0001fa86"
    r"\U0001fa90-\U0001faac\U0001fab0-\U0001faba\U0001fac0-\U0001fac5\U0001fad0-\U0001fad9"
    r"\U0001fae0-\U0001fae7\U0001faf0-\U0001faf6\U0001fb00-\U0001fb92\U0001fb94-\U0001fbca"
    r"\U000e0001\U000e0020-\U000e007f\U000f0000-\U000ffffd\U00100000-\U0010fffd]+"
)
_LONGEST_WORD = 255
"""Characters a word may have; longer ones (hashes, blobs) are left out
(PostgreSQL's lexemes hold 2,047 bytes)."""


def _separator_table() -> dict[int, str]:
    """:data:`_SEPARATORS` outside the private-use planes, for ``str.translate``
    (a character class that large is slow in ``re``)."""
    table: dict[int, str] = {}
    for first, last in re.findall(r"(\\[uU]\w+)(?:-(\\[uU]\w+))?", _SEPARATORS.pattern):
        start = int(first[2:], 16)
        for code_point in range(start, int((last or first)[2:], 16) + 1):
            if code_point < _PRIVATE_PLANES_START:
                table[code_point] = " "
    return table


_PRIVATE_PLANES_START = 0xF0000
_PRIVATE_PLANES = re.compile(r"[\U000f0000-\U000ffffd\U00100000-\U0010fffd]")
_SEPARATOR_TABLE = _separator_table()
_ASCII_SEPARATOR_TABLE = bytes(32 if byte in _SEPARATOR_TABLE else byte for byte in range(256))


def fold(text: str) -> str:
    """``text`` as search sees it: its folded words, separated by single spaces.
    The steps, in order, are those of ``convstore_search_text`` (pg_0014)."""
    if text.isascii():  # nothing to decompose or fold
        text = text.lower().encode("ascii").translate(_ASCII_SEPARATOR_TABLE).decode("ascii")
    else:
        text = unicodedata.normalize("NFKD", text).lower()
        text = unicodedata.normalize("NFC", _DIACRITICS.sub("", text)).replace("ς", "σ")
        text = _UNSPACED.sub(r" \g<0> ", text).translate(_SEPARATOR_TABLE)
        text = _PRIVATE_PLANES.sub(" ", text)
    found = text.split()  # every space character is a separator, now a space
    if found and max(map(len, found)) > _LONGEST_WORD:
        found = [word for word in found if len(word) <= _LONGEST_WORD]
    return " ".join(found)


def words(text: str) -> list[str]:
    """The words of ``text``, folded, in order."""
    folded = fold(text)
    return folded.split(" ") if folded else []


def word_spans(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Where ``text``'s words are, for marking them: each run of characters
    that are not separators (each character of an unspaced script alone), as
    ``(start, end, its folded words)``. In order, these are :func:`words` of
    ``text``, but for the rare character that only folding turns into letters
    (``™`` is ``tm``)."""
    # One character for one, so positions in ``spaced`` are positions in ``text``.
    spaced = _PRIVATE_PLANES.sub(" ", text.translate(_SEPARATOR_TABLE))
    for run in _RUN.finditer(spaced):
        start, end = run.span()
        if spaced[start:end].isascii():  # one word, folded by lower case alone
            if end - start <= _LONGEST_WORD:
                yield start, end, [text[start:end].lower()]
            continue
        for piece in _PIECE.finditer(text, start, end):
            folded = _piece_words(piece.group())
            if folded:
                yield piece.start(), piece.end(), list(folded)


@lru_cache(maxsize=4096)
def _piece_words(piece: str) -> tuple[str, ...]:
    """:func:`words` of a piece of non-ASCII text, remembered: the same
    characters of an unspaced script come back again and again."""
    return tuple(words(piece))


_RUN = re.compile("[^ ]+")
_PIECE = re.compile(f"{_UNSPACED.pattern}|(?:(?!{_UNSPACED.pattern}).)+", re.DOTALL)

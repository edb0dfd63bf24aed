"""Full-text search gives the same answers on SQLite and PostgreSQL.

One corpus -- several scripts and languages, punctuation, numbers -- is stored
in both databases; generated queries must find the same messages in both, and
the folding function each database indexes with must equal
:func:`convstore.content.search_text.fold` character for character. The semantics
(README, "Search") are tested on both databases with the cases of the field
reports.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convstore
from convstore.content import search_text
from convstore.content.search_text import fold
from convstore.db.sqlite import SQLiteDatabase
from convstore.migrate import _backend, _known_migrations
from convstore.sqlfiles.parser import load_query
from convstore.store import Store
from convstore.urls import DatabaseURL

TEST_SQL = Path(__file__).parent / "sql"
SEARCH_TEXT = TEST_SQL / "search_text.sql"

CORPUS = {
    "how-to": [
        "How do I reset my password? What don't you understand?",
        "It's the Spring-Boot starter; spring boot 3.2 needs Java 17.",
        "Gmail's OAuth2 flow: use OAuth 2.0, not OAuth1.",
        "Email bob@example.com or see https://example.com/docs/v1.2.3?x=1&y=2",
    ],
    "travel": [
        "Café au lait in the cafe near Tōkyō station; TOKYO is big.",
        "東京タワーは高い。東京スカイツリーはもっと高い！",
        "Ich möchte nach München fahren; Straße und STRASSE.",
        "ΟΔΟΣ και οδός στην Αθήνα",
    ],
    "mixed": [
        "서울의 한국어 문장입니다 and 中文的句子也在这里",
        "हिंदी भाषा में एक वाक्य है। Javanese ꦗꦮ꧀ꦲ, and Arabic: مَرْحَبًا بالعالم ؟",
        "Numbers: 3.14159, 1e5abc, 42nd street, ½ cup, ² squared, ① first",
        "Emoji 😀👍🏽 between words: fire🔥works and x_y_z snake_case",
    ],
    "code": [
        "def parse(text: str) -> list[str]:  # C++ and C# and F#",
        "SELECT * FROM \"messages\" WHERE content LIKE '%x%';",
        "ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ and ﬁnance ligatures",
        "naïve coöperate résumé RÉSUMÉ resume",
    ],
}


@pytest.fixture
def both(sqlite_url, postgres_url, user):
    """The corpus stored for ``user`` in a SQLite and a PostgreSQL store."""
    stores = [convstore.connect(sqlite_url), convstore.connect(postgres_url)]
    for store in stores:
        for title, texts in CORPUS.items():
            conversation_id = store.create_conversation(user, title=title)
            store.add_messages(conversation_id, [{"role": "user", "content": t} for t in texts])
    yield stores
    for store in stores:
        store.close()


@pytest.fixture
def unindexed(tmp_path, postgres_url, user):
    """The corpus again, searched only where nothing can be indexed, so every
    match is read from the text (migrations sqlite_0018 and pg_0024): a
    SQLite file opened read-only, and a PostgreSQL session whose
    transactions are read-only (another user in the same database). Pairs of
    store and user."""
    sqlite_path = tmp_path / "unindexed.db"
    copies = {f"sqlite:///{sqlite_path}": user, postgres_url: f"{user}-unindexed"}
    for url, owner in copies.items():
        with convstore.connect(url) as writer:
            for title, texts in CORPUS.items():
                conversation_id = writer.create_conversation(owner, title=title)
                writer.add_messages(
                    conversation_id, [{"role": "user", "content": t} for t in texts]
                )
    read_only_session = "?options=-c%20default_transaction_read_only%3Don"
    readers = [
        (Store(SQLiteDatabase(str(sqlite_path), read_only=True)), user),
        (convstore.connect(postgres_url + read_only_session), f"{user}-unindexed"),
    ]
    yield readers
    for store, _ in readers:
        store.close()


def _found(store, user, query):
    return sorted((m["title"], m["seq"]) for m in store.search_messages(user, query, limit=1000))


def _grouped(store, user, query):
    return sorted(
        (c["title"], c["matching_messages"])
        for c in store.search_conversations(user, query, limit=1000)
    )


VOCABULARY = sorted({word for texts in CORPUS.values() for t in texts for word in t.split()})
FRAGMENTS = st.sampled_from(VOCABULARY) | st.text(
    alphabet=st.sampled_from("".join(sorted(set("".join(VOCABULARY)))) + ' "-'), max_size=8
)
QUERIES = st.lists(
    st.tuples(st.sampled_from(["", "", "-", '"', "or "]), FRAGMENTS, st.booleans()),
    min_size=1,
    max_size=4,
).map(
    lambda parts: " ".join(
        f"{prefix}{fragment.upper() if upper else fragment}" for prefix, fragment, upper in parts
    )
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERIES)
def test_generated_queries_find_the_same_messages_on_both(both, unindexed, user, query):
    """... and the same whether the messages are indexed or not yet."""
    sqlite, postgres = both
    found, grouped = _found(sqlite, user, query), _grouped(sqlite, user, query)
    assert _found(postgres, user, query) == found
    assert _grouped(postgres, user, query) == grouped
    for store, owner in unindexed:
        assert _found(store, owner, query) == found, store.dialect
        assert _grouped(store, owner, query) == grouped, store.dialect


def test_every_word_of_the_corpus_finds_its_messages_on_both(both, user):
    for word in VOCABULARY:
        if word.lower() == "or" or word.startswith("-") or '"' in word:
            continue  # search-box grammar, not a word
        sqlite, postgres = (_found(store, user, word) for store in both)
        assert sqlite == postgres, word
        assert bool(sqlite) == bool(search_text.words(word)), word


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("how what don't", [("how-to", 1)]),  # common words are words
        ("cafe", [("travel", 1)]),
        ("CAFÉ", [("travel", 1)]),
        ("tokyo", [("travel", 1)]),
        ("spring-boot", [("how-to", 2)]),  # a phrase: spring, then boot
        ('"boot spring"', []),
        ("Gmail's", [("how-to", 3)]),
        ("gmail", [("how-to", 3)]),
        ("OAuth2", [("how-to", 3)]),
        ("oauth", [("how-to", 3)]),
        ("東京", [("travel", 2)]),  # inside CJK text written without spaces
        ("スカイツリー", [("travel", 2)]),
        ("京東", []),
        ("한국어", [("mixed", 1)]),
        ("中文", [("mixed", 1)]),
        ("हिंदी", [("mixed", 2)]),
        ("مرحبا", [("mixed", 2)]),  # harakat are diacritics
        ("οδος", [("travel", 4)]),
        ("munchen", [("travel", 3)]),
        ("3.14159", [("mixed", 3)]),
        ("1e5abc", [("mixed", 3)]),  # one word: letters and digits
        ("1e5", []),
        ("abc", [("code", 3)]),
        ("है", [("mixed", 2)]),  # a vowel sign is part of its word
        ("ꦗꦮ꧀ꦲ", [("mixed", 2)]),
        ("fire works", [("mixed", 4)]),
        ("snake_case", [("mixed", 4)]),
        ("full-width abc", [("code", 3)]),
        ("finance", [("code", 3)]),
        ("resume -naive", []),
        ("resume", [("code", 4)]),
        ("bob@example.com", [("how-to", 4)]),
        ("v1.2.3", [("how-to", 4)]),
        ("c++", [("code", 1)]),
        ("😀", []),
        ("-reset", []),  # only exclusions: nothing to search for
        ("password or munchen", [("how-to", 1), ("travel", 3)]),
    ],
)
def test_the_search_semantics_on_both(both, user, query, expected):
    for store in both:
        assert _found(store, user, query) == expected, (store.dialect, query)


def test_up_to_a_thousand_words_parse_and_more_are_refused(both, user):
    many = "how " + " ".join(f"-w{i}" for i in range(999))
    phrases = "how " + " ".join(f'-"w{i} x"' for i in range(499))
    for store in both:
        assert _found(store, user, many) == [("how-to", 1)]
        assert _found(store, user, phrases) == [("how-to", 1)]
        assert _found(store, user, '"' + "東" * 1000 + '"') == []
        with pytest.raises(convstore.InvalidInput, match="at most 1,000 words"):
            store.search_messages(user, many + " -one-more")
        with pytest.raises(convstore.InvalidInput, match="at most 1,000 words"):
            store.search_messages(user, "東" * 1001)


def test_characters_that_are_not_words_never_change_a_query(both, user):
    """Punctuation of any script, format characters, lone marks of other
    scripts: nothing a database could read differently reaches either."""
    for store in both:
        assert _found(store, user, "है ।") == [("mixed", 2)]
        assert _found(store, user, "بالعالم ؟") == [("mixed", 2)]
        assert _found(store, user, "\ufeffpassword \U000e0067") == [("how-to", 1)]
        assert _found(store, user, "؟ -zzz") == []  # only exclusions: nothing to search for
        assert _found(store, user, "\ufeff -reset") == []
        owner_token = f"u{'0' * 64}{user.encode().hex()}"
        assert _found(store, user, owner_token) == []


def test_snippets_are_the_same_on_both(both, user):
    snippets = [
        [m["snippet"] for m in store.search_messages(user, "tokyo or 東京 or resume", limit=100)]
        for store in both
    ]
    assert sorted(snippets[0]) == sorted(snippets[1])
    assert "«Tōkyō»" in "".join(snippets[0]) and "«RÉSUMÉ»" in "".join(snippets[0])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
)
def test_both_databases_fold_text_as_convstore_does(both, text):
    for store in both:
        query = load_query(SEARCH_TEXT, store.dialect, "search_text")
        assert store.database.run(query, text=text) == [{"folded": fold(text)}]


def test_postgresql_folds_every_code_point_as_convstore_does(postgres_url):
    """convstore_search_text (migration pg_0014) against search_text.fold, for
    every code point in every Unicode plane, alone and after a letter."""
    with convstore.connect(postgres_url) as store:
        query = load_query(SEARCH_TEXT, store.dialect, "search_text")
        for plane in range(0x11):
            points = [chr(c) for c in range(plane << 16, (plane + 1) << 16) if _sendable(c)]
            for text in (" ".join(points), " a".join(points)):
                folded = store.database.run(query, text=text)[0]["folded"]
                assert folded == fold(text), _first_difference(folded, fold(text))


def _sendable(code_point: int) -> bool:
    return code_point != 0 and not 0xD800 <= code_point < 0xE000


def _first_difference(left: str, right: str) -> str:
    for i, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return f"at {i}: {left[max(0, i - 20) : i + 20]!r} against {right[max(0, i - 20) : i + 20]!r}"
    return f"lengths {len(left)} and {len(right)}"


def test_the_separators_are_unicode_14_punctuation_symbols_spaces_and_controls():
    """The frozen class holds exactly the code points of categories P*, S*, Z*,
    Cc, Cf and Co: on Unicode 14 all of them; on a newer Unicode, only code
    points assigned since may be missing (an index must not change with it)."""
    import unicodedata

    categorised = {
        c
        for c in range(1, 0x110000)
        if _sendable(c)
        and (
            unicodedata.category(chr(c))[0] in "PSZ"
            or unicodedata.category(chr(c)) in ("Cc", "Cf", "Co")
        )
    }
    frozen = {
        c for c in range(1, 0x110000) if _sendable(c) and search_text._SEPARATORS.fullmatch(chr(c))
    }
    assert frozen <= categorised
    if unicodedata.unidata_version == "14.0.0":
        assert frozen == categorised


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_messages_stored_before_the_migration_are_found_after_it(
    kind, sqlite_url, scratch_databases, user
):
    url = sqlite_url if kind == "sqlite" else scratch_databases.create()
    dialect = "sqlite" if kind == "sqlite" else "postgres"
    first_folded = "sqlite_0007" if kind == "sqlite" else "pg_0014"
    known = _known_migrations(dialect)
    backend = _backend(DatabaseURL(url), 5.0)
    backend.apply_migrations(known.filter(lambda migration: migration.id < first_folded))
    with convstore.connect(url, migrate=False) as store:  # today's statements need today's schema
        conversation_id = str(uuid.uuid4())
        for name, params in (
            ("old_conversation", {"id": conversation_id, "user_id": user}),
            (
                "old_message",
                {
                    "conversation_id": conversation_id,
                    "user_id": user,
                    "content": "Tōkyō spring-boot 東京タワー",
                },
            ),
        ):
            query = load_query(TEST_SQL / f"{name}.sql", dialect, name)
            store.database.run(query, **params)
    convstore.migrate(url)
    with convstore.connect(url) as store:
        for query in ("tokyo", '"spring boot"', "東京"):
            assert [m["seq"] for m in store.search_messages(user, query)] == [1], query


def _substring_found(store, user, text):
    return sorted((m["title"], m["seq"]) for m in store.find_messages(user, text, limit=1000))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_exact_substring_search_is_the_same_on_both_in_every_script(both, user, data):
    texts = [text for texts in CORPUS.values() for text in texts]
    text = data.draw(st.sampled_from(texts))
    start = data.draw(st.integers(0, len(text) - 1))
    piece = text[start : data.draw(st.integers(start + 1, len(text)))]
    piece = data.draw(st.sampled_from([piece, piece.upper(), piece.lower(), piece.swapcase()]))
    sqlite, postgres = (_substring_found(store, user, piece) for store in both)
    assert sqlite == postgres, piece
    if piece.lower() in text.lower():
        assert sqlite, piece


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CAFÉ AU", [("travel", 1)]),
        ("TŌKYŌ", [("travel", 1)]),
        ("ΟΔΌΣ ΣΤΗΝ", [("travel", 4)]),
        ("МЁ", []),
        ("東京タ", [("travel", 2)]),
        ("STRASSE", [("travel", 3)]),
        ("100%", []),
        ("x_y", [("mixed", 4)]),
    ],
)
def test_exact_substring_search_folds_case_in_every_script(both, user, text, expected):
    for store in both:
        assert _substring_found(store, user, text) == expected, (store.dialect, text)


def test_a_bare_sqlite3_connection_runs_find_messages(both, user, sqlite_url):
    """convstore.queries gives a sqlite3 connection the functions its files call."""
    import sqlite3

    from convstore import queries

    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        found = queries.find_messages(connection, user_id=user, text="CAFÉ AU", limit=5)
    finally:
        connection.close()
    assert [m["seq"] for m in found] == [1]

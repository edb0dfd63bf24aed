"""Snippets mark exactly the words a search matched, in the original text."""

from __future__ import annotations

import pytest

from convstore.content.search_query import parse
from convstore.content.snippets import SNIPPET_WORDS, snippet


@pytest.mark.parametrize(
    ("content", "query", "expected"),
    [
        ("Which museum opens early?", "museum", "Which «museum» opens early?"),
        ("Cafe\u0301 au lait", "cafe", "«Cafe\u0301» au lait"),  # the accent stays inside
        ("naïve and NAIVE", "naive", "«naïve» and «NAIVE»"),
        ("snake_case here", "snake", "«snake»_case here"),
        ("हिन्दी भाषा", "हिन्दी", "«हिन्दी» भाषा"),
        ("東京タワーは高い", "東京", "«東»«京»タワーは高い"),
        ("new jersey and New York", '"new york"', "new jersey and «New» «York»"),
        ("1e5abc and abc", "abc", "1e5abc and «abc»"),
        ("spring-boot starter", "spring-boot", "«spring»-«boot» starter"),
        ("", "x", ""),
        ("no match here", "absent", "no match here"),
    ],
)
def test_the_matched_words_are_marked(content, query, expected):
    assert snippet(content, parse(query)) == expected


def test_a_long_message_shows_the_words_around_the_first_match():
    words = [f"w{i}" for i in range(200)]
    words[150] = "needle"
    shown = snippet(" ".join(words), parse("needle"))
    assert shown.startswith("…w") and shown.endswith("…")
    assert "«needle»" in shown and len(shown.strip("…").split()) == SNIPPET_WORDS


def test_a_phrase_far_into_the_text_is_shown_not_a_lone_first_word():
    text = "new " + " ".join(f"x{i}" for i in range(100)) + " new york"
    assert "«new» «york»" in snippet(text, parse('"new york"'))

"""The character heuristic, and which counter the token estimates use,
decided once per process: tiktoken's encoding when it loads in time, else
the heuristic. tiktoken is
not installed here and its encodings need the network, so each case runs in
a fresh interpreter with a stand-in ``tiktoken`` module on its path that
loads, fails or hangs as the case needs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convstore.token_estimate import heuristic_text_tokens

STAND_IN = {
    "loads": """
        class _Encoding:
            def encode(self, text, disallowed_special=()):
                return text.split()  # one token a word

        def get_encoding(name):
            assert name == "o200k_base"
            return _Encoding()
    """,
    "fails": """
        def get_encoding(name):
            raise ConnectionError("no network, no cache")
    """,
    "hangs": """
        import time

        def get_encoding(name):
            time.sleep(60)
    """,
}

PROGRAM = """
import time
from convstore import token_estimate
token_estimate.TOKENIZER_LOAD_SECONDS = 0.5
started = time.monotonic()
first = token_estimate.text_tokens("one two three four five six seven eight")
waited = time.monotonic() - started
second = token_estimate.text_tokens("one two")
print(first, second, waited < 5)
"""


@pytest.mark.parametrize(
    ("tiktoken", "printed"),
    [("loads", "8 2 True"), ("fails", "10 2 True"), ("hangs", "10 2 True"), (None, "10 2 True")],
)
def test_the_tokenizer_counts_when_it_loads_and_the_heuristic_otherwise(
    tmp_path: Path, tiktoken: str | None, printed: str
):
    if tiktoken is not None:
        (tmp_path / "tiktoken.py").write_text(textwrap.dedent(STAND_IN[tiktoken]))
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == printed


UNSPACED = [(0x3040, 0x30FF), (0x3100, 0x312F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF)]
UNSPACED += [(0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0x0E00, 0x0E7F), (0x20000, 0x3FFFF)]


def _by_character(text: str) -> int:
    """The heuristic's rule, one character at a time."""
    quarters = 0
    for character in text:
        point = ord(character)
        if point < 0x80:
            quarters += 1
        elif any(low <= point <= high for low, high in UNSPACED):
            quarters += 4
        else:
            quarters += 2
    return -(-quarters // 4)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_the_heuristic_counts_each_character_by_its_script(text):
    assert heuristic_text_tokens(text) == _by_character(text)
    assert heuristic_text_tokens("東京" + text) == _by_character("東京" + text)

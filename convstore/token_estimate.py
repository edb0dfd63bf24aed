"""An estimate of a message's tokens, stored when no count is given
(``tokens_estimated``), so that the token budget never counts a long message
as a short one. A real count replaces it (``set_message_tokens``, the agent
with the API's usage).

The text is counted by OpenAI's ``o200k_base`` tokenizer (the GPT-4o family's)
when ``tiktoken`` is installed and its encoding loads within
:data:`TOKENIZER_LOAD_SECONDS` (tiktoken reads it from its cache, or downloads
it once); otherwise by :func:`heuristic_text_tokens`. Which one counts is
decided once per process (:func:`text_tokens`), so estimates do not change
under a running program.

A message costs :data:`TOKENS_PER_MESSAGE` more, and one more with a name
(OpenAI cookbook, "How to count tokens with tiktoken",
``num_tokens_from_messages``). An image part costs what OpenAI's vision guide
("Calculating costs") gives: 85 tokens at ``"detail": "low"``, else 85 + 170
per 512-pixel tile, counted for a 1024 x 1024 image (765) since the size is
not read from the image. Other parts the text counter cannot read (audio,
files, types convstore does not know) count :data:`UNREAD_PART_TOKENS` each:
a placeholder of an image's size, not a measure.

This module is at the bottom of the package: it imports nothing of convstore.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

logger = logging.getLogger("convstore")

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
LOW_DETAIL_IMAGE_TOKENS = 85
IMAGE_TOKENS = 85 + 170 * 4
"""A 1024 x 1024 image at high detail: four 512-pixel tiles."""
UNREAD_PART_TOKENS = IMAGE_TOKENS
TOKENIZER = "o200k_base"
TOKENIZER_LOAD_SECONDS = 5.0

CHARACTERS_PER_TOKEN = 4
"""OpenAI's rule of thumb for English: "one token generally corresponds to ~4
characters of text" (its tokenizer page)."""

_UNSPACED_SCRIPTS = re.compile(
    "[\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u312f"  # Bopomofo
    "\u3400-\u4dbf"  # CJK Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK Compatibility Ideographs
    "\u0e00-\u0e7f"  # Thai
    "\U00020000-\U0003ffff]"  # CJK Extensions B and later
)


def heuristic_text_tokens(text: str) -> int:
    """Tokens of ``text`` without a tokenizer: an ASCII character is a quarter
    of a token (:data:`CHARACTERS_PER_TOKEN`), a character of a script written
    without spaces (Chinese, Japanese, Korean, Thai) a whole one (tokenizers
    give such text about a token a character), any other a half (accented
    Latin, Cyrillic, Greek, Arabic ... take two to three characters a token);
    rounded up."""
    if text.isascii():
        return math.ceil(len(text) / CHARACTERS_PER_TOKEN)
    ascii_characters = len(text.encode("ascii", "ignore"))
    unspaced = len(_UNSPACED_SCRIPTS.findall(text))
    other = len(text) - ascii_characters - unspaced
    return math.ceil(ascii_characters / CHARACTERS_PER_TOKEN + unspaced + other / 2)


_counter: Callable[[str], int] | None = None
_counter_lock = threading.Lock()


def text_tokens(text: str) -> int:
    """Tokens of ``text``, by the tokenizer or the heuristic (module docstring)."""
    global _counter
    if _counter is None:
        with _counter_lock:
            if _counter is None:
                _counter = _tokenizer() or heuristic_text_tokens
    return _counter(text)


def _tokenizer() -> Callable[[str], int] | None:
    """tiktoken's :data:`TOKENIZER` counter, if tiktoken is installed and loads
    it in time; else ``None``. Loading may download the encoding once (its
    cache then serves it offline); a load that fails or hangs (no network, a
    firewall) is given up after :data:`TOKENIZER_LOAD_SECONDS`."""
    try:
        import tiktoken
    except ImportError:
        return None
    loaded: list[Any] = []

    def load() -> None:
        try:
            loaded.append(tiktoken.get_encoding(TOKENIZER))
        except Exception as error:  # no network and no cache, a corrupt cache ...
            logger.info("token estimates: tiktoken cannot load %s (%s)", TOKENIZER, error)

    loader = threading.Thread(target=load, name="convstore-tokenizer", daemon=True)
    loader.start()
    loader.join(TOKENIZER_LOAD_SECONDS)
    if not loaded:
        logger.info("token estimates: counting characters (%s not loaded)", TOKENIZER)
        return None
    encoding = loaded[0]
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def message_tokens(
    *,
    text: str | None,
    unread_parts: Sequence[Mapping[str, Any]] = (),
    name: str | None = None,
    functions: Sequence[Mapping[str, Any]] = (),
    refusal: str | None = None,
) -> int:
    """The estimated tokens of one message: :data:`TOKENS_PER_MESSAGE`, its
    ``text`` (a content's text, or the text of its text and refusal parts),
    its name, the name and arguments of each function it calls (a tool
    call's ``function``, a legacy ``function_call``), its refusal, and each
    of its other parts (``unread_parts``) as the module docstring says."""
    counted = TOKENS_PER_MESSAGE + (TOKENS_PER_NAME + text_tokens(name) if name else 0)
    written = [text, refusal]
    for function in functions:
        written += [function.get("name"), function.get("arguments")]
    counted += sum(text_tokens(piece) for piece in written if piece)
    return counted + sum(_part_tokens(part) for part in unread_parts)


def _part_tokens(part: Mapping[str, Any]) -> int:
    if part.get("type") == "image_url":
        image = part.get("image_url")
        low = isinstance(image, Mapping) and image.get("detail") == "low"
        return LOW_DETAIL_IMAGE_TOKENS if low else IMAGE_TOKENS
    return UNREAD_PART_TOKENS

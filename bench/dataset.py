"""Synthetic conversations for the benchmark, loaded through bulk paths
(``COPY`` through the runner's ``copy_rows`` on PostgreSQL; the driver's own
``executemany`` in one transaction on SQLite, the baseline convstore's batch
append is measured against).

Rows are generated lazily, so loading a million messages needs no more memory
than loading a thousand.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from convstore.sqlfiles.catalog import queries_in
from convstore.sqlfiles.parser import Query
from convstore.types import POSTGRES

SQL = Path(__file__).resolve().parent / "sql"
WORDS = (
    "the of and to in is you that it he was for on are as with his they at be this have from "
    "or one had by word but not what all were we when your can said there use an each which "
    "she do how their if will up other about out many then them these so some her would make "
    "like him into time has look two more write go see number no way could people my than "
    "first water been call who oil its now find long down day did get come made may part "
    "travel hotel train museum river coffee budget weather ticket airport beach dinner"
).split()
RARE_WORD = "quixotic"
RARE_EVERY = 500
"""About one message in this many mentions the rare word (two per 1,000-message user)."""
COMMON_WORD = "travel"
PHRASE = '"coffee budget"'

BASE_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)


@cache
def bench_query(dialect: str, name: str) -> Query:
    return queries_in(SQL / dialect, dialect)[name]


@dataclass(frozen=True)
class ConversationSpec:
    id: str
    user_id: str
    message_count: int

    def token_counts(self) -> Iterator[int]:
        generator = random.Random(f"tokens-{self.id}")
        for _ in range(self.message_count):
            yield generator.randint(1, 200)

    def message_rows(self) -> Iterator[dict]:
        """Messages with seq and the running total already computed."""
        content_generator = random.Random(f"content-{self.id}")
        tokens_before = 0
        for seq, tokens in enumerate(self.token_counts(), start=1):
            yield {
                "conversation_id": self.id,
                "seq": seq,
                "user_id": self.user_id,
                "role": "user" if seq % 2 else "assistant",
                "content": sentence(content_generator),
                "tokens": tokens,
                "tokens_before": tokens_before,
                "created_at": BASE_TIME + timedelta(milliseconds=seq),
            }
            tokens_before += tokens


def sentence(generator: random.Random) -> str:
    words = generator.choices(WORDS, k=generator.randint(8, 24))
    if generator.randrange(RARE_EVERY) == 0:
        words[generator.randrange(len(words))] = RARE_WORD
    return " ".join(words).capitalize() + "."


def conversations(user_id: str, count: int, messages_each: int) -> list[ConversationSpec]:
    return [ConversationSpec(str(uuid.uuid4()), user_id, messages_each) for _ in range(count)]


def load(store, specs: list[ConversationSpec]) -> int:
    """Bulk-load the conversations and their messages; return the message count."""
    database = store.database
    with database.transaction():
        if database.dialect == POSTGRES:
            database.copy_rows(
                bench_query(POSTGRES, "copy_conversations"), map(_conversation_row, specs)
            )
            copy_messages(database, (row for spec in specs for row in spec.message_rows()))
        else:
            with database.connection() as connection:
                _insert_sqlite(connection, specs)
    return sum(spec.message_count for spec in specs)


def _conversation_row(spec: ConversationSpec) -> tuple:
    last_at = BASE_TIME + timedelta(milliseconds=spec.message_count)
    return (
        spec.id,
        spec.user_id,
        "bench",
        BASE_TIME,
        last_at,
        spec.message_count,
        spec.message_count,
        sum(spec.token_counts()),
    )


def copy_messages(database, rows: Iterator[dict]) -> None:
    database.copy_rows(bench_query(POSTGRES, "copy_messages"), map(_message_row, rows))


def _message_row(row: dict) -> tuple:
    return (
        row["conversation_id"],
        row["seq"],
        row["user_id"],
        row["role"],
        row["content"],
        row["tokens"],
        row["tokens_before"],
        row["created_at"],
    )


def _insert_sqlite(connection, specs: list[ConversationSpec]) -> None:
    connection.executemany(
        bench_query("sqlite", "insert_conversation").statement,
        (
            {"id": s.id, "user_id": s.user_id, "title": "bench", "created_at": _text(BASE_TIME)}
            for s in specs
        ),
    )
    insert_messages(connection, (row for spec in specs for row in spec.message_rows()))


def insert_messages(connection, rows: Iterator[dict]) -> None:
    connection.executemany(
        bench_query("sqlite", "insert_message").statement,
        ({**row, "created_at": _text(row["created_at"])} for row in rows),
    )


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

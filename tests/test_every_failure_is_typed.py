"""Every failure is a typed ConvstoreError.

Every public function and method -- each method of :class:`convstore.Store`
(also on a ``for_user`` view), everything in ``convstore.__all__``, each
``convstore.queries`` callable, the public functions of ``convstore.transfer.jsonl``,
``convstore.transfer`` and ``convstore.transfer.tutorial``, and the
``convstore.agent.PersistentAgent`` constructor -- is called with every
malformed value of :data:`BAD_VALUES` in each of its parameters in turn (the
others valid). Each call must succeed or raise a
:class:`convstore.ConvstoreError` with a message, and a call that fails must
leave the user's conversations and messages as they were. Both databases.

The cases come from ``inspect.signature``, so a new method or parameter is
walked without editing this file; one whose name the file has no valid value
for fails :func:`test_every_parameter_has_a_valid_value` until it is taught one.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache, cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import openai
import pytest

import convstore
from convstore import ConvstoreError, InvalidInput, Limits, queries, validation
from convstore.agent import PersistentAgent
from convstore.content import search_query
from convstore.queries import NamedQuery
from convstore.sqlfiles.parser import Query, load_query
from convstore.store import Store
from convstore.transfer import (
    chatgpt_export,
    formats,
    importing,
    jsonl,
    llm_logs,
    openai_jsonl,
    tutorial,
)
from convstore.transfer import sqlite_to_postgres as transfer

from .fake_openai import FakeOpenAI

SQL = Path(__file__).parent / "sql"
FIXTURES = Path(__file__).parent / "fixtures"
CHATGPT_EXPORT = FIXTURES / "chatgpt" / "conversations.json"

BAD_VALUES: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "0": 0,
    "-1": -1,
    "2**31": 2**31,
    "2**64": 2**64,
    "-2**64": -(2**64),
    "1.5": 1.5,
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "bytes": b"\xff\x00abc",
    "list": ["a", 1],
    "empty list": [],
    "dict": {"a": 1},
    "object()": object(),
    "empty string": "",
    "long string": "é" * 1000,  # 2,000 bytes: over the identifier limit
    "huge string": "x" * (validation.DEFAULT_LIMITS.max_text_bytes + 1),
    "NUL": "a\x00b",
    "lone surrogate": "a\ud800b",
    "not a UUID": "not-a-uuid",
    "unknown UUID": "6f1e7c52-2b7e-4c1a-9d55-0c7f1b0e9a31",
    "timedelta(days=800000)": timedelta(days=800_000),
    "timedelta.max": timedelta.max,
    "timedelta.min": timedelta.min,
    "-1 second": timedelta(seconds=-1),
    "postgresql://[::1": "postgresql://[::1",
    "sqlite:////nonexistent-dir/app.db": "sqlite:////nonexistent-dir/app.db",
    "mysql://x": "mysql://x",
    "sqlite:///\\ud800.db": "sqlite:///\ud800.db",
    "sqlite:///(300 bytes).db": f"sqlite:///{'n' * 300}.db",  # over NAME_MAX (255)
}

# Parameters that take a callable or an object whose own behaviour is the
# caller's, so no value is "malformed" in convstore's sense.
EXEMPT_PARAMETERS = {
    "Store.tracer:trace": "a callable: what it raises is the caller's",
    "view.tracer:trace": "a callable: what it raises is the caller's",
    "connect:tracer": "a callable: what it raises is the caller's",
    "connect_async:tracer": "a callable: what it raises is the caller's",
    "Store.index_pending_search:on_progress": "a callable: what it raises is the caller's",
    "view.index_pending_search:on_progress": "a callable: what it raises is the caller's",
    "jsonl.export_conversations:out": "a writable text stream: what its write raises is the caller's",
    "openai_jsonl.export_openai_lines:out": "a writable text stream: what its write raises is the caller's",
    "jsonl.export_lines:out": "a writable text stream: what its write raises is the caller's",
    "PersistentAgent:client": "an OpenAI client (duck-typed): its errors become ModelError",
}

# Values that are not malformed for a raw query's ``**params`` (Store.run,
# convstore.queries.<name>): that layer applies no Limits, by design.
UNLIMITED_IN_RAW_QUERIES = {"huge string"}

# Callables that are not walked at all.
EXEMPT_CALLABLES = {
    "Store": "the constructor takes a Database built by convstore.connect, which is walked",
}

# Programming errors that a callable may raise instead of a ConvstoreError,
# provided its own docstring documents them (":raises TypeError:"), and only
# for a missing or unknown *query parameter name* (convstore.sqlfiles.catalog.bind):
# Store.run (also on a view) and NamedQuery.__call__ (convstore.queries.<name>)
# document it. Every other failure, of any value, must be a ConvstoreError.
PARAMETER_NAME_ERRORS = (TypeError,)

RETRIES = 4
"""Attempts of a call that raises a retryable error, 0.25 s, 0.5 s, 1 s apart: the
shared server may be restarting (other suites restart it)."""


# -- the world each case runs in -----------------------------------------------------------


@dataclass
class Seed:
    """A fresh user with one conversation of three messages, and an empty one."""

    store: Store
    user: str
    conversation_id: str
    empty_conversation_id: str

    @cached_property
    def export_lines(self) -> list[str]:
        out = io.StringIO()
        jsonl.export_conversations(self.store, self.user, out)
        return out.getvalue().splitlines()


@dataclass
class World:
    dialect: str
    url: str
    store: Store
    tmp_path: Path
    postgres_url: str
    scratch_databases: Any
    shared_urls: tuple[str, ...] = ()
    """The module's databases, whose stores outlive the test."""
    _stores: dict[str, Store] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def store_on(self, url: str) -> Store:
        if url not in self._stores:
            self._stores[url] = convstore.connect(url, migrate=True)
        return self._stores[url]

    def seed(self, store: Store | None = None) -> Seed:
        store = store or self.store
        user = f"typed-{uuid.uuid4().hex[:12]}"
        conversation_id = store.create_conversation(user, title="seed", metadata={"k": 1})
        store.add_messages(
            conversation_id,
            [
                {"role": "system", "content": "be brief", "tokens": 3, "pinned": True},
                {"role": "user", "content": "hello there", "tokens": 4},
                {"role": "assistant", "content": "hello, how can I help?", "tokens": 6},
            ],
        )
        return Seed(store, user, conversation_id, store.create_conversation(user))

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def disposable_url(self) -> str:
        """A migrated database of this dialect that a case may roll back."""

        def make() -> str:
            if self.dialect == "sqlite":
                url = f"sqlite:///{self.tmp_path / 'disposable.db'}"
            else:
                url = self.scratch_databases.create()
            convstore.migrate(url)
            return url

        return self.once("disposable", make)

    def transfer_source_url(self) -> str:
        return self.once("source", lambda: f"sqlite:///{self.tmp_path / 'source.db'}")

    def tutorial_url(self) -> str:
        def make() -> str:
            import sqlite3

            path = self.tmp_path / "tutorial.db"
            with sqlite3.connect(path) as connection:
                connection.executescript((SQL / "tutorial_sqlite.sql").read_text())
            connection.close()
            return f"sqlite:///{path}"

        return self.once("tutorial", make)

    def llm_log(self) -> str:
        """The path of an llm logs.db made from the fixtures."""

        def make() -> str:
            import sqlite3

            path = self.tmp_path / "logs.db"
            with sqlite3.connect(path) as connection:
                for part in ("logs_schema.sql", "logs_rows.sql"):
                    connection.executescript((FIXTURES / "llm" / part).read_text())
            connection.close()
            return str(path)

        return self.once("llm_log", make)

    def openai_client(self) -> Any:
        def make() -> Any:
            server = FakeOpenAI().__enter__()
            self._cleanups.append(lambda: server.__exit__(None, None, None))
            return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, timeout=5)

        return self.once("openai", make)

    def close(self) -> None:
        for cleanup in self._cleanups:
            cleanup()
        for url, store in self._stores.items():
            if url not in self.shared_urls:
                store.close()


SNAPSHOT_TABLES = ("conversations", "messages", "attachments")


@cache
def _rows_of_user(dialect: str, table: str) -> Query:
    name = f"rows_of_user_{table}"
    return load_query(Path(__file__).parent / "sql" / f"{name}.sql", dialect, name)


def _snapshot(stores: list[Store], user: str) -> dict[str, Any]:
    """Every stored column of the user's conversations, messages and
    attachments, in each store (a statement a table: the walk takes one
    after every failed call)."""
    return {
        f"{index}:{table}": store.database.run(_rows_of_user(store.dialect, table), user_id=user)
        for index, store in enumerate(stores)
        for table in SNAPSHOT_TABLES
    }


# -- what is walked --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One public callable: ``signature_of`` is inspected, ``bind`` gives the
    callable to call for a world and a seed, ``then`` uses a successful result
    (so a bad value accepted now cannot fail later with a raw error)."""

    name: str
    signature_of: Callable[..., Any]
    bind: Callable[[World, Seed], Callable[..., Any]]
    dialects: tuple[str, ...] = ("sqlite", "postgres")
    keywords: tuple[str, ...] = ()
    """The names a ``**params`` parameter takes, each walked like a parameter."""
    seed_store: Callable[[World], Store] = lambda world: world.store
    """Where the seed conversation is stored."""
    stores: Callable[[World], list[Store]] = lambda world: [world.store]
    """Whose data must not change when a call fails."""
    then: Callable[[World, Seed, Any], None] = lambda world, seed, result: None


def _blocking(function: Callable[..., Any]) -> Callable[..., Any]:
    """A coroutine function as a blocking call, on an event loop of its own."""
    return lambda *args, **kwargs: asyncio.run(function(*args, **kwargs))


def _closing_async(world: World, seed: Seed, store: Any) -> None:
    async def use_and_close() -> None:
        async with store:
            await store.search_messages(seed.user, "hello")
            await store.get_recent_context(seed.conversation_id, max_tokens=100)

    asyncio.run(use_and_close())


def _closing(world: World, seed: Seed, store: Any) -> None:
    with store:
        store.search_messages(seed.user, "hello")
        store.get_recent_context(seed.conversation_id, max_tokens=100)


def _verified(world: World, seed: Seed, report: Any) -> None:
    assert report.verified, f"a transfer that did not raise must verify: {report}"


def _chats(world: World, seed: Seed, agent: PersistentAgent) -> None:
    agent.chat(seed.conversation_id, "and then?")


def _consumed(world: World, seed: Seed, result: Any) -> None:
    """Read a reader's result to its end: its values are checked as it is read."""
    if isinstance(result, Iterator):
        list(result)


IMPORT_FUNCTIONS = (
    openai_jsonl.read_openai_lines,
    openai_jsonl.export_openai_lines,
    importing.import_source,
    formats.open_source,
    formats.read_source,
    chatgpt_export.read_chatgpt_export,
    llm_logs.read_llm_logs,
)
"""The entry points of the importers of other formats (their helpers are
reached through them)."""


def _public_functions(module: ModuleType) -> list[Callable[..., Any]]:
    return [
        member
        for name, member in vars(module).items()
        if inspect.isfunction(member)
        and member.__module__ == module.__name__
        and not name.startswith("_")
    ]


def _store_methods() -> list[str]:
    return sorted(
        name
        for name, member in vars(Store).items()
        if inspect.isfunction(member) and not name.startswith("_")
    )


def _targets() -> list[Target]:
    targets = []
    for name in _store_methods():
        method = getattr(Store, name)
        keywords = STORE_KEYWORDS.get(name, ())
        targets.append(
            Target(
                f"Store.{name}",
                method,
                lambda w, s, name=name: getattr(w.store, name),
                keywords=keywords,
            )
        )
        targets.append(
            Target(
                f"view.{name}",
                method,
                lambda w, s, name=name: getattr(w.store.for_user(s.user), name),
                keywords=keywords,
            )
        )
    for name in convstore.__all__:
        member = getattr(convstore, name)
        if isinstance(member, ModuleType) or not callable(member) or name in EXEMPT_CALLABLES:
            continue
        if inspect.isclass(member) and issubclass(member, BaseException):
            continue  # error classes take any message
        dialects = {
            "SQLiteConversationStore": ("sqlite",),
            "PostgresConversationStore": ("postgres",),
            "Limits": ("sqlite",),  # no database involved
        }.get(name, ("sqlite", "postgres"))
        then = _closing if name in ("connect",) or name.endswith("ConversationStore") else None
        if inspect.iscoroutinefunction(member):
            then = _closing_async
        targets.append(
            Target(
                name,
                member.__init__ if inspect.isclass(member) else member,
                lambda w, s, member=member: (
                    _blocking(member) if inspect.iscoroutinefunction(member) else member
                ),
                dialects=dialects,
                then=then or (lambda world, seed, result: None),
            )
        )
    for query_name in queries.names():
        targets.append(
            Target(
                f"queries.{query_name}",
                NamedQuery.__call__,
                lambda w, s, query_name=query_name: getattr(queries, query_name),
                keywords=_query_parameters(query_name),
            )
        )
    for module in (jsonl, tutorial):
        for function in _public_functions(module):
            targets.append(
                Target(
                    f"{module.__name__.split('.')[-1]}.{function.__name__}",
                    function,
                    lambda w, s, function=function: function,
                    then=_consumed,
                )
            )
    for function in IMPORT_FUNCTIONS:
        targets.append(
            Target(
                f"{function.__module__.split('.')[-1]}.{function.__name__}",
                function,
                lambda w, s, function=function: function,
                then=_consumed,
            )
        )
    for function in _public_functions(transfer):
        targets.append(
            Target(
                f"transfer.{function.__name__}",
                function,
                lambda w, s, function=function: function,
                dialects=("sqlite",),  # always from SQLite to PostgreSQL
                seed_store=lambda world: world.store_on(world.transfer_source_url()),
                stores=lambda world: [
                    world.store_on(world.transfer_source_url()),
                    world.store_on(world.postgres_url),
                ],
                then=_verified if function is transfer.transfer else Target.then,
            )
        )
    targets.append(
        Target(
            "PersistentAgent", PersistentAgent.__init__, lambda w, s: PersistentAgent, then=_chats
        )
    )
    return targets


STORE_KEYWORDS = {"run": ("conversation_id",)}
"""The ``**params`` a Store method is walked with (``run("get_conversation", ...)``)."""


def _query_parameters(query_name: str) -> tuple[str, ...]:
    return getattr(queries, query_name).query("sqlite").parameters


# A valid value of each parameter name, from the world and the seed.
VALID: dict[str, Callable[[World, Seed, str], Any]] = {
    # Store
    "user_id": lambda w, s, t: s.user,
    "conversation_id": lambda w, s, t: s.conversation_id,
    "title": lambda w, s, t: "a title",
    "metadata": lambda w, s, t: {"channel": "web"},
    "metadata_patch": lambda w, s, t: {"channel": None},
    "value": lambda w, s, t: {"role": "user", "content": "hello"},  # message_fingerprint
    "message": lambda w, s, t: {"role": "user", "content": "hello"},  # replace_message
    "seqs": lambda w, s, t: None,  # delete_messages
    "role": lambda w, s, t: "user",
    "content": lambda w, s, t: "hello",
    "tokens": lambda w, s, t: 3,
    "latency_ms": lambda w, s, t: 5,
    "tool_calls": lambda w, s, t: None,
    "tool_call_id": lambda w, s, t: None,
    "name": lambda w, s, t: None,
    "pinned": lambda w, s, t: False,
    "idempotency_key": lambda w, s, t: None,
    "function_call": lambda w, s, t: None,
    "refusal": lambda w, s, t: None,
    "weight": lambda w, s, t: None,
    "extra": lambda w, s, t: None,
    "messages": lambda w, s, t: (
        [{"role": "user", "content": "hello", "seq": 1, "created_at": "2026-01-01"}]
        if t.endswith("import_conversation")
        else [{"role": "user", "content": "hello"}]
    ),
    "conversation": lambda w, s, t: {
        "id": str(uuid.uuid4()),
        "user_id": s.user,
        "created_at": "2026-01-01",
        "updated_at": "2026-01-01",
    },
    "skip_invalid": lambda w, s, t: False,
    "seq": lambda w, s, t: 2,
    "at_seq": lambda w, s, t: 1,
    "branch_id": lambda w, s, t: None,
    "with_branches": lambda w, s, t: False,
    "limit": lambda w, s, t: 10,
    "before_seq": lambda w, s, t: None,
    "max_tokens": lambda w, s, t: 100,
    "keep_tool_groups": lambda w, s, t: True,
    "query": lambda w, s, t: "hello",
    "text": lambda w, s, t: "hello",
    "older_than": lambda w, s, t: timedelta(days=365_000),  # before anything: deletes nothing
    "batch_size": lambda w, s, t: 10,
    "query_name": lambda w, s, t: "get_conversation",
    "attachments": lambda w, s, t: "inline",
    "sha256": lambda w, s, t: ATTACHMENT_SHA256,  # get_attachment: none stored
    "trace": lambda w, s, t: lambda statement, params: None,
    # convstore.connect, migrate, rollback, pending_migrations
    "url": lambda w, s, t: w.disposable_url() if t == "rollback" else w.url,
    "lock_timeout": lambda w, s, t: 30.0,
    "migrate": lambda w, s, t: None,
    "min_size": lambda w, s, t: 1,
    "max_size": lambda w, s, t: 2,
    "timeout": lambda w, s, t: 2.0,
    "statement_timeout": lambda w, s, t: 10.0,
    "connect_timeout": lambda w, s, t: 10.0,
    "prepare": lambda w, s, t: True,
    "transaction_pooling": lambda w, s, t: False,
    "limits": lambda w, s, t: Limits(),
    # the tutorial's class names
    "db_path": lambda w, s, t: str(w.tmp_path / "tutorial-class.db"),
    "connection_string": lambda w, s, t: w.url,
    # jsonl
    "store": lambda w, s, t: w.store,
    "since": lambda w, s, t: "2000-01-01",
    "lines": lambda w, s, t: s.export_lines,
    "record": lambda w, s, t: json.loads(s.export_lines[0]),
    "where": lambda w, s, t: "line 1",
    # the importers of other formats
    "entries": lambda w, s, t: list(jsonl.read_lines(s.export_lines)),
    "imported_at": lambda w, s, t: datetime.now(timezone.utc),
    "source": lambda w, s, t: io.BytesIO(
        CHATGPT_EXPORT.read_bytes()
        if t == "chatgpt_export.read_chatgpt_export"
        else "\n".join(s.export_lines).encode()
    ),
    "format_name": lambda w, s, t: None,
    "opened": lambda w, s, t: formats.open_source(
        io.BytesIO("\n".join(s.export_lines).encode()), None, None
    ),
    "path": lambda w, s, t: w.llm_log(),
    "out": lambda w, s, t: io.StringIO(),
    # transfer and import_legacy
    "source_url": lambda w, s, t: (
        w.tutorial_url() if t == "tutorial.import_legacy" else w.transfer_source_url()
    ),
    "destination_url": lambda w, s, t: w.postgres_url if t.startswith("transfer.") else w.url,
    "verify": lambda w, s, t: True,
    "progress": lambda w, s, t: False,
    "page_size": lambda w, s, t: 100,
    # AsyncStore
    "workers": lambda w, s, t: None,
    # PersistentAgent
    "client": lambda w, s, t: w.openai_client(),
    "model": lambda w, s, t: "fake-model",
    "system_prompt": lambda w, s, t: "Be brief.",
    "max_context_tokens": lambda w, s, t: 8000,
    "reserve_tokens": lambda w, s, t: 1000,
    "max_tool_rounds": lambda w, s, t: 2,
}

_MESSAGE = validation.message(role="user", content="hello", tokens=2)
ATTACHMENT_SHA256 = "0" * 64

# The ``:name`` parameters of the .sql files, as the Store sends them.
QUERY_VALID: dict[str, Callable[[World, Seed, str], Any]] = {
    "target": lambda w, s, t: w.store,
    "id": lambda w, s, t: str(uuid.uuid4()),
    "user_id": lambda w, s, t: s.user,
    "conversation_id": lambda w, s, t: s.conversation_id,
    "title": lambda w, s, t: "a title",
    "set_title": lambda w, s, t: True,
    "after_seq": lambda w, s, t: 10**6,  # keeps every message
    "seqs": lambda w, s, t: "[999]",  # a seq the seed does not hold
    "metadata": lambda w, s, t: '{"k": 1}',
    **{
        key: lambda w, s, t, value=value: value
        for key, value in _MESSAGE.items()
        if key != "metadata"
    },
    "messages": lambda w, s, t: json.dumps([_MESSAGE]),
    "idempotency_keys": lambda w, s, t: '["k"]',
    "seq": lambda w, s, t: 2,
    "at_seq": lambda w, s, t: 1,
    # create_branch_ancestors records a branch: the empty conversation, as one of the seed's
    "branch_id": lambda w, s, t: s.empty_conversation_id,
    "parent_id": lambda w, s, t: s.conversation_id,
    "fork_seq": lambda w, s, t: 1,
    "messages_through": lambda w, s, t: 1,
    "tokens_through": lambda w, s, t: 100,
    "pinned_tokens_through": lambda w, s, t: 0,
    "before_seq": lambda w, s, t: None,
    "limit": lambda w, s, t: 10,
    "max_bytes": lambda w, s, t: 4_000_000,
    "max_tokens": lambda w, s, t: 100,
    "keep_tool_groups": lambda w, s, t: True,
    "query": lambda w, s, t: w.store.database.search_expression(search_query.parse("hello")),
    "text": lambda w, s, t: "hello",
    "since": lambda w, s, t: "2000-01-01T00:00:00.000000+00:00",
    "until": lambda w, s, t: "2100-01-01T00:00:00.000000+00:00",
    "created_at": lambda w, s, t: "2000-01-01T00:00:00.000000+00:00",
    "updated_at": lambda w, s, t: "2000-01-01T00:00:00.000000+00:00",
    "cutoff": lambda w, s, t: "0001-01-01T00:00:00.000000+00:00",  # deletes nothing
    "after_id": lambda w, s, t: jsonl.NIL_UUID,
    "after_order": lambda w, s, t: None,
    "batch_size": lambda w, s, t: 10,
    "ids": lambda w, s, t: json.dumps([jsonl.NIL_UUID]),  # purge_listed_conversations: none
    "last_seq": lambda w, s, t: 1,  # raise_last_seq: below the seed's, so no change
    "delta": lambda w, s, t: 0,
    "unpinned_tokens_delta": lambda w, s, t: 0,
    "pinned_tokens_delta": lambda w, s, t: 0,
    "message_count_delta": lambda w, s, t: 0,
    "scope_key": lambda w, s, t: "not this session's key",
    "sha256": lambda w, s, t: ATTACHMENT_SHA256,
    "sha256s": lambda w, s, t: json.dumps([ATTACHMENT_SHA256]),
    "media_type": lambda w, s, t: "image/png",
    "data": lambda w, s, t: bytes(2048),
    "links": lambda w, s, t: "[]",  # link_attachments: none
    "user_ids": lambda w, s, t: json.dumps([s.user]),
    "unreferenced": lambda w, s, t: "[]",  # delete_unreferenced_attachments: none
}


def _valid_table(target: Target) -> dict[str, Callable[[World, Seed, str], Any]]:
    return QUERY_VALID if target.name.startswith("queries.") else VALID


TARGETS = _targets()


def _parameters(target: Target) -> list[inspect.Parameter]:
    return [
        parameter
        for parameter in inspect.signature(target.signature_of).parameters.values()
        if parameter.name != "self"
    ]


def _baseline(world: World, seed: Seed, target: Target) -> tuple[dict[str, Any], dict[str, Any]]:
    """(valid arguments, valid ``**params`` keywords) for one call."""
    valid = _valid_table(target)
    arguments = {}
    for parameter in _parameters(target):
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if parameter.name in valid:
            arguments[parameter.name] = valid[parameter.name](world, seed, target.name)
        elif parameter.default is inspect.Parameter.empty:
            raise LookupError(f"no valid value for {target.name}({parameter.name}=...)")
    if target.name.startswith("view.") and "user_id" in arguments:
        arguments["user_id"] = None  # the view's own user
    if target.name == "view.for_user":
        arguments["user_id"] = seed.user
    keywords = {name: valid[name](world, seed, target.name) for name in target.keywords}
    return arguments, keywords


def _cases() -> Iterator[Any]:
    """(target, parameter, dialect): each parameter; a ``**params`` parameter
    is one case that walks each name it takes in turn."""
    for target in TARGETS:
        for parameter in _parameters(target):
            if f"{target.name}:{parameter.name}" in EXEMPT_PARAMETERS:
                continue
            if parameter.kind is inspect.Parameter.VAR_KEYWORD and not target.keywords:
                continue
            yield from _per_dialect(target, parameter.name)


def _name_cases() -> Iterator[Any]:
    """(target, "names", dialect) for each callable that takes ``**params``:
    an unknown name, and a missing one."""
    for target in TARGETS:
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in _parameters(target)):
            yield from _per_dialect(target, "names")


def _per_dialect(target: Target, parameter: str) -> Iterator[Any]:
    for dialect in target.dialects:
        yield pytest.param(target, parameter, dialect, id=f"{target.name}:{parameter}-{dialect}")


def _droppable(target: Target) -> list[str]:
    """The ``**params`` names a call can leave out to be wrong (a Store fills
    in ``user_id`` itself)."""
    return [name for name in target.keywords if name != "user_id"]


# -- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk_stores(scratch_databases, tmp_path_factory) -> Iterator[dict[str, Store]]:
    """A database of each dialect of this module's own (the walk deletes and
    purges), by URL, with a store open on it."""
    urls = [f"sqlite:///{tmp_path_factory.mktemp('walk') / 'walk.db'}", scratch_databases.create()]
    stores = {url: convstore.connect(url, migrate=True) for url in urls}
    yield stores
    for store in stores.values():
        store.close()


@pytest.fixture
def world(request, tmp_path, monkeypatch, walk_stores, scratch_databases) -> Iterator[World]:
    # url=None means CONVSTORE_URL, DATABASE_URL, then ./conversations.db: keep
    # all three inside this test's directory.
    monkeypatch.delenv("CONVSTORE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    dialect = request.node.callspec.params["dialect"]
    sqlite_url, postgres_url = walk_stores
    url = sqlite_url if dialect == "sqlite" else postgres_url
    world = World(
        dialect,
        url,
        walk_stores[url],
        tmp_path,
        postgres_url,
        scratch_databases,
        tuple(walk_stores),
    )
    world._stores.update(walk_stores)
    yield world
    world.close()


class Walk:
    """Calls one target again and again, each time with one bad value, on a
    seed conversation that is replaced whenever a call may have changed it."""

    def __init__(self, world: World, target: Target) -> None:
        self.world = world
        self.target = target
        self.stores = target.stores(world)
        self.seed: Seed | None = None
        self.before: dict[str, Any] = {}

    def call(self, parameter: str, value: Any) -> None:
        """One call with ``value`` in ``parameter``; raises what the test rejects."""
        world, target = self.world, self.target
        if self.seed is None:
            self.seed = world.seed(target.seed_store(world))
            self.before = _snapshot(self.stores, self.seed.user)
        seed = self.seed
        arguments, keywords = _baseline(world, seed, target)
        name, _, keyword = parameter.partition("[")
        if keyword:
            keywords[keyword.rstrip("]")] = value
        elif parameter == "unknown name":
            keywords["no_such_parameter"] = value
        elif parameter == "missing name":
            del keywords[_droppable(target)[0]]
        else:
            arguments[name] = value
        retryable: ConvstoreError | None = None
        try:
            result = target.bind(world, seed)(**arguments, **keywords)
        except ConvstoreError as error:
            assert str(error).strip(), f"{type(error).__name__} without a message"
            retryable = error if error.retryable else None
        except PARAMETER_NAME_ERRORS as error:
            if not parameter.endswith(" name") or not _documents(target, type(error)):
                raise
        else:
            self.seed = None  # it may have written: the next call gets a new seed
            try:
                target.then(world, seed, result)
            except ConvstoreError:
                pass  # using what was made may fail, typed (and may write: chat does)
            finally:
                if target.name == "rollback":  # put back what it rolled back
                    convstore.migrate(world.disposable_url())
            return
        after = _snapshot(self.stores, seed.user)
        if after != self.before:
            self.seed = None
            raise AssertionError("the call failed, but the stored data changed")
        if retryable is not None:
            raise retryable  # retried: the server may be restarting, else it is a failure


def _documents(target: Target, error_type: type) -> bool:
    doc = inspect.getdoc(target.signature_of) or ""
    return f":raises {error_type.__name__}:" in doc


def _walk(world: World, target: Target, parameter: str, values: dict[str, Any]) -> None:
    walk = Walk(world, target)
    takes_names = any(
        p.name == parameter and p.kind is inspect.Parameter.VAR_KEYWORD for p in _parameters(target)
    )
    slots = [f"{parameter}[{name}]" for name in target.keywords] if takes_names else [parameter]
    failures = []
    for slot in slots:
        for value_id, value in values.items():
            if takes_names and value_id in UNLIMITED_IN_RAW_QUERIES:
                continue
            for attempt in range(RETRIES):
                try:
                    walk.call(slot, value)
                except ConvstoreError as error:
                    if not error.retryable:
                        raise
                    # Other suites restart the shared server; retrying is what the
                    # error says to do. Malformed input that says "retry" every
                    # time says the wrong thing: retrying cannot cure it.
                    unavailable = error
                    walk.seed = None
                    time.sleep(0.25 * 2**attempt)
                    continue
                except Exception as error:  # noqa: BLE001 -- every failure is collected
                    kind = f"{type(error).__module__}.{type(error).__name__}"
                    failures.append(f"{slot}={value_id}: {kind}: {str(error)[:300]}")
                break
            else:
                kind = type(unavailable).__name__
                failures.append(
                    f"{slot}={value_id}: {kind}, retryable, on each of {RETRIES} attempts "
                    f"(malformed input must fail for good): {str(unavailable)[:300]}"
                )
    assert not failures, f"{target.name}:\n" + "\n".join(failures)


@pytest.mark.parametrize(("target", "parameter", "dialect"), list(_cases()))
def test_malformed_input_raises_only_convstore_errors(world, target, parameter, dialect):
    _walk(world, target, parameter, BAD_VALUES)


@pytest.mark.parametrize(("target", "parameter", "dialect"), list(_name_cases()))
def test_wrong_parameter_names_raise_convstore_errors_or_documented_type_errors(
    world, target, parameter, dialect
):
    """A missing or unknown query parameter name is a programming error: a
    ``TypeError`` is acceptable if the callable's docstring documents it."""
    mistakes = ["unknown name"] + (["missing name"] if _droppable(target) else [])
    for mistake in mistakes:
        _walk(world, target, mistake, {"1": 1})


def test_every_public_callable_is_walked():
    walked = {target.name for target in TARGETS}
    methods = _store_methods()
    assert {f"Store.{name}" for name in methods} <= walked
    assert {f"view.{name}" for name in methods} <= walked
    assert {"connect", "migrate", "rollback", "pending_migrations"} <= walked
    assert {f"queries.{name}" for name in queries.names()} <= walked
    assert {"jsonl.export_conversations", "jsonl.import_conversations"} <= walked
    assert {"transfer.transfer", "transfer.verify_transfer"} <= walked
    assert {"tutorial.import_legacy", "PersistentAgent"} <= walked
    assert {"formats.read_source", "importing.import_source"} <= walked
    assert "add_message" in methods and "for_user" in methods


def test_every_parameter_has_a_valid_value():
    """A new parameter without a default needs a valid value in VALID (or QUERY_VALID)."""
    missing = []
    for target in TARGETS:
        valid = _valid_table(target)
        for parameter in _parameters(target):
            required = parameter.default is inspect.Parameter.empty and parameter.kind not in (
                inspect.Parameter.VAR_KEYWORD,
                inspect.Parameter.VAR_POSITIONAL,
            )
            if required and parameter.name not in valid:
                missing.append(f"{target.name}({parameter.name})")
        missing += [f"{target.name}({k})" for k in target.keywords if k not in valid]
    assert not missing, "teach VALID a value for: " + ", ".join(missing)


def test_a_view_cannot_open_a_view_of_another_user(store, user):
    view = store.for_user(user)
    assert view.for_user(user).user_id == user
    with pytest.raises(InvalidInput, match="limited to user"):
        view.for_user(f"{user}-other")

"""Fixtures: a scratch PostgreSQL database per test run, SQLite files per test,
and a ``store`` fixture that runs each contract test on both."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

import convstore
from convstore.sqlfiles.parser import Query, load_query
from convstore.store import Store
from convstore.types import POSTGRES

from . import pgbouncer
from .fake_openai import FakeOpenAI, client_for

ADMIN_URL = os.environ.get("CONVSTORE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
CITUS_WORKERS = [
    node for node in os.environ.get("CONVSTORE_TEST_CITUS_WORKERS", "").split(",") if node
]
"""``host:port`` of each Citus worker when CONVSTORE_TEST_DSN names a Citus
coordinator: every scratch database is then made on each node and joined into
one cluster, and the run's shared database is distributed after migrating
(``convstore distribute``). CI has no Citus; the README's section on Citus says
how to run the suite on a cluster."""
DIALECTS = ["sqlite", "postgres"]
TEST_SQL = Path(__file__).parent / "sql"


def postgres_test_statement(name: str) -> Query:
    """A PostgreSQL statement the tests run (``tests/sql/<name>.sql``), or on
    a Citus cluster its version in ``tests/sql/citus/`` when there is one
    (there, locks are waited for on the workers)."""
    path = TEST_SQL / "citus" / f"{name}.sql"
    if not CITUS_WORKERS or not path.exists():
        path = TEST_SQL / f"{name}.sql"
    return load_query(path, POSTGRES, name)


BOUNCED_URLS: set[str] = set()


class ScratchDatabases:
    """Creates PostgreSQL databases for this run and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []
        try:
            self._admin().close()
        except psycopg.OperationalError as error:
            pytest.fail(
                f"cannot reach PostgreSQL at {admin_url} ({error}).\n"
                "The test suite needs a PostgreSQL server where it may create databases. "
                "Start the local one with\n"
                "    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
                "or point CONVSTORE_TEST_DSN at another server "
                "(postgresql://user@host:port/dbname).",
                pytrace=False,
            )

    def _admin(self, node: str | None = None) -> psycopg.Connection:
        # A connection per operation: the fault tests restart the server.
        url = self.admin_url if node is None else _on_node(self.admin_url, node)
        return psycopg.connect(url, autocommit=True, connect_timeout=5)

    def create(self) -> str:
        name = f"convstore_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        for node in [None, *CITUS_WORKERS]:
            with self._admin(node) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        url = urlsplit(self.admin_url)._replace(path=f"/{name}").geturl()
        if CITUS_WORKERS:
            _join_citus_cluster(url)
        return url

    def drop_all(self) -> None:
        for node in [None, *CITUS_WORKERS]:
            with self._admin(node) as admin:
                for name in self.created:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )


def _on_node(url: str, node: str) -> str:
    """``url`` on the server at ``node`` (``host:port``)."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}{node}").geturl()


def _join_citus_cluster(url: str) -> None:
    """The Citus extension in the new database on every node, and the workers
    added to its coordinator (each database is a cluster of its own to Citus)."""
    for node in CITUS_WORKERS:
        with psycopg.connect(_on_node(url, node), autocommit=True) as worker:
            worker.execute("CREATE EXTENSION citus")
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as coordinator:
        coordinator.execute("CREATE EXTENSION citus")
        coordinator.execute(
            "SELECT citus_set_coordinator_host(%s, %s)", (parts.hostname, parts.port or 5432)
        )
        for node in CITUS_WORKERS:
            host, port = node.rsplit(":", 1)
            coordinator.execute("SELECT citus_add_node(%s, %s)", (host, int(port)))


@pytest.fixture(scope="session")
def scratch_databases() -> Iterator[ScratchDatabases]:
    databases = ScratchDatabases(ADMIN_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def postgres_url(scratch_databases: ScratchDatabases) -> str:
    """A migrated scratch database shared by the run; tests keep apart by using
    their own users and conversations."""
    url = scratch_databases.create()
    convstore.migrate(url)
    if CITUS_WORKERS:
        convstore.distribute(url)
    return url


@pytest.fixture(scope="session")
def pgbouncer_url(postgres_url: str) -> Iterator[str]:
    """The scratch database behind PgBouncer in transaction-pooling mode."""
    if not pgbouncer.installed():
        pytest.skip("PgBouncer is not installed (apt-get install pgbouncer; .ci/run does)")
    with pgbouncer.PgBouncer() as bouncer:
        bouncer.start(postgres_url)
        url = bouncer.url(postgres_url)
        BOUNCED_URLS.add(url)
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'conversations.db'}"


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory) -> Path:
    """A SQLite file migrated once for the run (every migration takes about a
    quarter of a second, which each test's own file would pay again)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    convstore.migrate(f"sqlite:///{path}")
    return path


def migrated_url(request, kind: str) -> str:
    """A migrated database: ``sqlite`` (the test's own file, a copy of
    :func:`migrated_sqlite_file` made by SQLite's backup API), ``postgres``,
    or ``pgbouncer`` (the PostgreSQL database reached through PgBouncer)."""
    if kind == "sqlite":
        url = request.getfixturevalue("sqlite_url")
        template = request.getfixturevalue("migrated_sqlite_file")
        with closing(sqlite3.connect(template)) as source:
            with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as copy:
                source.backup(copy)
        return url
    return request.getfixturevalue(f"{kind}_url")


@pytest.fixture(params=DIALECTS)
def database_url(request) -> str:
    """A migrated database of each dialect."""
    return migrated_url(request, request.param)


@pytest.fixture
def open_store(database_url: str) -> Iterator[Callable[..., Store]]:
    """Opens stores on the test's database; closes them after the test."""
    stores: list[Store] = []

    def open_one(**options) -> Store:
        if database_url in BOUNCED_URLS:
            options.setdefault("transaction_pooling", True)
        store = convstore.connect(database_url, **options)
        stores.append(store)
        return store

    yield open_one
    for store in stores:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., Store]) -> Store:
    return open_store()


@pytest.fixture
def user() -> str:
    """A user id no other test uses."""
    return f"user-{uuid.uuid4().hex[:12]}"


def login_url(url: str, role: str) -> str:
    """``url`` with ``role`` as its user (no password: the test server trusts local logins)."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()


@pytest.fixture
def application_url(postgres_url: str) -> Iterator[str]:
    """The scratch database as a login role that is neither superuser nor the
    tables' owner, with only the privileges the README tells the application
    to grant."""
    role = f"convstore_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        admin.execute(
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON conversations, messages, "
                "conversation_ancestors, attachments, message_attachments, "
                "langgraph_checkpoints, langgraph_channel_values, langgraph_list_items, "
                "langgraph_writes TO {0}; GRANT SELECT ON conversation_segments TO {0}"
            ).format(sql.Identifier(role))
        )
    yield login_url(postgres_url, role)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible server of the test's own."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def client(fake: FakeOpenAI):
    """The real OpenAI client, talking to :func:`fake`."""
    return client_for(fake)


@pytest.fixture
def no_configured_database(monkeypatch, tmp_path) -> None:
    """The test in a directory of its own, with none of what the command line
    reads from its environment set."""
    monkeypatch.chdir(tmp_path)
    for name in ("CONVSTORE_URL", "DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

"""Opening a database never wedges, and every failure at open is a typed
:class:`convstore.ConvstoreError` that says what to do.

Read-only files: the tests run as root here, and root ignores file
permissions, so a read-only directory is a read-only bind mount of a
writable one (``mount -o remount,bind,ro``), and a read-only file is made
immutable (``chattr +i``); both stop root as they stop anyone. Without root
they fall back to ``chmod``, which then stops the (non-root) test process.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from psycopg import sql
from yoyo import get_backend, read_migrations

import convstore
from convstore import (
    ConfigurationError,
    DatabaseError,
    DatabaseUnavailable,
    ReadOnlyDatabase,
    SchemaNotMigrated,
)
from convstore.cli import main
from convstore.db.bare import run_on_connection
from convstore.db.opening import postgres_error
from convstore.db.sqlite import SQLiteDatabase
from convstore.migrate import _query
from convstore.sqlfiles.parser import load_query
from convstore.urls import DatabaseURL

ROOT = Path(__file__).resolve().parent.parent
DIALECTS = ["sqlite", "postgres"]


# -- helpers ------------------------------------------------------------------------


@contextmanager
def finishes_within(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging for yoyo's 300 s) if the block takes longer.
    SIGALRM interrupts the sleeps of a lock wait between SQLite's busy waits."""

    def wedged(signum, frame):
        raise TimeoutError(f"still waiting after {seconds}s: opening the database wedged")

    previous = signal.signal(signal.SIGALRM, wedged)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(params=DIALECTS)
def fresh_url(request, scratch_databases, tmp_path) -> str:
    """A database of each dialect with no convstore schema yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return scratch_databases.create()


@contextmanager
def bookkeeping(url: str) -> Iterator[object]:
    """A plain connection for the statements on yoyo's lock table."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(DatabaseURL(url).sqlite_path, isolation_level=None)
    else:
        connection = psycopg.connect(DatabaseURL(url).conninfo, autocommit=True)
    try:
        yield connection
    finally:
        connection.close()


def dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


def lock_rows(url: str) -> list[dict]:
    with bookkeeping(url) as connection:
        return run_on_connection(connection, _query(dialect(url), "migration_lock"))


def plant_lock(url: str, pid: int, age: timedelta) -> None:
    """A lock row as yoyo writes it, taken by ``pid`` ``age`` ago."""
    get_backend(DatabaseURL(url).yoyo).connection.close()  # creates yoyo_lock
    ctime = datetime.now(timezone.utc).replace(tzinfo=None) - age
    with bookkeeping(url) as connection:
        run_on_connection(
            connection,
            _query(dialect(url), "take_migration_lock"),
            pid=pid,
            ctime=ctime.isoformat() if dialect(url) == "sqlite" else ctime,
        )


def migration_ids(url: str) -> list[str]:
    folder = "sqlite" if url.startswith("sqlite") else "postgres"
    return sorted(
        path.stem
        for path in (ROOT / "migrations" / folder).glob("*.sql")
        if ".rollback" not in path.name
    )


def mark_unknown_migration(url: str, tmp_path: Path) -> str:
    """Record a migration this version does not ship as applied, as a newer
    convstore would have (yoyo's own `mark`)."""
    prefix = "sqlite" if url.startswith("sqlite") else "pg"
    migration_id = f"{prefix}_9999_from_the_future_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / migration_id
    folder.mkdir()
    (folder / f"{migration_id}.sql").write_text("-- a newer convstore's migration\n")
    backend = get_backend(DatabaseURL(url).yoyo)
    try:
        backend.mark_migrations(read_migrations(str(folder)))
    finally:
        backend.connection.close()
    return migration_id


# -- 1. no lock and no writes when nothing is pending; stale locks are cleared --------


def test_connect_to_a_current_sqlite_file_takes_no_lock_while_another_connection_writes(
    sqlite_url,
):
    convstore.migrate(sqlite_url)
    path = DatabaseURL(sqlite_url).sqlite_path
    holder = SQLiteDatabase(path, busy_timeout=1)
    try:
        with holder.transaction():  # BEGIN IMMEDIATE: the file's write lock, held
            with finishes_within(20):
                started = time.monotonic()
                with convstore.connect(sqlite_url, timeout=1) as store:
                    assert store.list_conversations("nobody") == []
                assert convstore.migrate(sqlite_url, lock_timeout=1) == []
                assert convstore.pending_migrations(sqlite_url) == []
            assert time.monotonic() - started < 10
    finally:
        holder.close()
    assert lock_rows(sqlite_url) == []


def test_a_current_database_is_checked_without_writing(database_url):
    """Even with yoyo's lock held by a live process, opening a current database
    neither waits nor fails: nothing is pending, so the lock is not wanted."""
    plant_lock(database_url, os.getppid(), timedelta(0))
    try:
        with finishes_within(20):
            assert convstore.migrate(database_url, lock_timeout=1) == []
            assert convstore.pending_migrations(database_url) == []
            with convstore.connect(database_url) as store:
                store.list_conversations("nobody")
    finally:
        with bookkeeping(database_url) as connection:
            for holder in lock_rows(database_url):
                run_on_connection(
                    connection, _query(dialect(database_url), "release_migration_lock"), **holder
                )


def test_a_lock_left_by_a_killed_migration_is_cleared(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    program = (
        "import os, sys\n"
        "from yoyo import get_backend\n"
        "backend = get_backend(sys.argv[1])\n"
        "with backend.lock():\n"
        "    os._exit(9)  # dies holding the lock, as a killed run does\n"
    )
    subprocess.run([sys.executable, "-c", program, DatabaseURL(url).yoyo], timeout=60)
    (holder,) = lock_rows(url)
    with finishes_within(30):
        assert convstore.migrate(url, lock_timeout=5) == migration_ids(url)
    assert lock_rows(url) == []
    assert f"process {holder['pid']}" in caplog.text and "no longer exists" in caplog.text


def test_a_lock_older_than_any_migration_is_cleared(fresh_url, caplog):
    plant_lock(fresh_url, os.getppid(), timedelta(hours=2))  # a live process, an old lock
    with finishes_within(60):
        assert convstore.migrate(fresh_url, lock_timeout=5) == migration_ids(fresh_url)
    assert lock_rows(fresh_url) == []
    assert "stale migration lock" in caplog.text


def test_a_live_recent_lock_is_waited_for_then_reported_and_kept(fresh_url):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        plant_lock(fresh_url, sleeper.pid, timedelta(seconds=5))
        with finishes_within(30), pytest.raises(DatabaseUnavailable) as raised:
            convstore.migrate(fresh_url, lock_timeout=1)
        assert f"process {sleeper.pid} has held the migration lock" in str(raised.value)
        assert raised.value.retryable
        assert [row["pid"] for row in lock_rows(fresh_url)] == [sleeper.pid]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_on_postgres_a_recent_lock_of_an_unknown_pid_is_not_broken(scratch_databases):
    """The lock may come from another host, so a pid missing here proves nothing."""
    url = scratch_databases.create()
    plant_lock(url, 2**22 + 7, timedelta(seconds=5))  # above Linux's default pid_max
    with finishes_within(30), pytest.raises(DatabaseUnavailable, match="yoyo break-lock"):
        convstore.migrate(url, lock_timeout=1)
    assert len(lock_rows(url)) == 1


def test_sqlite_lock_of_a_vanished_process_is_cleared(tmp_path):
    url = f"sqlite:///{tmp_path / 'vanished.db'}"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    plant_lock(url, gone.pid, timedelta(seconds=1))
    with finishes_within(30):
        assert convstore.migrate(url, lock_timeout=5) == migration_ids(url)


def test_write_lock_held_during_migration_gives_a_typed_error_and_no_lasting_lock(
    tmp_path, monkeypatch
):
    """Another connection takes SQLite's write lock while a migration runs and
    keeps it past the busy timeout: the failure is typed, and the next run is
    not stuck behind a lock row left by this one."""
    url = f"sqlite:///{tmp_path / 'contended.db'}"
    convstore.migrate(url)
    convstore.rollback(url)  # everything pending again; the file exists, in WAL mode
    holder = SQLiteDatabase(DatabaseURL(url).sqlite_path, busy_timeout=1)
    held = []
    from yoyo.migrations import Migration

    original = Migration.process_steps

    def run_while_another_writes(self, backend, direction, **options):
        if not held:
            transaction = holder.transaction()
            transaction.__enter__()
            held.append(transaction)
        return original(self, backend, direction, **options)

    monkeypatch.setattr(Migration, "process_steps", run_while_another_writes)
    try:
        with finishes_within(60), pytest.raises(DatabaseUnavailable, match="write lock"):
            convstore.migrate(url, lock_timeout=1)
    finally:
        for transaction in held:
            transaction.__exit__(None, None, None)
        holder.close()
    monkeypatch.undo()
    with finishes_within(60):
        assert convstore.migrate(url, lock_timeout=5) == migration_ids(url)
    assert lock_rows(url) == []


def test_threads_of_one_process_migrating_at_once_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'threads.db'}"
    results: list[object] = []

    def open_it():
        try:
            with convstore.connect(url) as store:
                results.append(store.list_conversations("nobody"))
        except Exception as error:  # reported below
            results.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    with finishes_within(120):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [[], [], [], []]
    assert lock_rows(url) == []


def test_a_file_another_tool_is_writing_opens_once_it_may_switch_to_wal(tmp_path):
    """Switching a file to WAL needs it to itself, and while another connection
    holds the write lock SQLite says "locked" at once, without waiting (waiting
    could deadlock): opening waits for it, as it waits for any lock."""
    path = tmp_path / "written-elsewhere.db"
    url = f"sqlite:///{path}"
    with convstore.connect(url) as store:
        for _ in range(3):
            store.create_conversation("writer")
    other_tool = sqlite3.connect(path, check_same_thread=False)
    other_tool.execute(_test_query("rollback_journal").statement)
    other_tool.execute(_test_query("touch_conversations").statement)  # the transaction stays open
    threading.Timer(0.5, lambda: (other_tool.commit(), other_tool.close())).start()
    with finishes_within(30), convstore.connect(url, timeout=10) as store:
        assert len(store.list_conversations("writer")) == 3


def _test_query(name: str):
    return load_query(Path(__file__).parent / "sql" / f"{name}.sql", "sqlite", name)


# -- 2. read-only files ---------------------------------------------------------------


@pytest.fixture
def read_only_view(tmp_path) -> Iterator[Callable[[Path], Path]]:
    """Makes a directory read-only; returns the path to reach it read-only."""
    mounted: list[Path] = []
    chmodded: list[Path] = []

    def make(directory: Path) -> Path:
        if os.geteuid() != 0:
            for path in [directory, *directory.iterdir()]:
                path.chmod(0o555 if path.is_dir() else 0o444)
                chmodded.append(path)
            return directory
        view = tmp_path / f"{directory.name}-read-only"
        view.mkdir()
        for command in (
            ["mount", "--bind", str(directory), str(view)],
            ["mount", "-o", "remount,bind,ro", str(view)],
        ):
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                if command[1] == "-o":
                    subprocess.run(["umount", str(view)], capture_output=True)
                pytest.skip(f"cannot bind-mount read-only here: {done.stderr.strip()}")
        mounted.append(view)
        return view

    yield make
    for view in mounted:
        subprocess.run(["umount", "--lazy", str(view)], check=True)  # even if a file is open
    for path in chmodded:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def immutable(tmp_path) -> Iterator[Callable[[Path], None]]:
    """Makes a file unwritable, for root too (``chattr +i``)."""
    changed: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            path.chmod(0o444)
        else:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            if done.returncode != 0:
                pytest.skip(f"chattr +i does not work here: {done.stderr.strip()}")
        changed.append(path)

    yield make
    for path in changed:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def _stored_conversation(directory: Path) -> str:
    with convstore.connect(f"sqlite:///{directory / 'app.db'}") as store:
        conversation_id = store.create_conversation("reader", title="kept")
        store.add_message(conversation_id, "user", "still readable", tokens=3)
    return conversation_id


def _assert_reads_work_and_writes_are_refused(url: str, conversation_id: str) -> None:
    with finishes_within(20), convstore.connect(url) as store:
        assert store.get_messages(conversation_id)[0]["content"] == "still readable"
        assert [c["id"] for c in store.list_conversations("reader")] == [conversation_id]
        assert store.get_recent_context(conversation_id, max_tokens=100)[0]["seq"] == 1
        assert store.search_messages("reader", "readable")[0]["seq"] == 1
        with pytest.raises(DatabaseError, match="read-only") as raised:
            store.add_message(conversation_id, "user", "refused")
        assert not raised.value.retryable
        with pytest.raises(DatabaseError, match="read-only"):
            store.create_conversation("reader")
        assert store.get_conversation_stats(conversation_id)["message_count"] == 1


def test_a_current_database_on_a_read_only_mount_opens_read_only(tmp_path, read_only_view):
    source = tmp_path / "data"
    source.mkdir()
    conversation_id = _stored_conversation(source)
    view = read_only_view(source)
    url = f"sqlite:///{view / 'app.db'}"
    _assert_reads_work_and_writes_are_refused(url, conversation_id)
    assert convstore.pending_migrations(url) == []
    assert convstore.migrate(url) == []


def test_an_immutable_file_opens_read_only(tmp_path, immutable):
    conversation_id = _stored_conversation(tmp_path)
    immutable(tmp_path / "app.db")
    _assert_reads_work_and_writes_are_refused(f"sqlite:///{tmp_path / 'app.db'}", conversation_id)


def test_a_read_only_database_that_needs_migrations_fails_at_once(tmp_path, read_only_view):
    source = tmp_path / "data"
    source.mkdir()
    url = f"sqlite:///{source / 'app.db'}"
    convstore.migrate(url)
    convstore.rollback(url)
    view = read_only_view(source)
    read_only_url = f"sqlite:///{view / 'app.db'}"
    with finishes_within(20):
        assert convstore.pending_migrations(read_only_url) == migration_ids(url)
        for attempt in (convstore.connect, convstore.migrate):
            with pytest.raises(SchemaNotMigrated, match="read-only .*`convstore migrate`"):
                attempt(read_only_url)


def test_rolling_back_a_read_only_database_says_so(tmp_path, read_only_view):
    source = tmp_path / "data"
    source.mkdir()
    convstore.migrate(f"sqlite:///{source / 'app.db'}")
    read_only_url = f"sqlite:///{read_only_view(source) / 'app.db'}"
    with (
        finishes_within(20),
        pytest.raises(ReadOnlyDatabase, match="read-only .*nothing was changed"),
    ):
        convstore.rollback(read_only_url)


def test_a_new_file_in_a_read_only_directory_is_a_configuration_error(tmp_path, read_only_view):
    source = tmp_path / "empty"
    source.mkdir()
    view = read_only_view(source)
    with finishes_within(20), pytest.raises(ConfigurationError, match="not writable"):
        convstore.connect(f"sqlite:///{view / 'new.db'}")


# -- 3. a database migrated by a newer convstore -------------------------------------


def test_a_database_migrated_by_a_newer_version_is_refused(fresh_url, tmp_path, capsys):
    convstore.migrate(fresh_url)
    unknown = mark_unknown_migration(fresh_url, tmp_path)
    for attempt in (
        convstore.connect,
        convstore.pending_migrations,
        convstore.migrate,
        convstore.rollback,
        lambda url: convstore.connect(url, migrate=True),
    ):
        with pytest.raises(SchemaNotMigrated, match=f"newer convstore.*{unknown}"):
            attempt(fresh_url)
    assert main(["--url", fresh_url, "status"]) == 1
    assert unknown in capsys.readouterr().err
    with convstore.connect(fresh_url, migrate=False) as store:  # no checks asked for
        store.list_conversations("nobody")


# -- 4. one URL, one database ---------------------------------------------------------


def test_a_percent_encoded_sqlite_path_names_one_file(tmp_path):
    directory = tmp_path / "my data 100%"
    directory.mkdir()
    url = "sqlite:///" + quote(str(directory / "app.db"))
    assert "%20" in url and "%25" in url
    with convstore.connect(url) as store:
        conversation_id = store.create_conversation("u")
    assert sorted(path.name for path in directory.iterdir() if path.suffix == ".db") == ["app.db"]
    assert not list(tmp_path.glob("my%20data*"))
    assert convstore.pending_migrations(url) == []
    with convstore.connect(url) as store:
        assert store.get_conversation(conversation_id)["user_id"] == "u"


def test_a_percent_encoded_postgres_database_name_names_one_database(scratch_databases):
    admin_url = scratch_databases.admin_url
    name = f"convstore test {uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = urlsplit(admin_url)._replace(path="/" + quote(name)).geturl()
        assert convstore.migrate(url) == migration_ids(url)
        assert convstore.pending_migrations(url) == []
        with convstore.connect(url) as store:
            store.create_conversation("u")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# -- 5. typed errors at open -----------------------------------------------------------


def test_a_missing_sqlite_directory_is_named(tmp_path):
    missing = tmp_path / "no-such-dir"
    for options in ({}, {"migrate": False}):
        with pytest.raises(ConfigurationError, match="no-such-dir.*does not exist"):
            convstore.connect(f"sqlite:///{missing / 'app.db'}", **options)
    with pytest.raises(ConfigurationError, match="does not exist"):
        convstore.pending_migrations(f"sqlite:///{missing / 'app.db'}")


def test_a_directory_or_a_file_that_is_not_a_database_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="is a directory"):
        convstore.connect(f"sqlite:///{tmp_path}")
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"these are not the pages of a SQLite database" * 100)
    with finishes_within(20), pytest.raises(ConfigurationError, match="not a usable SQLite"):
        convstore.migrate(f"sqlite:///{garbage}", lock_timeout=2)


@pytest.mark.parametrize(
    "url",
    ["postgresql://[::1", "postgresql://postgres@127.0.0.1:notaport/db", "sqlite://[/x.db"],
)
def test_an_unparseable_url_is_a_configuration_error(url):
    for attempt in (convstore.connect, convstore.migrate, convstore.pending_migrations):
        with pytest.raises(ConfigurationError, match="cannot parse the database URL"):
            attempt(url)


def test_an_unparseable_url_keeps_its_password_out_of_the_message():
    with pytest.raises(ConfigurationError) as raised:
        convstore.connect("postgresql://app:s3cret@[::1/db")
    assert "s3cret" not in str(raised.value)


def _with(url: str, **parts: str) -> str:
    split = urlsplit(url)
    netloc = f"{parts.get('user', split.username)}@{parts.get('host', split.hostname)}:" + str(
        parts.get("port", split.port)
    )
    return split._replace(netloc=netloc, path=parts.get("path", split.path)).geturl()


@pytest.mark.parametrize(
    "change, match",
    [
        ({"path": "/convstore_no_such_database"}, "does not exist"),
        ({"user": "convstore_no_such_role"}, "does not exist"),
        ({"host": "no-such-host.invalid"}, "no-such-host.invalid"),
    ],
)
def test_permanent_postgres_failures_are_configuration_errors(postgres_url, change, match):
    url = _with(postgres_url, **change)
    for options in ({}, {"migrate": True}, {"migrate": False}):
        with finishes_within(30), pytest.raises(ConfigurationError, match=match) as raised:
            convstore.connect(url, **options)
        assert not raised.value.retryable
    with pytest.raises(ConfigurationError, match=match):
        convstore.pending_migrations(url)


def test_a_server_that_does_not_answer_is_unavailable(postgres_url):
    with socket_that_refuses() as port:
        url = _with(postgres_url, port=str(port))
        with finishes_within(30), pytest.raises(DatabaseUnavailable) as raised:
            convstore.connect(url)
        assert raised.value.retryable


@contextmanager
def socket_that_refuses() -> Iterator[int]:
    """A local port nobody listens on (bound, never listening: connections are refused)."""
    import socket

    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        yield reserved.getsockname()[1]


@pytest.mark.parametrize(
    "message, kind",
    [
        ('FATAL:  password authentication failed for user "app"', ConfigurationError),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "app"', ConfigurationError),
        (
            "failed to resolve host 'db': [Errno -3] Temporary failure in name resolution",
            DatabaseUnavailable,
        ),
        ("FATAL:  the database system is starting up", DatabaseUnavailable),
        ("FATAL:  sorry, too many clients already", DatabaseUnavailable),
    ],
)
def test_connection_failures_are_classified_by_whether_a_retry_can_fix_them(message, kind):
    """The server here trusts every local connection, so a wrong password is
    checked on the message libpq reports for it."""
    error = psycopg.OperationalError(f"connection failed: {message}")
    translated = postgres_error(error, "postgresql://app:pw@db/app")
    assert type(translated) is kind
    assert "pw@" not in str(translated)


def test_an_application_role_is_told_to_connect_with_migrate_false(application_url):
    for attempt in (
        convstore.connect,
        convstore.pending_migrations,
        lambda url: convstore.connect(url, migrate=True),
        lambda url: convstore.migrate(url, lock_timeout=2),
    ):
        with finishes_within(30), pytest.raises(ConfigurationError, match="migrate=False"):
            attempt(application_url)
    with convstore.connect(application_url, migrate=False) as store:
        store.list_conversations("nobody")


@pytest.mark.parametrize(
    "options, match",
    [
        ({"max_size": 0}, "max_size"),
        ({"min_size": 5, "max_size": 2}, "min_size"),
        ({"timeout": 0}, "timeout"),
        ({"statement_timeout": float("inf")}, "statement_timeout"),
        ({"connect_timeout": float("nan")}, "connect_timeout"),
        ({"migrate": "yes"}, "migrate"),
    ],
)
def test_settings_the_pools_cannot_use_are_rejected_before_opening(database_url, options, match):
    with finishes_within(10), pytest.raises(ConfigurationError, match=match):
        convstore.connect(database_url, **options)


@pytest.mark.parametrize(
    "url, match",
    [
        (Path("conversations.db"), "is a string"),
        ("sqlite:conversations.db", "three slashes"),
        ("sqlite://./conversations.db", "three slashes"),
    ],
)
def test_a_url_that_is_not_one_is_a_configuration_error(url, match):
    with pytest.raises(ConfigurationError, match=match):
        convstore.connect(url)


def test_an_unknown_connection_option_is_a_configuration_error(postgres_url):
    url = postgres_url + "?no_such_option=1"
    for options in ({}, {"migrate": False}):
        with finishes_within(10), pytest.raises(ConfigurationError, match="no_such_option"):
            convstore.connect(url, **options)

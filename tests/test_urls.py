"""The database URL value: parsed and checked once, its dialect, SQLite path,
libpq and yoyo forms, and a password that never shows in its repr or in an
error; a bare path is a SQLite file; the resolution order of the argument and
the environment."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from convstore.errors import ConfigurationError
from convstore.urls import DEFAULT_URL, DatabaseURL, redact

SECRET = "hunter2"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("sqlite:///rel.db", "rel.db"),
        ("sqlite:///dir/rel.db", "dir/rel.db"),
        ("sqlite:////abs.db", "/abs.db"),
        ("sqlite:////tmp/dir/abs.db", "/tmp/dir/abs.db"),
        ("sqlite:///my%20data.db", "my data.db"),
        ("sqlite:///a%3Fb%23c%25d.db", "a?b#c%d.db"),
        ("sqlite:///caf%C3%A9.db", "café.db"),
        ("SQLite:///upper.db", "upper.db"),
        ("sqlite:///my@file.db", "my@file.db"),
    ],
)
def test_a_sqlite_url_names_its_file(text, path):
    url = DatabaseURL(text)
    assert url.dialect == "sqlite"
    assert url.sqlite_path == path
    assert url.text == text
    assert url.redacted == text
    assert repr(url) == f"DatabaseURL({text!r})"
    assert url.yoyo == text


@pytest.mark.parametrize(
    ("text", "conninfo", "yoyo"),
    [
        (
            "postgresql://u@h:5432/d",
            "postgresql://u@h:5432/d",
            "postgresql+psycopg://u@h:5432/d",
        ),
        ("postgres://u@h/d", "postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        (
            "PostgreSQL:///d?host=/tmp",
            "postgresql:///d?host=/tmp",
            "postgresql+psycopg:///d?host=/tmp",
        ),
        (
            "postgresql://u@[::1]:5432/d",
            "postgresql://u@[::1]:5432/d",
            "postgresql+psycopg://u@[::1]:5432/d",
        ),
        ("postgresql://h/my%20db", "postgresql://h/my%20db", "postgresql+psycopg://h/my%20db"),
    ],
)
def test_a_postgres_url_has_its_libpq_and_yoyo_forms(text, conninfo, yoyo):
    url = DatabaseURL(text)
    assert url.dialect == "postgres"
    assert url.conninfo == conninfo
    assert url.yoyo == yoyo
    assert url.text == text
    assert url.redacted == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"postgresql://u:{SECRET}@h/d", "postgresql://u:***@h/d"),
        (f"postgres://u:{SECRET}@h:5432/d", "postgres://u:***@h:5432/d"),
        (f"postgresql+psycopg://u:{SECRET}@h/d", "postgresql+psycopg://u:***@h/d"),
        (f"postgresql://u@h/d?password={SECRET}", "postgresql://u@h/d?password=***"),
        (
            f"postgresql:///d?host=h&password={SECRET}&sslmode=disable",
            "postgresql:///d?host=h&password=***&sslmode=disable",
        ),
        (f"postgresql://h/d?sslpassword={SECRET}", "postgresql://h/d?sslpassword=***"),
        (f"postgresql://u:{SECRET}@h/d?password={SECRET}", "postgresql://u:***@h/d?password=***"),
    ],
)
def test_a_password_shows_in_no_message_form(text, shown):
    url = DatabaseURL(text)
    assert url.redacted == shown
    assert repr(url) == f"DatabaseURL({shown!r})"
    assert redact(url) == shown
    assert SECRET not in repr(url) and SECRET not in f"{[url]}" and SECRET not in f"{url!r}"
    assert str(url) == shown and SECRET not in f"{url}"
    # the driver forms keep it: they are what connects
    assert url.text == text
    assert SECRET in url.conninfo and SECRET in url.yoyo


def test_a_password_stays_out_of_a_traceback_of_a_failed_check():
    url = DatabaseURL(f"postgresql://u:{SECRET}@h/d")
    with pytest.raises(ConfigurationError) as raised:
        url.sqlite_path  # noqa: B018 -- the property raises
    assert "is a PostgreSQL URL" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_sqlite_url_has_no_libpq_form():
    with pytest.raises(ConfigurationError, match="is a SQLite URL"):
        DatabaseURL("sqlite:///x.db").conninfo  # noqa: B018 -- the property raises


def test_the_value_is_frozen_equal_by_its_text_and_hashable():
    url = DatabaseURL("sqlite:///x.db")
    with pytest.raises(dataclasses.FrozenInstanceError):
        url.dialect = "postgres"
    assert url == DatabaseURL("sqlite:///x.db")
    assert url != DatabaseURL("sqlite:///y.db")
    assert url != "sqlite:///x.db"
    assert len({url, DatabaseURL("sqlite:///x.db")}) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("postgresql://[::1", "cannot parse the database URL 'postgresql://***'"),
        (
            f"postgresql://u:{SECRET}@h:notaport/d",
            "cannot parse the database URL 'postgresql://***'",
        ),
        ("sqlite://[/x.db", "cannot parse the database URL"),
        (f"mysql://u:{SECRET}@h/d", "unsupported database URL 'mysql://u:***@h/d'"),
        ("file:///x.db", "unsupported database URL 'file:///x.db'"),
        ("x.db", "unsupported database URL 'x.db'"),
        ("sqlite:x.db", "'sqlite:x.db' is not a SQLite URL convstore reads"),
        ("sqlite://./x.db", "three slashes"),
        (f"sqlite://u:{SECRET}@host/x.db", "'sqlite://u:***@host/x.db' is not a SQLite URL"),
        ("sqlite:///", "'sqlite:///' names no database file"),
        ("sqlite:///:memory:", "names no database file"),
        ("sqlite:///a%00b.db", "a file name cannot hold a NUL character"),
        ("sqlite:///a\udcffb.db", "the file name is not valid Unicode"),
        # read one way by Python and another by libpq, which quotes them in its errors
        (f"postgresql://u:p@{SECRET}@h/d", "a user or password holding @"),
        (f"postgresql://u:%ZZ{SECRET}@h/d", "% is %25"),
        (f"postgresql://u:{SECRET}%00@h/d", "%00 is refused"),
        (f"host=h user=u password={SECRET} dbname=d", "looks like a libpq connection string"),
    ],
)
def test_a_url_convstore_cannot_use_is_refused_as_today(text, message):
    with pytest.raises(ConfigurationError) as raised:
        DatabaseURL(text)
    assert message in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_url_that_is_not_a_string_is_refused():
    with pytest.raises(ConfigurationError, match="a database URL is a str, not bytes"):
        DatabaseURL(b"sqlite:///x.db")


# -- a URL or the path of a file -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "url", "path"),
    [
        ("conversations.db", "sqlite:///conversations.db", "conversations.db"),
        ("./x.db", "sqlite:///./x.db", "./x.db"),
        ("/tmp/x.db", "sqlite:////tmp/x.db", "/tmp/x.db"),
        ("my db?x#y%20.db", "sqlite:///my%20db%3Fx%23y%2520.db", "my db?x#y%20.db"),
        ("C:\\data\\x.db", "sqlite:///C%3A%5Cdata%5Cx.db", "C:\\data\\x.db"),
        ("sqlite:///given.db", "sqlite:///given.db", "given.db"),
    ],
)
def test_a_bare_path_is_a_sqlite_file(text, url, path):
    database = DatabaseURL.from_url_or_path(text)
    assert (database.text, database.dialect, database.sqlite_path) == (url, "sqlite", path)


def test_a_home_path_is_expanded():
    database = DatabaseURL.from_url_or_path("~/x.db")
    assert database.sqlite_path == os.path.join(os.path.expanduser("~"), "x.db")


def test_a_url_given_for_a_path_is_kept_as_written():
    database = DatabaseURL.from_url_or_path(f"postgres://u:{SECRET}@h/d")
    assert database.text == f"postgres://u:{SECRET}@h/d"
    assert database.dialect == "postgres"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f"host=h dbname=d password={SECRET}",
            "CONVSTORE_URL looks like a libpq connection string",
        ),
        ("sqlite:x.db", "is not a SQLite URL convstore reads"),
        ("mysql://h/d", "unsupported database URL"),
        ("bad\udcff.db", "CONVSTORE_URL: the file name 'bad\\udcff.db' is not valid Unicode"),
    ],
)
def test_what_is_neither_a_url_nor_a_path_is_refused(text, message):
    with pytest.raises(ConfigurationError) as raised:
        DatabaseURL.from_url_or_path(text, "CONVSTORE_URL")
    assert message in str(raised.value)
    assert SECRET not in str(raised.value)


# -- which database: the argument, CONVSTORE_URL, DATABASE_URL, the default ------------


@pytest.fixture
def environment(monkeypatch):
    for name in ("CONVSTORE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_argument_comes_first(environment):
    environment.setenv("CONVSTORE_URL", "configured.db")
    environment.setenv("DATABASE_URL", "postgresql://h/other")
    assert str(DatabaseURL.resolve("sqlite:///given.db")) == "sqlite:///given.db"
    given = DatabaseURL("postgresql://h/d")
    assert DatabaseURL.resolve(given) is given


def test_then_convstore_url_a_url_or_a_path(environment):
    environment.setenv("DATABASE_URL", "postgresql://h/other")
    environment.setenv("CONVSTORE_URL", "configured.db")
    assert str(DatabaseURL.resolve()) == "sqlite:///configured.db"
    environment.setenv("CONVSTORE_URL", "postgresql://h/configured")
    assert str(DatabaseURL.resolve(None)) == "postgresql://h/configured"
    environment.setenv("CONVSTORE_URL", "host=h dbname=d")
    with pytest.raises(ConfigurationError, match="CONVSTORE_URL looks like a libpq"):
        DatabaseURL.resolve()


def test_then_database_url_a_url_only(environment):
    environment.setenv("CONVSTORE_URL", "")
    environment.setenv("DATABASE_URL", "postgresql://h/other")
    assert str(DatabaseURL.resolve("")) == "postgresql://h/other"
    environment.setenv("DATABASE_URL", "other.db")
    with pytest.raises(ConfigurationError, match="unsupported database URL 'other.db'"):
        DatabaseURL.resolve()


def test_else_the_default(environment):
    assert str(DatabaseURL.resolve()) == DEFAULT_URL == "sqlite:///conversations.db"
    environment.setenv("DATABASE_URL", "")
    assert DatabaseURL.resolve().sqlite_path == "conversations.db"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (Path("x.db"), "a database URL is a string such as 'sqlite:///conversations.db', not "),
        (f"postgresql://u:{SECRET}@h/d".encode(), "not bytes"),
        (42, "not int"),
    ],
)
def test_an_argument_that_is_not_a_string_is_refused_without_its_content(given, message):
    with pytest.raises(ConfigurationError) as raised:
        DatabaseURL.resolve(given)
    assert message in str(raised.value)
    assert SECRET not in str(raised.value)

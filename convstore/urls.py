"""Database URLs: which one to use, which dialect it is, and its driver forms."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .sqlfile import POSTGRES, SQLITE

DEFAULT_URL = "sqlite:///conversations.db"

_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}


def resolve_url(url: str | None = None) -> str:
    """The URL to use: ``url`` if given, then ``CONVSTORE_URL``, then
    ``DATABASE_URL``, else the SQLite file ``conversations.db`` in the working directory."""
    return url or os.environ.get("CONVSTORE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_URL


def dialect_of(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        return SQLITE
    if scheme in _POSTGRES_SCHEMES:
        return POSTGRES
    raise ConfigurationError(
        f"unsupported database URL {redact(url)!r}: use sqlite:///path/to/file.db "
        "or postgresql://user@host/dbname"
    )


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db`` -> ``relative.db``; ``sqlite:////abs.db`` -> ``/abs.db``."""
    path = urlsplit(url).path[1:]
    if not path or path == ":memory:":
        raise ConfigurationError(
            f"{url!r} names no database file: convstore needs a file that several "
            "connections can share, such as sqlite:///conversations.db"
        )
    return path


def psycopg_conninfo(url: str) -> str:
    """The URL in the form libpq accepts (it does not know ``+psycopg``)."""
    return "postgresql" + url[url.index(":") :]


def yoyo_url(url: str) -> str:
    """The URL for yoyo; PostgreSQL needs ``postgresql+psycopg`` (plain
    ``postgresql`` would make yoyo load psycopg2)."""
    if dialect_of(url) == POSTGRES:
        return "postgresql+psycopg" + url[url.index(":") :]
    return url


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()

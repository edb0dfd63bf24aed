"""Database URLs: which one to use, which dialect it is, and its driver forms."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, urlsplit

from .errors import ConfigurationError
from .types import POSTGRES, SQLITE

DEFAULT_URL = "sqlite:///conversations.db"

_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
# libpq's query parameters that hold a secret (postgresql:///db?password=...)
_SECRET_PARAMETERS = {"password", "passfile", "sslpassword"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# A URL has a scheme of two or more characters and "://" (so "C:\\x.db" is a path),
# or names one of convstore's schemes ("sqlite:x.db" is a malformed URL, not a file).
_URL = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]+://|(sqlite|postgres|postgresql|postgresql\+psycopg):", re.I
)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONNINFO = re.compile(r"\s*(host|hostaddr|port|dbname|user|password|service)\s*=", re.I)


@dataclass(frozen=True, init=False, repr=False)
class DatabaseURL:
    """A database URL, parsed and checked when it is made, so that whoever
    holds one can open it: ``sqlite:///relative/path.db``,
    ``sqlite:////absolute/path.db`` or ``postgresql://user:password@host:port/dbname?option=value``
    (also written ``postgres://`` or ``postgresql+psycopg://``).

    ``str()``, ``repr()``, f-strings and log lines show :attr:`redacted`,
    never a password; :attr:`text` is the URL as written, for drivers. Two
    values are equal when their text is; a value never equals a ``str``.

    Make one from a URL (``DatabaseURL("sqlite:///app.db")``), from a URL or
    the path of a SQLite file (:meth:`from_url_or_path`), or from the argument
    and the environment (:meth:`resolve`).

    :raises ConfigurationError: if the text is not a string, cannot be parsed
        as a URL, names neither SQLite nor PostgreSQL, or is a SQLite URL that
        names no file (see :attr:`sqlite_path`).
    """

    dialect: str
    """``sqlite`` or ``postgres``."""
    redacted: str
    """The URL with every secret hidden (see :func:`redact`), for messages and logs."""
    _url: str
    _sqlite_path: str | None

    def __init__(self, url: str) -> None:
        parts = _split(url)
        dialect = _dialect(parts, url)
        path = _path_of(parts, url) if dialect == SQLITE else None
        object.__setattr__(self, "_url", url)
        object.__setattr__(self, "dialect", dialect)
        object.__setattr__(self, "redacted", redact(url))
        object.__setattr__(self, "_sqlite_path", path)

    @classmethod
    def from_url_or_path(cls, text: str, source: str = "the database") -> DatabaseURL:
        """``text`` if it is a URL (``scheme://...``, or ``sqlite:`` or
        ``postgresql:`` followed by anything), else the ``sqlite:///`` URL of
        the file at path ``text`` (``conversations.db``, ``./x.db``,
        ``/tmp/x.db``, ``~/x.db``; ``?``, ``#``, ``%`` and ``\\`` stay part of
        the name). ``source`` names where ``text`` came from, for the errors
        about what a path cannot be.

        :raises ConfigurationError: for a libpq connection string
            (``host=... dbname=...``), a path that is not valid Unicode, or a
            URL :class:`DatabaseURL` refuses.
        """
        if not isinstance(text, str):
            raise ConfigurationError(
                f"{source}: a database URL is a str, not {type(text).__name__}"
            )
        if _URL.match(text):
            return cls(text)
        _refuse_conninfo(text, source)
        try:
            return cls.of_sqlite_file(text)
        except ConfigurationError as error:
            raise ConfigurationError(f"{source}: {error}") from None

    @classmethod
    def of(cls, url: str | DatabaseURL) -> DatabaseURL:
        """``url`` as a :class:`DatabaseURL`: a value as it is, text parsed.

        :raises ConfigurationError: as :class:`DatabaseURL` does.
        """
        return url if isinstance(url, DatabaseURL) else cls(url)

    @classmethod
    def of_sqlite_file(cls, path: str) -> DatabaseURL:
        """The ``sqlite:///`` URL of the file at ``path`` (``~`` expanded;
        ``?``, ``#``, ``%`` and ``\\`` are part of the name).

        :raises ConfigurationError: for a name that is not valid Unicode, or
            one :class:`DatabaseURL` refuses (empty, ``:memory:``, a NUL).
        """
        try:
            return cls("sqlite:///" + quote(os.path.expanduser(path), safe="/"))
        except UnicodeEncodeError:
            raise ConfigurationError(f"the file name {path!r} is not valid Unicode") from None

    @classmethod
    def resolve(cls, url: str | DatabaseURL | None = None) -> DatabaseURL:
        """The database to use: ``url`` if given (a :class:`DatabaseURL` is
        returned as it is), then ``CONVSTORE_URL`` (a URL or the path of a
        SQLite file, see :meth:`from_url_or_path`), then ``DATABASE_URL``, else
        the SQLite file ``conversations.db`` in the working directory (an
        empty string or variable counts as not given).

        :raises ConfigurationError: if ``url`` is neither a string nor a
            :class:`DatabaseURL`, ``CONVSTORE_URL`` is a libpq connection
            string, or the URL chosen is one :class:`DatabaseURL` refuses.
        """
        if isinstance(url, DatabaseURL):
            return url
        if url is not None and not isinstance(url, str):
            # a path is shown; anything else may be a URL's bytes, password and all
            shown = f" {url!r}" if isinstance(url, os.PathLike) else ""
            raise ConfigurationError(
                f"a database URL is a string such as {DEFAULT_URL!r}, "
                f"not {type(url).__name__}{shown}"
            )
        if url:
            return cls(url)
        configured = os.environ.get("CONVSTORE_URL")
        if configured:
            return cls.from_url_or_path(configured, "CONVSTORE_URL")
        return cls(os.environ.get("DATABASE_URL") or DEFAULT_URL)

    @property
    def sqlite_path(self) -> str:
        """The SQLite file's path, percent-decoded: ``sqlite:///relative.db`` ->
        ``relative.db``, ``sqlite:////abs.db`` -> ``/abs.db``, ``my%20data.db``
        -> ``my data.db`` (as yoyo's SQLite backend reads it, so one URL names
        one file for migrations and for the store alike).

        :raises ConfigurationError: for a PostgreSQL URL.
        """
        if self._sqlite_path is None:
            raise ConfigurationError(
                f"{self.redacted!r} is a PostgreSQL URL, not a SQLite file; "
                "give sqlite:///path/to/file.db or the path of the file"
            )
        return self._sqlite_path

    @property
    def conninfo(self) -> str:
        """The connection string libpq and psycopg accept: the URL with the
        scheme ``postgresql`` (libpq does not know ``postgresql+psycopg``).

        :raises ConfigurationError: for a SQLite URL.
        """
        if self.dialect != POSTGRES:
            raise ConfigurationError(
                f"{self.redacted!r} is a SQLite URL, not a PostgreSQL server; "
                "give postgresql://user@host:port/dbname"
            )
        return "postgresql" + self._url[self._url.index(":") :]

    @property
    def yoyo(self) -> str:
        """The URL for yoyo-migrations: ``postgresql+psycopg://...`` on
        PostgreSQL (plain ``postgresql`` would make yoyo load psycopg2), the
        URL as written on SQLite."""
        if self.dialect == POSTGRES:
            return "postgresql+psycopg" + self._url[self._url.index(":") :]
        return self._url

    @property
    def text(self) -> str:
        """The URL as written, password included: for drivers, never for
        messages (``str()`` and ``repr()`` give :attr:`redacted`)."""
        return self._url

    def __str__(self) -> str:
        return self.redacted

    def __repr__(self) -> str:
        return f"DatabaseURL({self.redacted!r})"


def sqlite_uri(path: str, *, read_only: bool = False, immutable: bool = False) -> str:
    """The ``file:`` URI that opens ``path`` with ``sqlite3.connect(..., uri=True)``;
    the path is percent-encoded, so ``?``, ``#`` and ``%`` in it stay part of the name.
    ``immutable`` (read-only files only) tells SQLite that nobody changes the
    file, so it takes no locks and needs no ``-shm`` file."""
    uri = "file:" + quote(path, safe="/")
    if read_only:
        uri += "?mode=ro" + ("&immutable=1" if immutable else "")
    return uri


def redact(url: str | DatabaseURL) -> str:
    """The URL with every secret replaced by ``***``, for messages and logs:
    the password of ``user:password@``, and the query parameters ``password``,
    ``passfile`` and ``sslpassword`` (``postgresql:///db?password=...``).

    A URL that cannot be parsed as libpq and Python agree on (an unencoded
    ``@ : / ? #`` in a password, say ``postgresql://u:pa:ss/wd@host/db``)
    shows as ``scheme://***``: which part is the password is then unknown.
    Text that is not a URL (a path) is returned as it is; a
    :class:`DatabaseURL` gives its :attr:`~DatabaseURL.redacted`.
    """
    if isinstance(url, DatabaseURL):
        return url.redacted
    if not isinstance(url, str):
        return f"<{type(url).__name__}>"
    scheme = _SCHEME.match(url)
    if scheme is None:  # not a URL (a path): nothing in it is a password
        return url
    hidden = f"{scheme.group(1)}://***"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a password holding ':' or '/' makes the "port" fail
        password = parts.password
    except ValueError:
        return hidden
    start = len(scheme.group(0))
    slashes = url.startswith("//", start)
    after_netloc = url[start + 2 + len(parts.netloc) :] if slashes else url[start:]
    if "@" in after_netloc and (parts.netloc or not slashes):
        # u:pa/ss@host: a password holding '/', '?' or '#' that was not encoded
        return hidden
    netloc = parts.netloc
    if password is not None:
        user_info, _, host = netloc.rpartition("@")
        netloc = f"{user_info.partition(':')[0]}:***@{host}"
    before_fragment, hash_mark, fragment = after_netloc.partition("#")
    path, question_mark, query = before_fragment.partition("?")
    shown = url[:start] + ("//" + netloc if slashes else "") + path
    shown += question_mark + _redacted_query(query)
    # a fragment means nothing in a database URL: it may be the end of a secret
    return shown + (hash_mark + "***" if fragment else hash_mark)


def _redacted_query(query: str) -> str:
    """``query`` with the value of each secret parameter replaced by ``***``."""
    if not query:
        return query
    pairs = []
    for pair in query.split("&"):
        key, equals, _ = pair.partition("=")
        if equals and unquote(key).strip().lower() in _SECRET_PARAMETERS:
            pair = f"{key}=***"
        pairs.append(pair)
    return "&".join(pairs)


# -- parsing ------------------------


def _split(url: str) -> SplitResult:
    """``urlsplit``, with a URL it cannot parse (``postgresql://[::1``) reported
    as :class:`ConfigurationError`.

    :raises ConfigurationError: if ``url`` is not a string, or not a URL.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"a database URL is a str, not {type(url).__name__}")
    _refuse_conninfo(url, "the database URL")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- parsed lazily; a bad port raises here, not later
    except ValueError:
        # not the ValueError's text: it quotes the "port", which may be a password
        raise _unparsable(url) from None
    user_info = parts.netloc.rpartition("@")[0]
    if "@" in user_info or "%00" in user_info or _BAD_ESCAPE.search(user_info):
        # libpq would read it otherwise than Python, and quote it in its errors
        raise _unparsable(url)
    return parts


def _unparsable(url: str) -> ConfigurationError:
    return ConfigurationError(
        f"cannot parse the database URL {redact(url)!r} (a user or password holding "
        "@ : / ? # or % must be percent-encoded: @ is %40, % is %25; %00 is refused); use "
        "sqlite:///path/to/file.db or postgresql://user@host:port/dbname"
    )


def _refuse_conninfo(text: str, source: str) -> None:
    """:raises ConfigurationError: for a libpq connection string, not echoed
    (it may hold ``password=...``)."""
    if _CONNINFO.match(text):
        raise ConfigurationError(
            f"{source} looks like a libpq connection string (key=value ...); write it as "
            "a URL, postgresql://user@host:port/dbname (or ./name for a SQLite file of that name)"
        )


def _dialect(parts: SplitResult, url: str) -> str:
    """``sqlite`` or ``postgres``, from the scheme of ``url`` split as ``parts``.

    :raises ConfigurationError: for a URL that is neither.
    """
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        return SQLITE
    if scheme in _POSTGRES_SCHEMES:
        return POSTGRES
    raise ConfigurationError(
        f"unsupported database URL {redact(url)!r}: use sqlite:///path/to/file.db "
        "or postgresql://user@host/dbname"
    )


def _path_of(parts: SplitResult, url: str) -> str:
    """The percent-decoded file path of the SQLite URL ``url``, split as ``parts``.

    :raises ConfigurationError: if it names no file (``:memory:``, nothing, a
        NUL, a name that is not Unicode), or is not written ``sqlite:///`` + path.
    """
    if parts.netloc or not parts.path.startswith("/"):
        raise ConfigurationError(
            f"{redact(url)!r} is not a SQLite URL convstore reads: write sqlite:///relative/path.db "
            "or sqlite:////absolute/path.db (three slashes, then the path)"
        )
    path = unquote(parts.path[1:])
    if not path or path == ":memory:":
        raise ConfigurationError(
            f"{redact(url)!r} names no database file: convstore needs a file that several "
            "connections can share, such as sqlite:///conversations.db"
        )
    if "\x00" in path:
        raise ConfigurationError(f"{redact(url)!r}: a file name cannot hold a NUL character (%00)")
    try:
        path.encode()
    except UnicodeEncodeError:
        raise ConfigurationError(f"{redact(url)!r}: the file name is not valid Unicode") from None
    return path

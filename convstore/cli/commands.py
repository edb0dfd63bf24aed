"""The ``convstore`` command line."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib import metadata
from typing import IO, Any, NamedTuple, NoReturn

from .. import validation
from ..connect import connect
from ..db import sql_functions
from ..db.opening import SQLiteFile, sqlite_file
from ..distribute import distribute
from ..errors import (
    ConfigurationError,
    ConvstoreError,
    DatabaseUnavailable,
    InvalidInput,
    OutcomeUnknown,
    ReadOnlyDatabase,
)
from ..migrate import holds_migrations, migrate, pending_migrations, rollback
from ..sqlfiles.catalog import catalogue, citus_catalogue, queries_of, report_names
from ..store.store import Store
from ..transfer.formats import FORMATS, OpenedSource, open_source, read_source
from ..transfer.importing import Skipped, import_source, index_for_search
from ..transfer.jsonl import export_lines
from ..transfer.openai_jsonl import export_openai_lines
from ..transfer.sqlite_to_postgres import transfer, verify_transfer
from ..transfer.tutorial import import_legacy
from ..types import DIALECTS, POSTGRES, SQLITE
from ..urls import DEFAULT_URL, DatabaseURL, redact
from .demo import run_demo
from .output import print_rows, printable
from .progress import ImportProgress, export_progress


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status: 0 done, 1 failed, 2 the
    command line itself is wrong (as argparse's own errors). Every failure is
    one line on stderr, never a traceback."""
    parser = _parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error argparse has printed
        return done.code if isinstance(done.code, int) else 2
    except KeyboardInterrupt:  # while argparse opens a file named (a FIFO waits for a writer)
        print(file=sys.stderr)
        return 130
    if sys.stderr is None:  # started with stderr closed: errors go nowhere, not to stdout
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 -- for the rest of the process
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    # Ctrl-C during a PostgreSQL statement leaves its connection busy, and
    # psycopg then warns of the ROLLBACK it could not send ("error ignored in
    # rollback") before the command says where it stopped; what fails is told
    # by the command itself, as a typed error.
    logging.getLogger("psycopg").setLevel(logging.ERROR)
    if sys.stdout is None:  # started with stdout closed (`convstore export >&-`)
        print(
            f"{arguments.prog}: error: standard output is closed; "
            "redirect it to a file (or to /dev/null)",
            file=sys.stderr,
        )
        return 2
    try:
        _place_url(arguments)
        with sql_functions.interrupts_noted():
            status = arguments.command(arguments)
        sys.stdout.flush()  # a full disk fails here, while it can still be reported
        return status
    except UsageError as error:
        print(f"{arguments.prog}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except ConvstoreError as error:
        print(f"convstore: {type(error).__name__}: {_one_line(error)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`convstore export | head`): stop quietly
        _discard_output()
        return 1
    except OSError as error:
        if error.filename is None:  # not a named file: the output (/dev/full, a lost mount)
            _discard_output()
            reason = _one_line(error.strerror or error)
            print(f"convstore: cannot write standard output: {reason}", file=sys.stderr)
            return 1
        print(f"convstore: {_one_line(error)}", file=sys.stderr)  # a file named on the command line
        return 1
    except _Declined as declined:
        print(f"convstore: {declined}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except Exception as error:  # a bug: still one line, saying so
        print(
            f"convstore: unexpected {type(error).__name__}: {_one_line(error)} "
            "(a bug in convstore: please report it with the command line that caused it)",
            file=sys.stderr,
        )
        return 1


def _discard_output() -> None:
    """Point stdout at /dev/null, so the exit's flush of what is left fails no more."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (captured in tests)
        pass


class _InputFile(argparse.FileType):
    """argparse's FileType, refusing ``-`` when standard input is closed
    (``<&-``: ``sys.stdin`` is then None)."""

    def __call__(self, text: str) -> IO[Any]:
        if text == "-" and sys.stdin is None:
            raise argparse.ArgumentTypeError(
                "standard input is closed: give the file's name, or pipe it in"
            )
        return super().__call__(text)


class UsageError(Exception):
    """An argument the command cannot use; reported like argparse's own errors (status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with each usage error on one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _one_line(message: object) -> str:
    return re.sub(r"\s*\n\s*", " ", str(message).strip())


def _checked(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse ``type`` from a check that raises InvalidInput."""

    def convert(text: str) -> Any:
        try:
            return check(text)
        except ConvstoreError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = check.__name__.strip("_")  # argparse names it in some messages
    return convert


def _whole_number(text: str, field: str) -> int:
    """``text`` as a whole number written in ASCII digits (``int()`` also
    takes ``'٣'`` and ``'1_000'``; ``str.isdigit`` takes ``'²'``, which ``int()`` does not)."""
    if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", text):
        raise InvalidInput(f"{field} must be a whole number (digits 0-9), got {text!r}")
    return int(text)


def _page_size(text: str) -> int:
    return validation.count("the page size", _whole_number(text, "the page size"), minimum=1)


def _timestamp_text(text: str) -> str:
    """The text itself, once it reads as a timestamp: the library reads it again."""
    validation.timestamp("the value", text)
    return text


def _key_value(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise InvalidInput(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _user(text: str) -> str:
    return validation.user_id(text)


def _conversation(text: str) -> str:
    return validation.conversation_id(text)


class _Database(NamedTuple):
    """A database named on the command line."""

    url: DatabaseURL
    shown: str
    """How messages name it: the path, when a path was given (not its
    percent-encoded URL); else the URL with any password hidden."""


def _database(text: str) -> _Database:
    """A URL, or the path of a SQLite file (never empty: that would silently
    mean the default)."""
    return _database_named(text, "the URL")


def _database_named(text: str, source: str) -> _Database:
    """``text`` (a URL or a path) as a database of a dialect convstore knows,
    written so that it names a file or a server.

    :raises InvalidInput: if it is empty.
    :raises ConfigurationError: if it is a URL convstore cannot use.
    """
    if not text:
        raise InvalidInput("expected a database URL or the path of a SQLite file, got ''")
    url = DatabaseURL.from_url_or_path(text, source)
    if url.dialect == SQLITE and url.text != text:  # given as a path
        return _Database(url, url.sqlite_path)
    return _Database(url, url.redacted)


def _version() -> str:
    try:
        return metadata.version("convstore")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


URL_HELP = (
    "database URL, or the path of a SQLite file (default: $CONVSTORE_URL, else "
    f"{DEFAULT_URL}; $DATABASE_URL, which other programs set, is not read)"
)
URL_METAVAR = "URL|PATH"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="convstore",
        description="Durable conversation storage for LLM agents, on SQLite and PostgreSQL.",
        epilog="Exit status: 0 done, 1 failed, 2 the command line is wrong.",
    )
    parser.add_argument("--version", action="version", version=f"convstore {_version()}")
    parser.add_argument("--url", type=_checked(_database), metavar=URL_METAVAR, help=URL_HELP)
    # --url after the command too; SUPPRESS keeps an absent one from hiding the first
    url_after = _Parser(add_help=False)
    url_after.add_argument(
        "--url",
        dest="command_url",
        default=argparse.SUPPRESS,
        type=_checked(_database),
        metavar=URL_METAVAR,
        help=URL_HELP,
    )
    # commands that name their databases otherwise refuse it with a hint (not in --help)
    url_refused = _Parser(add_help=False)
    url_refused.add_argument(
        "--url", dest="command_url", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def add(name: str, summary: str, **options: Any) -> argparse.ArgumentParser:
        """A subcommand with its one-line summary (in ``convstore --help``) and
        its description (in ``convstore NAME --help``)."""
        description = options.pop("description", f"{summary[0].upper()}{summary[1:]}.")
        return commands.add_parser(name, help=summary, description=description, **options)

    command = add(
        "migrate",
        "apply pending schema migrations",
        parents=[url_after],
        description="Apply the pending schema migrations to the database.",
    )
    command.set_defaults(command=_migrate, prog=command.prog, databases_as=None)

    command = add(
        "rollback",
        "roll back every migration (drops the tables and their data)",
        parents=[url_after],
        description="Roll back every migration: drop convstore's tables and every "
        "conversation and message in them. Shows the database and asks first; "
        "without a terminal to ask on, --yes is required.",
    )
    command.add_argument(
        "-y", "--yes", action="store_true", help="do not ask: the data may be dropped"
    )
    command.set_defaults(command=_rollback, prog=command.prog, databases_as=None)

    command = add(
        "distribute",
        "distribute the tables on a Citus coordinator, by conversation",
        parents=[url_after],
        description="On a Citus coordinator, after migrate: distribute convstore's tables "
        "by conversation, co-located, so each conversation's calls run on one shard "
        "(see the README's section on Citus). Rows already stored are moved into the "
        "shards. Safe to run again: tables already distributed are left as they are.",
    )
    command.set_defaults(command=_distribute, prog=command.prog, databases_as=None)

    command = add("status", "list pending migrations", parents=[url_after])
    command.set_defaults(command=_status, prog=command.prog, databases_as=None)

    command = add(
        "queries",
        "list the named queries with their SQL",
        parents=[url_after],
        description="List the named queries: file, parameters, description and SQL.",
    )
    command.add_argument("name", nargs="?", help="show only this query")
    command.add_argument(
        "--dialect", choices=DIALECTS, help="default: the dialect of the database URL"
    )
    command.add_argument(
        "--citus",
        action="store_true",
        help="what a Citus coordinator runs: PostgreSQL's, with Citus's versions in place",
    )
    command.set_defaults(command=_queries, prog=command.prog, databases_as=None)

    command = add(
        "report",
        "run a report (without NAME: list them)",
        parents=[url_after],
        description="Run one of the reports in sql/<dialect>/reports/, or list them.",
    )
    command.add_argument("name", nargs="?", help="the report, e.g. model_usage")
    command.add_argument(
        "--param",
        action="append",
        default=[],
        type=_checked(_key_value),
        metavar="KEY=VALUE",
        help="a report parameter (since, until and *_at: ISO 8601 timestamps)",
    )
    command.add_argument("--format", choices=("table", "csv", "json"), default="table")
    command.set_defaults(command=_report, prog=command.prog, databases_as=None)

    command = add(
        "chat",
        "chat with a model; every turn is stored",
        parents=[url_after],
        description="Chat with a model through the OpenAI API (OPENAI_API_KEY, "
        "OPENAI_BASE_URL); every turn is stored. Needs the agent extra.",
    )
    command.add_argument(
        "--user",
        default="cli-user",
        type=_checked(_user),
        help="whose conversation (default cli-user)",
    )
    command.add_argument(
        "--conversation",
        type=_checked(_conversation),
        help="continue this conversation of the user (default: a new one)",
    )
    command.add_argument("--model", default="gpt-4o-mini", help="default gpt-4o-mini")
    command.add_argument("--system", default="You are a helpful assistant.", help="system prompt")
    command.set_defaults(command=_chat, prog=command.prog, databases_as=None)

    command = add(
        "transfer",
        "copy a SQLite database into PostgreSQL, then verify both agree",
        parents=[url_refused],
        description="Copy a SQLite database into PostgreSQL (migrated first), then "
        "compare both sides conversation by conversation. Running it again copies "
        "nothing twice.",
    )
    command.add_argument(
        "--from",
        dest="source",
        required=True,
        type=_checked(_database),
        metavar=URL_METAVAR,
        help="the SQLite database: sqlite:///path.db or a path",
    )
    command.add_argument(
        "--to",
        dest="destination",
        required=True,
        type=_checked(_database),
        metavar="URL",
        help="postgresql://...",
    )
    command.add_argument("--verify-only", action="store_true", help="only compare both sides")
    command.add_argument(
        "--page-size", type=_checked(_page_size), default=500, help="conversations per transaction"
    )
    command.set_defaults(command=_transfer, prog=command.prog, databases_as="--from URL --to URL")

    command = add(
        "export",
        "write a user's conversations as JSONL",
        parents=[url_after],
        description="Write a user's conversations to standard output as JSONL, one "
        "conversation a line, in the OpenAI chat format plus convstore's fields.",
    )
    command.add_argument("--user", required=True, type=_checked(_user))
    command.add_argument(
        "--since",
        type=_checked(_timestamp_text),
        help="only conversations active since (ISO 8601 date or time; UTC unless it says)",
    )
    command.add_argument(
        "--format",
        choices=("convstore", "openai"),
        default="convstore",
        help="convstore: every field, to import again (the default); openai: OpenAI's "
        "chat fine-tuning lines (messages, tools, weights; no ids, times or counts)",
    )
    command.set_defaults(command=_export, prog=command.prog, databases_as=None)

    command = add(
        "import",
        "read conversations from JSONL, a ChatGPT export or an llm logs.db",
        parents=[url_after],
        description="Read a file's conversations into the database, each in its "
        "own transaction: convstore's JSONL export, OpenAI's chat fine-tuning JSONL, "
        "a ChatGPT data export (conversations.json or its .zip) or the logs.db of "
        "simonw/llm, compressed with gzip or not. Importing a file again stores nothing twice.",
    )
    command.add_argument("file", type=_InputFile("rb"), help="the file; - for standard input")
    command.add_argument(
        "--format",
        choices=FORMATS,
        help="the file's format (default: detected from its first bytes and its name)",
    )
    command.add_argument(
        "--user",
        type=_checked(_user),
        help="who owns the conversations (needed by every format but convstore's, "
        "whose lines name their owners and keep them)",
    )
    command.add_argument(
        "--skip-invalid",
        action="store_true",
        help="leave out a line or conversation that cannot be imported, name it "
        "on standard error, and go on",
    )
    command.set_defaults(command=_import, prog=command.prog, databases_as=None)

    command = add(
        "import-legacy",
        "import a database made by the original tutorial's stores",
        parents=[url_refused],
        description="Import a database made by the original tutorial's "
        "SQLiteConversationStore or PostgresConversationStore; the source is only read.",
    )
    command.add_argument(
        "source",
        type=_checked(_database),
        metavar="SOURCE",
        help="the tutorial's database: a path, sqlite:///tutorial.db or postgresql://...",
    )
    command.add_argument(
        "--to",
        dest="destination",
        required=True,
        type=_checked(_database),
        metavar=URL_METAVAR,
        help="the convstore database",
    )
    command.set_defaults(command=_import_legacy, prog=command.prog, databases_as="SOURCE --to URL")

    command = add(
        "demo",
        "store a short conversation and show it",
        parents=[url_after],
        description="Store a short conversation and show its token-budget context and statistics.",
    )
    command.set_defaults(command=_demo, prog=command.prog, databases_as=None)

    from . import browse  # here, not above: browse uses this module's helpers

    browse.add_commands(add, url_after)
    return parser


def _place_url(arguments: argparse.Namespace) -> None:
    """Settle ``arguments.url`` and ``arguments.shown``: ``--url`` before or
    after the command (not two different ones), else ``$CONVSTORE_URL``, else
    the default; refused for a command that takes its databases otherwise."""
    after = getattr(arguments, "command_url", None)
    if after is not None and arguments.url is not None and after != arguments.url:
        raise UsageError("--url is given twice, with different URLs; give it once")
    given = after if after is not None else arguments.url
    if arguments.databases_as:
        if given is not None:
            raise UsageError(
                f"--url does not apply here: name the databases as {arguments.databases_as}"
            )
        return
    if given is None:
        given = _configured_database()
    arguments.url, arguments.shown = given


def _configured_database() -> _Database:
    """``$CONVSTORE_URL`` when set (empty is unset), else the default."""
    configured = os.environ.get("CONVSTORE_URL")
    if not configured:
        return _Database(DatabaseURL(DEFAULT_URL), DEFAULT_URL)
    try:
        return _database_named(configured, "CONVSTORE_URL")
    except ConvstoreError as error:
        message = _one_line(error)
        named = message if "CONVSTORE_URL" in message else f"CONVSTORE_URL: {message}"
        raise UsageError(named) from None


CREATES_ONE = "convstore migrate or convstore import creates one"


def _opened(
    url: DatabaseURL,
    shown: str,
    *,
    must_exist: bool,
    named_as: str = "",
    creates: str = CREATES_ONE,
    foreign: bool = False,
) -> SQLiteFile | None:
    """The SQLite file a command is about to open (``None`` for PostgreSQL),
    once it is known to be one the command can open: its directory exists,
    and, with ``must_exist`` (a command that only reads it, or a source),
    the file itself, which is never created for it, and, unless it is
    ``foreign`` (another application's, to import), a convstore database:
    reading it must not migrate another application's file into one.

    :raises UsageError: if not; ``named_as`` (``--from``) prefixes the
        message, and ``creates`` says what makes a missing file, if anything.
    """
    if url.dialect != SQLITE:
        return None
    prefix = f"{named_as}: " if named_as else ""
    try:
        found = sqlite_file(url.sqlite_path)
    except ConfigurationError as error:
        raise UsageError(f"{prefix}{_one_line(error)}") from None
    if must_exist and not found.exists:
        made_by = f" ({creates})" if creates else ""
        raise UsageError(f"{prefix}there is no SQLite database at {shown}: check the path{made_by}")
    if must_exist and not foreign and not holds_migrations(url):
        raise UsageError(
            f"{prefix}{shown} is not a convstore database (no convstore migration was "
            f"applied to it): check the path, or make it one with convstore --url {shown} migrate"
        )
    return found


def _migrate(arguments: argparse.Namespace) -> int:
    _opened(arguments.url, arguments.shown, must_exist=False)
    applied = migrate(arguments.url)
    print(f"{arguments.shown}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
    return 0


def _distribute(arguments: argparse.Namespace) -> int:
    distributed = distribute(arguments.url)
    done = f"distributed {', '.join(distributed)}" if distributed else "already distributed"
    print(f"{arguments.shown}: {done}")
    return 0


def _rollback(arguments: argparse.Namespace) -> int:
    url, shown = arguments.url, arguments.shown
    # a file that cannot be opened or written fails before anyone is asked
    found = _opened(url, shown, must_exist=False)
    if found is not None and found.exists and found.read_only:
        raise ReadOnlyDatabase(
            f"{shown} is read-only ({found.read_only_reason}): rolling back must write "
            "it; nothing was changed; run it where the file and its directory are writable"
        )
    _confirm(
        arguments,
        f"rolling back every migration of {shown} drops convstore's tables and every "
        "conversation and message in them",
    )
    rolled_back = rollback(url)
    done = f"rolled back {', '.join(rolled_back)}" if rolled_back else "nothing to roll back"
    print(f"{shown}: {done}")
    return 0


def _confirm(arguments: argparse.Namespace, consequence: str) -> None:
    """Return if ``--yes`` was given or the person at the terminal types yes;
    raise UsageError otherwise (no terminal to ask on: status 2), or
    :class:`_Declined` when they answer anything else."""
    if arguments.yes:
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UsageError(f"{consequence}; pass --yes to confirm (there is no terminal to ask on)")
    print(f"convstore: {consequence}.", file=sys.stderr)
    print("Type yes to go on: ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    if answer.strip().lower() != "yes":
        if not answer.endswith("\n"):
            print(file=sys.stderr)
        raise _Declined("not confirmed: nothing was changed")


class _Declined(Exception):
    """The person asked to confirm did not (status 1)."""


def _status(arguments: argparse.Namespace) -> int:
    found = _opened(arguments.url, arguments.shown, must_exist=False)
    pending = pending_migrations(arguments.url)  # reads only: a missing file stays missing
    state = f"pending {', '.join(pending)}" if pending else "up to date"
    if found is not None and not found.exists:
        state = f"no database there yet (convstore migrate creates it); {state}"
    print(f"{arguments.shown}: {state}")
    return 0


def _queries(arguments: argparse.Namespace) -> int:
    dialect = arguments.dialect or arguments.url.dialect
    if arguments.citus and dialect != POSTGRES:
        raise UsageError("--citus lists PostgreSQL's queries: Citus is PostgreSQL's extension")
    queries = citus_catalogue() if arguments.citus else catalogue(dialect)
    if arguments.name and arguments.name not in queries:
        raise UsageError(f"no query named {arguments.name!r}; `convstore queries` lists them")
    for name, query in queries.items():
        if arguments.name in (None, name):
            print(f"-- {name}  ({query.path})")
            print(f"-- parameters: {', '.join(query.parameters) or 'none'}")
            print("\n".join(f"-- {line}".rstrip() for line in query.description.splitlines()))
            print(f"{query.sql}\n")
    return 0


def _report(arguments: argparse.Namespace) -> int:
    url = arguments.url
    queries = queries_of(url.dialect)
    if arguments.name is None:
        for name in report_names(url.dialect):
            print(f"{name:<28} {_summary(queries[name].description)}")
        return 0
    if arguments.name not in report_names(url.dialect):
        raise UsageError(f"no report named {arguments.name!r}; `convstore report` lists them")
    params = _report_params(arguments.name, queries[arguments.name].parameters, arguments.param)
    _opened(url, arguments.shown, must_exist=True)
    with connect(url) as store:
        rows = store.run(arguments.name, **params)
    print_rows(rows, arguments.format, sys.stdout)
    return 0


def _report_params(
    report: str, names: Sequence[str], pairs: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The --param values of a report, checked against its file: every name it
    takes once, no other; each value read by :func:`_report_value` (never by
    the database's parser, which takes 'yesterday')."""
    params: dict[str, Any] = {}
    for name, text in pairs:
        if name not in names:
            raise UsageError(
                f"{report} takes --param {', '.join(names) or 'nothing'}, not {name!r}"
            )
        if name in params:
            raise UsageError(f"--param {name} is given twice")
        params[name] = _report_value(name, text)
    missing = [name for name in names if name not in params]
    if missing:
        raise UsageError(f"{report} needs --param for: {', '.join(missing)}")
    return params


def _report_value(name: str, text: str) -> Any:
    """``text`` as :func:`convstore.validation.report_parameter` reads it (a
    ``limit`` first as a whole number)."""
    try:
        if name == "limit":
            number = _whole_number(text, "--param limit")
            if number < 1:
                raise InvalidInput(f"--param limit is how many rows: 1 or more, got {text!r}")
            return validation.report_parameter(name, number, f"--param {name}")
        return validation.report_parameter(name, text, f"--param {name}")
    except InvalidInput as error:
        raise UsageError(str(error)) from None


def _summary(description: str) -> str:
    """The first sentence of a report's header (the text before its parameters)."""
    prose = " ".join(description.split("\n:")[0].splitlines())
    return prose.removeprefix("Report: ").split(". ")[0].split(": ")[0]


def _chat(arguments: argparse.Namespace) -> int:
    try:
        import openai  # noqa: F401 -- the agent extra
    except ImportError:
        needs = "chat needs the agent extra: pip install 'convstore[agent]'"
        print(f"convstore: {needs}", file=sys.stderr)
        return 1
    from ..agent import PersistentAgent, openai_client
    from .chat import run_chat

    client = openai_client()  # a missing key fails before the database is created or migrated
    server = client.base_url
    if server.scheme not in ("http", "https") or not server.host:
        shown = os.environ.get("OPENAI_BASE_URL") or str(server)
        raise ConfigurationError(
            f"OPENAI_BASE_URL {redact(shown)!r} is not a server's URL: set it to one "
            "such as http://localhost:11434/v1, or unset it for OpenAI"
        )
    _opened(arguments.url, arguments.shown, must_exist=False)
    with connect(arguments.url) as store:
        # The user's view: the chat cannot reach another user's conversation.
        view = store.for_user(arguments.user)
        if arguments.conversation and view.get_conversation_stats(arguments.conversation) is None:
            missing = f"{arguments.user!r} has no conversation {arguments.conversation}"
            print(f"convstore: {missing}; leave out --conversation to start one", file=sys.stderr)
            return 1
        agent = PersistentAgent(
            view, client=client, model=arguments.model, system_prompt=arguments.system
        )
        run_chat(view, agent, arguments.user, arguments.conversation, sys.stdout)
    return 0


def _transfer(arguments: argparse.Namespace) -> int:
    source, destination = arguments.source, arguments.destination
    for option, (url, shown), dialect in (
        ("--from", source, SQLITE),
        ("--to", destination, POSTGRES),
    ):
        if url.dialect != dialect:
            example = "a SQLite file" if dialect == SQLITE else "postgresql://user@host/dbname"
            raise UsageError(
                f"{option} {shown} is not {dialect}: transfer copies a SQLite "
                f"database into PostgreSQL; give {option} {example}"
            )
    _opened(source.url, source.shown, must_exist=True, named_as="--from", creates="")
    progress = sys.stderr.isatty()
    if arguments.verify_only:
        report = verify_transfer(source.url, destination.url, progress=progress)
    else:
        report = transfer(
            source.url,
            destination.url,
            progress=progress,
            page_size=arguments.page_size,
        )
        print(
            f"copied {report.messages_copied} messages "
            f"({report.conversations_copied} new conversations)"
        )
    outcome = "both sides agree" if report.verified else f"{len(report.mismatched)} differ"
    print(f"checked {report.conversations_checked} conversations: {outcome}")
    for conversation_id in report.conflicting:
        why = "another user's conversation at the destination; not copied"
        print(f"conflicting: {conversation_id} ({why})", file=sys.stderr)
    for conversation_id in report.mismatched:
        print(f"  differs: {conversation_id}", file=sys.stderr)
    return 0 if report.verified else 1


def _export(arguments: argparse.Namespace) -> int:
    _opened(arguments.url, arguments.shown, must_exist=True)
    export = export_openai_lines if arguments.format == "openai" else export_lines
    with connect(arguments.url) as store:
        written = export_progress(export(store, arguments.user, sys.stdout, arguments.since))
    print(f"exported {written} conversations", file=sys.stderr)
    return 0


def _import(arguments: argparse.Namespace) -> int:
    source: IO[bytes] = arguments.file
    from_stdin = source is sys.stdin.buffer
    name = "standard input" if from_stdin else source.name
    # Until the format is known, a place is a line: what every format but a
    # ChatGPT export or an llm log counts.
    committed = _Committed("line")
    try:
        with source:
            try:
                opened = open_source(source, None if from_stdin else source.name, arguments.format)
            except (OSError, EOFError) as error:  # unreadable, or a gzip stream cut short
                failure = error if isinstance(error, OSError) else _cut_short(error)
                print(f"convstore: {committed.failed(failure, name)}", file=sys.stderr)
                return 1
            committed.unit = opened.unit
            if opened.needs_user and arguments.user is None:
                raise UsageError(
                    f"the conversations of {name} ({opened.format}) name no owner: "
                    "give --user; nothing was imported"
                )
            _opened(arguments.url, arguments.shown, must_exist=False)
            with connect(arguments.url) as store:
                return _import_from(store, opened, source, name, arguments, committed)
    except KeyboardInterrupt:  # Ctrl-C: the entry under way is rolled back whole
        # Caught here, not around the entries alone, so that one struck while
        # the database opens or the first entry is read says so too.
        print(printable(f"convstore: {committed.interrupted()}"), file=sys.stderr)
        return 130


def _cut_short(error: EOFError) -> OSError:
    """gzip's EOFError as the read error it is."""
    return OSError(f"{error} (the gzip file is cut short)")


def _import_from(
    store: Store,
    opened: OpenedSource,
    source: IO[bytes],
    name: str,
    arguments: argparse.Namespace,
    committed: _Committed,
) -> int:
    """Import ``opened`` (read from ``source``) into ``store``, with a
    progress bar on a terminal; the summary on standard output, each
    skipped entry and a failure on standard error; the exit status.
    ``committed`` follows what is stored, for the caller to say on Ctrl-C
    (``KeyboardInterrupt`` is left to it, once the progress bar is closed)."""
    failure: ConvstoreError | OSError | None = None
    with ImportProgress(opened, source) as progress:
        try:
            entries = read_source(
                opened, user_id=arguments.user, imported_at=datetime.now(timezone.utc)
            )
            for outcome in import_source(
                store, entries, user_id=arguments.user, skip_invalid=arguments.skip_invalid
            ):
                if isinstance(outcome, Skipped):
                    committed.skip(outcome.where)
                    progress.write(printable(f"skipped {outcome.where}: {outcome.reason}"))
                else:
                    committed.add(outcome.where, outcome.conversations, outcome.messages)
                progress.advance()
        except (ConvstoreError, OSError) as error:  # OSError: the file fails mid-way
            failure = error
        except EOFError as error:  # a gzip stream cut short
            failure = _cut_short(error)
    if failure is not None:
        print(printable(f"convstore: {committed.failed(failure, name)}"), file=sys.stderr)
        return 1
    imported = f"{committed.conversations} new conversations, {committed.messages} new messages"
    if committed.messages and not _indexed_for_search(store, imported):
        return 130
    print(f"imported {imported}")
    if committed.skipped:
        skipped = f"{committed.skipped} {committed.unit}{'s' if committed.skipped != 1 else ''}"
        print(f"skipped {skipped} that could not be imported (listed above)")
    return 0


def _indexed_for_search(store: Store, imported: str) -> bool:
    """Index what an import stored for search, now rather than by the first
    searches. Everything is stored by then: a failure is a warning (searches
    index the rest, and find every message meanwhile); ``False`` if Ctrl-C
    stopped it."""
    then = "searches find them meanwhile and index the rest as they run"
    try:
        index_for_search(store, shown=sys.stderr.isatty())
        return True
    except ConvstoreError as error:
        why = f"{type(error).__name__}: {_one_line(error)}"
        said = f"{imported} are stored; indexing them for search stopped ({why}): {then}"
        finished = True
    except KeyboardInterrupt:
        said = f"interrupted while indexing for search; {imported} are stored: {then}"
        finished = False
    print(printable(f"convstore: {said}"), file=sys.stderr)
    return finished


class _Committed:
    """What an import has committed so far, to say so when it stops."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        """What the source's places count: ``"line"`` or ``"conversation"``."""
        self.entries = self.conversations = self.messages = self.skipped = 0
        self.last_where = ""
        """The place of the last entry imported or skipped; ``""``: none yet."""

    def add(self, where: str, conversations: int, messages: int) -> None:
        self.entries += 1
        self.last_where = where
        self.conversations += conversations
        self.messages += messages

    def skip(self, where: str) -> None:
        """Count an entry left out (``--skip-invalid``): the import has gone past it."""
        self.skipped += 1
        self.last_where = where

    def _done(self) -> str:
        if not self.entries:
            return "nothing was imported"
        return (
            f"{self.entries} {self.unit}{'s' if self.entries != 1 else ''} imported before that "
            f"({self.conversations} new conversations, {self.messages} new messages)"
        )

    def interrupted(self) -> str:
        """One line: where an import was interrupted, what is stored, what to
        do. The line under way was rolled back whole, or committed just before
        the interrupt: importing again stores nothing twice either way."""
        place = f"after {self.last_where}" if self.last_where else f"before the first {self.unit}"
        return f"interrupted {place}; {self._done()}; import the file again"

    def failed(self, error: ConvstoreError | OSError, name: str) -> str:
        """One line: what failed (the library's error names the line), what
        is stored, and what to do."""
        done = self._done()
        if isinstance(error, OSError):  # an I/O error, a lost mount, a broken gzip stream
            reason = _one_line(error.strerror or error)
            return f"cannot read {name}: {reason}; {done}: import the file again once it reads"
        what = f"{type(error).__name__}: {_one_line(error)} (in {name})"
        if isinstance(error, OutcomeUnknown):
            return f"{what}; {done}; that line may or may not be stored: import the file again"
        if isinstance(error, InvalidInput):  # the line itself is wrong
            then = "fix it and import the file again"
        elif isinstance(error, ReadOnlyDatabase):
            then = "import the file again where the database can be written"
        elif isinstance(error, DatabaseUnavailable):
            then = "import the file again later"
        else:  # the database refused it: the line may be fine
            then = "import the file again once the database error is resolved"
        return f"{what}; {done}, nothing of it or after it: {then}"


def _import_legacy(arguments: argparse.Namespace) -> int:
    source, destination = arguments.source, arguments.destination
    _opened(
        source.url, source.shown, must_exist=True, named_as="the source", creates="", foreign=True
    )
    _opened(destination.url, destination.shown, must_exist=False, named_as="--to")
    report = import_legacy(source.url, destination.url)
    print(f"imported {report.conversations} new conversations, {report.messages} new messages")
    for legacy_id, conversation_id in report.orphans:
        print(f"  skipped orphan message {legacy_id} (no conversation {conversation_id})")
    for legacy_id, reason in report.rejected:
        print(f"  skipped message {legacy_id}: {reason}")
    for legacy_id, reason in report.rejected_conversations:
        print(f"  skipped conversation {legacy_id}: {reason}")
    return 0


def _demo(arguments: argparse.Namespace) -> int:
    _opened(arguments.url, arguments.shown, must_exist=False)
    run_demo(arguments.url, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

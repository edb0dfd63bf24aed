"""The ``convstore`` command line."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from . import validation
from .catalog import queries_of, report_names
from .connect import connect
from .demo import run_demo
from .errors import ConvstoreError, InvalidInput
from .jsonl import export_conversations, import_conversations
from .legacy_import import import_legacy
from .migrate import migrate, pending_migrations, rollback
from .output import print_rows
from .sqlfile import DIALECTS
from .transfer import transfer, verify_transfer
from .urls import dialect_of, redact, resolve_url


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status: 0 done, 1 failed, 2 the
    command line itself is wrong (as argparse's own errors). Every failure is
    one line on stderr, never a traceback."""
    parser = _parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as done:  # --help, or a usage error argparse has printed
        return done.code if isinstance(done.code, int) else 2
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:
        return arguments.command(arguments)
    except UsageError as error:
        print(f"{arguments.prog}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except ConvstoreError as error:
        print(f"convstore: {type(error).__name__}: {_one_line(error)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`convstore export | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # a file named on the command line cannot be read or written
        print(f"convstore: {_one_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


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
        except InvalidInput as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = check.__name__.strip("_")  # argparse names it in some messages
    return convert


def _page_size(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise InvalidInput(f"expected a whole number, got {text!r}") from None
    return validation.count("the page size", number, minimum=1)


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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="convstore", description="Durable conversation storage for LLM agents.")
    parser.add_argument(
        "--url",
        help="database URL (default: $CONVSTORE_URL, then $DATABASE_URL, "
        "then sqlite:///conversations.db)",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    command = commands.add_parser("migrate", help="apply pending schema migrations")
    command.set_defaults(command=_migrate, prog=command.prog)
    command = commands.add_parser("rollback", help="roll back every migration (drops the data)")
    command.set_defaults(command=_rollback, prog=command.prog)
    command = commands.add_parser("status", help="list pending migrations")
    command.set_defaults(command=_status, prog=command.prog)

    command = commands.add_parser("queries", help="list the named queries with their SQL")
    command.add_argument("name", nargs="?", help="show only this query")
    command.add_argument(
        "--dialect", choices=DIALECTS, help="default: the dialect of the database URL"
    )
    command.set_defaults(command=_queries, prog=command.prog)

    command = commands.add_parser("report", help="run a report (without NAME: list them)")
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
    command.set_defaults(command=_report, prog=command.prog)

    command = commands.add_parser("chat", help="chat with a model; every turn is stored")
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
    command.add_argument("--model", default="gpt-4o-mini")
    command.add_argument("--system", default="You are a helpful assistant.", help="system prompt")
    command.set_defaults(command=_chat, prog=command.prog)

    command = commands.add_parser(
        "transfer", help="copy a SQLite database into PostgreSQL, then verify both agree"
    )
    command.add_argument("--from", dest="source", required=True, help="sqlite:///path.db")
    command.add_argument("--to", dest="destination", required=True, help="postgresql://...")
    command.add_argument("--verify-only", action="store_true", help="only compare both sides")
    command.add_argument(
        "--page-size", type=_checked(_page_size), default=500, help="conversations per transaction"
    )
    command.set_defaults(command=_transfer, prog=command.prog)

    command = commands.add_parser("export", help="write a user's conversations as JSONL")
    command.add_argument("--user", required=True, type=_checked(_user))
    command.add_argument(
        "--since",
        type=_checked(_timestamp_text),
        help="only conversations active since (ISO 8601 date or time; UTC unless it says)",
    )
    command.set_defaults(command=_export, prog=command.prog)

    command = commands.add_parser("import", help="read a JSONL export into the database")
    command.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
    command.set_defaults(command=_import, prog=command.prog)

    command = commands.add_parser(
        "import-legacy", help="import a database made by the original tutorial's stores"
    )
    command.add_argument("source", help="sqlite:///tutorial.db or postgresql://... of the tutorial")
    command.add_argument("--to", dest="destination", required=True, help="convstore database URL")
    command.set_defaults(command=_import_legacy, prog=command.prog)

    command = commands.add_parser("demo", help="store a short conversation and show it")
    command.set_defaults(command=_demo, prog=command.prog)
    return parser


def _migrate(arguments: argparse.Namespace) -> int:
    url = resolve_url(arguments.url)
    applied = migrate(url)
    print(
        f"{redact(url)}: applied {', '.join(applied)}" if applied else f"{redact(url)}: up to date"
    )
    return 0


def _rollback(arguments: argparse.Namespace) -> int:
    url = resolve_url(arguments.url)
    rolled_back = rollback(url)
    done = f"rolled back {', '.join(rolled_back)}" if rolled_back else "nothing to roll back"
    print(f"{redact(url)}: {done}")
    return 0


def _status(arguments: argparse.Namespace) -> int:
    url = resolve_url(arguments.url)
    pending = pending_migrations(url)
    print(f"{redact(url)}: " + (f"pending {', '.join(pending)}" if pending else "up to date"))
    return 0


def _queries(arguments: argparse.Namespace) -> int:
    dialect = arguments.dialect or dialect_of(resolve_url(arguments.url))
    queries = queries_of(dialect)
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
    url = resolve_url(arguments.url)
    queries = queries_of(dialect_of(url))
    if arguments.name is None:
        for name in report_names(dialect_of(url)):
            print(f"{name:<28} {_summary(queries[name].description)}")
        return 0
    if arguments.name not in report_names(dialect_of(url)):
        raise UsageError(f"no report named {arguments.name!r}; `convstore report` lists them")
    params = _report_params(arguments.name, queries[arguments.name].parameters, arguments.param)
    with connect(url) as store:
        rows = store.run(arguments.name, **params)
    print_rows(rows, arguments.format, sys.stdout)
    return 0


def _report_params(
    report: str, names: Sequence[str], pairs: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The --param values of a report, checked against its file: every name it
    takes once, no other; times read as :func:`convstore.validation.timestamp`
    reads them (never by the database's parser, which takes 'yesterday'), a
    ``limit`` as a whole number."""
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
    try:
        if name in ("since", "until") or name.endswith("_at"):
            return validation.timestamp(f"--param {name}", text)
        if name == "limit":
            if not text.strip().isdigit():
                raise InvalidInput(f"--param limit must be a whole number, got {text!r}")
            return validation.count("--param limit", int(text), minimum=1)
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    return text


def _summary(description: str) -> str:
    """The first sentence of a report's header (the text before its parameters)."""
    prose = " ".join(description.split("\n:")[0].splitlines())
    return prose.removeprefix("Report: ").split(". ")[0].split(": ")[0]


def _chat(arguments: argparse.Namespace) -> int:
    try:
        import openai

        from .agent import PersistentAgent
    except ImportError:
        needs = "chat needs the agent extra: pip install 'convstore[agent]'"
        print(f"convstore: {needs}", file=sys.stderr)
        return 1
    from .chat import run_chat

    with connect(arguments.url) as store:
        # The user's view: the chat cannot reach another user's conversation.
        view = store.for_user(arguments.user)
        if arguments.conversation and view.get_conversation_stats(arguments.conversation) is None:
            missing = f"{arguments.user!r} has no conversation {arguments.conversation}"
            print(f"convstore: {missing}; leave out --conversation to start one", file=sys.stderr)
            return 1
        try:
            client = openai.OpenAI()  # OPENAI_API_KEY, OPENAI_BASE_URL
        except openai.OpenAIError as error:
            print(f"convstore: {_one_line(error)}", file=sys.stderr)
            return 1
        agent = PersistentAgent(
            view, client=client, model=arguments.model, system_prompt=arguments.system
        )
        run_chat(view, agent, arguments.user, arguments.conversation, sys.stdout)
    return 0


def _transfer(arguments: argparse.Namespace) -> int:
    progress = sys.stderr.isatty()
    if arguments.verify_only:
        report = verify_transfer(arguments.source, arguments.destination, progress=progress)
    else:
        report = transfer(
            arguments.source,
            arguments.destination,
            progress=progress,
            page_size=arguments.page_size,
        )
        print(f"copied {report.messages_copied} messages "
              f"({report.conversations_copied} new conversations)")  # fmt: skip
    outcome = "both sides agree" if report.verified else f"{len(report.mismatched)} differ"
    print(f"checked {report.conversations_checked} conversations: {outcome}")
    for conversation_id in report.conflicting:
        why = "another user's conversation at the destination; not copied"
        print(f"conflicting: {conversation_id} ({why})", file=sys.stderr)
    for conversation_id in report.mismatched:
        print(f"  differs: {conversation_id}", file=sys.stderr)
    return 0 if report.verified else 1


def _export(arguments: argparse.Namespace) -> int:
    with connect(arguments.url) as store:
        written = export_conversations(store, arguments.user, sys.stdout, arguments.since)
    print(f"exported {written} conversations", file=sys.stderr)
    return 0


def _import(arguments: argparse.Namespace) -> int:
    with arguments.file as lines, connect(arguments.url) as store:
        try:
            imported = import_conversations(store, lines)
        except OSError as error:  # the file fails mid-way (an I/O error, a lost mount)
            reason = error.strerror or str(error)
            print(
                f"convstore: cannot read {lines.name}: {reason}; the lines before are "
                "imported: import the file again once it reads",
                file=sys.stderr,
            )
            return 1
    print(f"imported {imported['conversations']} new conversations, "
          f"{imported['messages']} new messages")  # fmt: skip
    return 0


def _import_legacy(arguments: argparse.Namespace) -> int:
    report = import_legacy(arguments.source, arguments.destination)
    print(f"imported {report.conversations} new conversations, {report.messages} new messages")
    for legacy_id, conversation_id in report.orphans:
        print(f"  skipped orphan message {legacy_id} (no conversation {conversation_id})")
    for legacy_id, reason in report.rejected:
        print(f"  skipped message {legacy_id}: {reason}")
    for legacy_id, reason in report.rejected_conversations:
        print(f"  skipped conversation {legacy_id}: {reason}")
    return 0


def _demo(arguments: argparse.Namespace) -> int:
    run_demo(arguments.url, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

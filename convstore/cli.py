"""The ``convstore`` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone

from .catalog import queries_of, report_names
from .connect import connect
from .demo import run_demo
from .errors import ConvstoreError
from .jsonl import export_conversations, import_conversations
from .legacy_import import import_legacy
from .migrate import migrate, pending_migrations, rollback
from .output import print_rows
from .sqlfile import DIALECTS
from .transfer import transfer, verify_transfer
from .urls import dialect_of, redact, resolve_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:
        return arguments.command(arguments)
    except ConvstoreError as error:
        print(f"convstore: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`convstore export | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convstore", description="Durable conversation storage for LLM agents."
    )
    parser.add_argument(
        "--url",
        help="database URL (default: $CONVSTORE_URL, then $DATABASE_URL, "
        "then sqlite:///conversations.db)",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    command = commands.add_parser("migrate", help="apply pending schema migrations")
    command.set_defaults(command=_migrate)
    command = commands.add_parser("rollback", help="roll back every migration (drops the data)")
    command.set_defaults(command=_rollback)
    command = commands.add_parser("status", help="list pending migrations")
    command.set_defaults(command=_status)

    command = commands.add_parser("queries", help="list the named queries with their SQL")
    command.add_argument("name", nargs="?", help="show only this query")
    command.add_argument(
        "--dialect", choices=DIALECTS, help="default: the dialect of the database URL"
    )
    command.set_defaults(command=_queries)

    command = commands.add_parser("report", help="run a report (without NAME: list them)")
    command.add_argument("name", nargs="?", help="the report, e.g. model_usage")
    command.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="a report parameter"
    )
    command.add_argument("--format", choices=("table", "csv", "json"), default="table")
    command.set_defaults(command=_report)

    command = commands.add_parser("chat", help="chat with a model; every turn is stored")
    command.add_argument("--user", default="cli-user", help="whose conversation (default cli-user)")
    command.add_argument("--conversation", help="continue this conversation (default: a new one)")
    command.add_argument("--model", default="gpt-4o-mini")
    command.add_argument("--system", default="You are a helpful assistant.", help="system prompt")
    command.set_defaults(command=_chat)

    command = commands.add_parser(
        "transfer", help="copy a SQLite database into PostgreSQL, then verify both agree"
    )
    command.add_argument("--from", dest="source", required=True, help="sqlite:///path.db")
    command.add_argument("--to", dest="destination", required=True, help="postgresql://...")
    command.add_argument("--verify-only", action="store_true", help="only compare both sides")
    command.add_argument("--page-size", type=int, default=500, help="conversations per transaction")
    command.set_defaults(command=_transfer)

    command = commands.add_parser("export", help="write a user's conversations as JSONL")
    command.add_argument("--user", required=True)
    command.add_argument("--since", help="only conversations active since (ISO 8601 date or time)")
    command.set_defaults(command=_export)

    command = commands.add_parser("import", help="read a JSONL export into the database")
    command.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
    command.set_defaults(command=_import)

    command = commands.add_parser(
        "import-legacy", help="import a database made by the original tutorial's stores"
    )
    command.add_argument("source", help="sqlite:///tutorial.db or postgresql://... of the tutorial")
    command.add_argument("--to", dest="destination", required=True, help="convstore database URL")
    command.set_defaults(command=_import_legacy)

    command = commands.add_parser("demo", help="store a short conversation and show it")
    command.set_defaults(command=_demo)
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
        print(f"convstore: no query named {arguments.name!r}", file=sys.stderr)
        return 2
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
        print(f"convstore: no report named {arguments.name!r}; `convstore report` lists them",
              file=sys.stderr)  # fmt: skip
        return 2
    params = dict(pair.partition("=")[::2] for pair in arguments.param)
    missing = [name for name in queries[arguments.name].parameters if name not in params]
    if missing:
        print(
            f"convstore: {arguments.name} needs --param for: {', '.join(missing)}", file=sys.stderr
        )
        return 2
    with connect(url) as store:
        rows = store.run(arguments.name, **params)
    print_rows(rows, arguments.format, sys.stdout)
    return 0


def _summary(description: str) -> str:
    """The first sentence of a report's header (the text before its parameters)."""
    prose = " ".join(description.split("\n:")[0].splitlines())
    return prose.removeprefix("Report: ").split(". ")[0].split(": ")[0]


def _chat(arguments: argparse.Namespace) -> int:
    from .agent import PersistentAgent  # needs the `agent` extra (openai)
    from .chat import run_chat

    with connect(arguments.url) as store:
        agent = PersistentAgent(store, model=arguments.model, system_prompt=arguments.system)
        run_chat(store, agent, arguments.user, arguments.conversation, sys.stdout)
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
    print(f"checked {report.conversations_checked} conversations: "
          + ("both sides agree" if report.verified else f"{len(report.mismatched)} differ"))  # fmt: skip
    for conversation_id in report.mismatched:
        print(f"  differs: {conversation_id}", file=sys.stderr)
    return 0 if report.verified else 1


def _export(arguments: argparse.Namespace) -> int:
    since = None
    if arguments.since:
        try:
            since = datetime.fromisoformat(arguments.since.replace("Z", "+00:00"))
        except ValueError:
            print(
                f"convstore: --since {arguments.since!r} is not an ISO 8601 date", file=sys.stderr
            )
            return 2
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
    with connect(arguments.url) as store:
        written = export_conversations(store, arguments.user, sys.stdout, since)
    print(f"exported {written} conversations", file=sys.stderr)
    return 0


def _import(arguments: argparse.Namespace) -> int:
    with connect(arguments.url) as store, arguments.file as lines:
        imported = import_conversations(store, lines)
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
    return 0


def _demo(arguments: argparse.Namespace) -> int:
    run_demo(arguments.url, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``convstore users``, ``list``, ``show``, ``search`` and ``context``: the
stored data one command away, as ``llm logs`` has it.

Each prints a table for people by default, as wide as the terminal (or
``COLUMNS`` when it is set, else :data:`TABLE_WIDTH`, but never under
:data:`NARROWEST_WIDTH`), long text cut with an ellipsis; ``--json``
prints one JSON document with every field in full (an array of rows, or the
conversation for ``show``), as ``llm logs --json`` and ``convstore report
--format json`` do; ``--csv`` prints the same rows as CSV, with a header even
when there are none. They only read: a missing SQLite file is a usage error,
never created. ``--user`` reads through that user's view (another user's
conversation is as missing).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TextIO

from .. import validation
from ..connect import connect
from ..content import search_query
from ..errors import InvalidInput, NotFound
from ..store.store import Store
from ..types import (
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    ContextMessage,
    MessageHit,
    TreeBranch,
    UserSummary,
)
from .commands import UsageError, _checked, _opened, _user, _whole_number
from .output import Column, cut, print_json, print_rows, print_table, print_wrapped, printable

TABLE_WIDTH = 80
"""The width of a table written anywhere but a terminal (a file, a pipe),
unless ``COLUMNS`` is set."""

NARROWEST_WIDTH = 40
"""The narrowest width the output is laid out for: every table fits in it,
ids and times cut to a few characters. A narrower terminal gets lines this
wide, and wraps them, rather than tables cut to nothing."""

DEFAULT_LIMIT = 20

USER_FIELDS = tuple(UserSummary.__annotations__)
HIT_FIELDS = tuple(MessageHit.__annotations__)
CONTEXT_FIELDS = tuple(ContextMessage.__annotations__)


def add_commands(
    add: Callable[..., argparse.ArgumentParser], url_after: argparse.ArgumentParser
) -> None:
    """Declare the commands with ``add`` (a subcommand, from its name, its
    one-line summary and argparse's options) and ``url_after`` (the parent
    parser of ``--url`` after the command's name)."""
    formats = argparse.ArgumentParser(add_help=False)
    style = formats.add_mutually_exclusive_group()
    style.add_argument(
        "--json",
        dest="style",
        action="store_const",
        const="json",
        default="table",
        help="one JSON document, every field in full",
    )
    style.add_argument(
        "--csv", dest="style", action="store_const", const="csv", help="CSV, every field in full"
    )
    parents = [url_after, formats]

    command = add(
        "users",
        "list the users, most recently active first",
        parents=parents,
        description="List the users who have conversations, most recently active first, "
        "with their conversations, messages and last activity.",
    )
    _limit_option(command, "users")
    command.set_defaults(command=_users, prog=command.prog, databases_as=None, user=None)

    command = add(
        "list",
        "list a user's conversations, most recently active first",
        parents=parents,
        description="List a user's conversations, most recently active first.",
    )
    _user_option(command, "whose conversations (required; `convstore users` lists them)")
    _limit_option(command, "conversations")
    command.set_defaults(command=_list, prog=command.prog, databases_as=None)

    command = add(
        "show",
        "show a conversation and its messages",
        parents=parents,
        description="Show a conversation: its header and its messages, oldest first, "
        "and with --branches its tree of branches.",
    )
    _conversation_argument(command)
    command.add_argument(
        "--branches", action="store_true", help="also show its tree of branches (* the active one)"
    )
    _user_option(command, "only if it is this user's")
    command.set_defaults(command=_show, prog=command.prog, databases_as=None)

    command = add(
        "search",
        "full-text search of a user's messages",
        parents=parents,
        description="Search a user's messages, best match first: words (all must "
        'match), "quoted phrases", -excluded words and or.',
    )
    command.add_argument("query", type=_checked(_search_text), help="what to search for")
    _user_option(command, "whose messages (required; `convstore users` lists them)")
    _limit_option(command, "messages")
    command.set_defaults(command=_search, prog=command.prog, databases_as=None)

    command = add(
        "context",
        "show the messages a token budget sends to a model",
        parents=parents,
        description="Show what get_recent_context sends to a model within a token "
        "budget: the pinned messages, then the newest that fit, oldest first.",
    )
    _conversation_argument(command)
    command.add_argument(
        "--max-tokens",
        required=True,
        type=_checked(_token_budget),
        metavar="N",
        help="the token budget",
    )
    _user_option(command, "only if it is this user's")
    command.set_defaults(command=_context, prog=command.prog, databases_as=None)


def _limit_option(command: argparse.ArgumentParser, rows: str) -> None:
    command.add_argument(
        "--limit",
        type=_checked(_limit),
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"how many {rows} at most (default {DEFAULT_LIMIT})",
    )


def _user_option(command: argparse.ArgumentParser, help_text: str) -> None:
    command.add_argument("--user", type=_checked(_user), help=help_text)


def _conversation_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "conversation_id",
        type=_checked(_conversation_text),
        metavar="CONVERSATION_ID",
        help="a conversation id (a UUID, or the name that stands for one)",
    )


def _conversation_text(text: str) -> str:
    """The id as given, once it is one (a name is shown as typed)."""
    validation.conversation_id(text)
    return text


def _limit(text: str) -> int:
    return validation.count("--limit", _whole_number(text, "--limit"), minimum=1)


def _token_budget(text: str) -> int:
    return validation.count("--max-tokens", _whole_number(text, "--max-tokens"))


def _search_text(text: str) -> str:
    """The query as typed, once it has something to search for."""
    if not search_query.parse(validation.text("the query", text)).alternatives:
        raise InvalidInput(
            f"{text!r} has no word to search for (excluded words only narrow a search)"
        )
    return text


# -- the commands ------------------------------------------------------------------------


def _users(arguments: argparse.Namespace) -> int:
    with _reading(arguments) as store:
        users = store.list_users(limit=arguments.limit)
    _print_rows(arguments, users, USER_COLUMNS, USER_FIELDS, "user")
    return 0


def _list(arguments: argparse.Namespace) -> int:
    _require_user(arguments, "conversations are listed one user at a time")
    with _reading(arguments) as store:
        conversations = store.list_conversations(limit=arguments.limit)
    _print_rows(arguments, conversations, CONVERSATION_COLUMNS, CONVERSATION_FIELDS, "conversation")
    return 0


def _search(arguments: argparse.Namespace) -> int:
    _require_user(arguments, "each user's messages are searched apart")
    with _reading(arguments) as store:
        hits = store.search_messages(None, arguments.query, limit=arguments.limit)
    _print_rows(arguments, hits, HIT_COLUMNS, HIT_FIELDS, "message")
    return 0


def _show(arguments: argparse.Namespace) -> int:
    if arguments.branches and arguments.style == "csv":
        raise UsageError("--csv writes one table, the messages: use --json for the branches too")
    conversation_id = arguments.conversation_id
    with _reading(arguments) as store, store.snapshot():
        found = store.get_conversation(conversation_id)
        if found is None:
            raise _missing(arguments)
        conversation: dict[str, Any] = dict(found)
        if arguments.branches:
            place = store.get_branch(conversation_id)
            conversation["active_branch_id"] = place["active_branch_id"] if place else None
            conversation["tree"] = store.get_conversation_tree(conversation_id)
    if arguments.style == "json":
        print_json(conversation, sys.stdout)
    elif arguments.style == "csv":
        print_rows(conversation["messages"], "csv", sys.stdout, MESSAGE_FIELDS)
    else:
        _print_conversation(conversation, _table_width(sys.stdout), sys.stdout)
    return 0


def _context(arguments: argparse.Namespace) -> int:
    with _reading(arguments) as store:
        context = store.get_recent_context(
            arguments.conversation_id, max_tokens=arguments.max_tokens
        )
        if not context and store.get_branch(arguments.conversation_id) is None:
            raise _missing(arguments)
    if arguments.style != "table":
        print_rows(context, arguments.style, sys.stdout, CONTEXT_FIELDS)
        return 0
    width = _table_width(sys.stdout)
    if context:
        print_table(context, CONTEXT_COLUMNS, width, sys.stdout)
    total = context[0]["suffix_tokens"] if context else 0
    counted = f"({_counted(len(context), 'message')}, {total} of {arguments.max_tokens} tokens)"
    print_wrapped(counted, width, sys.stdout)
    return 0


@contextmanager
def _reading(arguments: argparse.Namespace) -> Iterator[Store]:
    """The store to read: the database must exist (a SQLite file is never
    created); with ``--user``, that user's view.

    :raises UsageError: for a SQLite file that is not there.
    """
    _opened(arguments.url, arguments.shown, must_exist=True)
    with connect(arguments.url) as store:
        yield store.for_user(arguments.user) if arguments.user else store


def _require_user(arguments: argparse.Namespace, why: str) -> None:
    if arguments.user is None:
        raise UsageError(f"--user is required: {why}; `convstore users` lists the users")


def _missing(arguments: argparse.Namespace) -> NotFound:
    """The error for a conversation that is not there (or not ``--user``'s)."""
    given = arguments.conversation_id
    checked = validation.conversation_id(given)
    named = checked if given == checked else f"{given!r} ({checked})"
    whose = f"user {arguments.user!r} has" if arguments.user else "there is"
    listing = f"--user {shlex.quote(arguments.user)}" if arguments.user else "--user USER"
    return NotFound(
        f"{whose} no conversation {named} (`convstore list {listing}` lists a user's conversations)"
    )


# -- tables ------------------------------------------------------------------------------


def _print_rows(
    arguments: argparse.Namespace,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fields: Sequence[str],
    noun: str,
) -> None:
    """``rows`` in the style asked for; a table ends with how many there are,
    and whether ``--limit`` may have left some out."""
    if arguments.style != "table":
        print_rows(rows, arguments.style, sys.stdout, fields)
        return
    width = _table_width(sys.stdout)
    if rows:
        print_table(rows, columns, width, sys.stdout)
    more = "; there may be more: raise --limit" if len(rows) == arguments.limit else ""
    print_wrapped(f"({_counted(len(rows), noun)}{more})", width, sys.stdout)


def _table_width(out: TextIO) -> int:
    """The terminal's width at a terminal or when ``COLUMNS`` says it (as
    shutil reads it: ``COLUMNS=60 convstore users | less`` is 60 wide), else
    :data:`TABLE_WIDTH`; never under :data:`NARROWEST_WIDTH`."""
    if out.isatty() or os.environ.get("COLUMNS"):
        width = shutil.get_terminal_size(fallback=(TABLE_WIDTH, 24)).columns
    else:
        width = TABLE_WIDTH
    return max(width, NARROWEST_WIDTH)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _time(moment: datetime) -> str:
    """A UTC time to the minute, for a table (``--json`` has it in full)."""
    return moment.strftime("%Y-%m-%d %H:%M")


def _number(field: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda row: str(row[field])


USER_COLUMNS = (
    Column("user", lambda user: user["user_id"], shrinks=True),
    Column("conversations", _number("conversations"), right=True),
    Column("messages", _number("messages"), right=True),
    Column("last active (UTC)", lambda user: _time(user["last_activity_at"])),
)

CONVERSATION_COLUMNS = (
    Column("id", lambda conversation: conversation["id"]),
    Column("title", lambda conversation: conversation["title"] or "", shrinks=True),
    Column("messages", _number("message_count"), right=True),
    Column("updated (UTC)", lambda conversation: _time(conversation["updated_at"])),
)

HIT_COLUMNS = (
    Column("conversation", lambda hit: hit["conversation_id"]),
    Column("seq", _number("seq"), right=True),
    Column("role", lambda hit: hit["role"]),
    Column("snippet", lambda hit: _near_match(hit["snippet"]), shrinks=True),
)


SHOWN_BEFORE_MATCH = 20
"""The characters of a snippet shown before its first match, or two words."""


def _near_match(snippet: str) -> str:
    """The snippet, from two words before its first match if that is further
    in than :data:`SHOWN_BEFORE_MATCH`, so that a narrow column shows the match."""
    start = snippet.find("«")
    if start <= SHOWN_BEFORE_MATCH:
        return snippet
    for _ in range(2):
        start = snippet.rfind(" ", 0, start - 1)
        if start < 0:
            return snippet
    return "…" + snippet[start + 1 :]


def _tokens(message: Mapping[str, Any]) -> str:
    """Its counted tokens; ``~`` marks an estimate (and a row without a count, counted as 100)."""
    if message["tokens"] is None:
        return "~100"
    return f"{'~' if message['tokens_estimated'] else ''}{message['tokens']}"


def _said(message: Mapping[str, Any]) -> str:
    """What a message says, for one line of a table: an item of another kind
    starts with ``[kind]``, a tool result with ``(its call's id)``; text
    parts as text and the others as ``[type]``; each call as ``→
    name(arguments)``; a refusal as ``[refusal] ...``; an item with no
    content, its payload as JSON."""
    pieces = [] if message["kind"] == validation.CHAT_MESSAGE else [f"[{message['kind']}]"]
    if message["tool_call_id"]:
        pieces.append(f"({message['tool_call_id']})")
    elif message["role"] == "function" and message["name"]:
        pieces.append(f"({message['name']})")
    content = message["content"]
    if isinstance(content, list):
        pieces += [_part(part) for part in content]
    elif content:
        pieces.append(content)
    calls = [call["function"] for call in message["tool_calls"] or []]
    pieces += [_call(function) for function in [*calls, message["function_call"]] if function]
    if message["refusal"]:
        pieces.append(f"[refusal] {message['refusal']}")
    if content is None and message["payload"] is not None:
        pieces.append(json.dumps(message["payload"], ensure_ascii=False))
    return " ".join(pieces).strip()


def _part(part: Mapping[str, Any]) -> str:
    if part.get("type") == "text":
        return str(part.get("text", ""))
    if part.get("type") == "refusal":
        return f"[refusal] {part.get('refusal', '')}"
    return f"[{part.get('type')}]"


def _call(function: Mapping[str, Any]) -> str:
    return f"→ {function.get('name')}({function.get('arguments', '')})"


MESSAGE_COLUMNS = (
    Column("seq", _number("seq"), right=True),
    Column("time (UTC)", lambda message: _time(message["created_at"])),
    Column("role", lambda message: message["role"]),
    Column("content", _said, shrinks=True),
)

CONTEXT_COLUMNS = (
    Column("seq", _number("seq"), right=True),
    Column("role", lambda message: message["role"]),
    Column("pinned", lambda message: "yes" if message["pinned"] else ""),
    Column("tokens", _tokens, right=True),
    Column("content", _said, shrinks=True),
)

BRANCH_COLUMNS = (
    Column("branch", lambda branch: branch["marked"]),
    Column("after seq", lambda branch: _blank_if_none(branch["fork_seq"]), right=True),
    Column("messages", _number("message_count"), right=True),
    Column("title", lambda branch: branch["title"] or "", shrinks=True),
)


def _blank_if_none(value: Any) -> str:
    return "" if value is None else str(value)


def _print_conversation(conversation: Mapping[str, Any], width: int, out: TextIO) -> None:
    """The header, the messages and (when read) the tree of branches."""
    header = [
        ("conversation", conversation["id"]),
        ("user", conversation["user_id"]),
        ("title", conversation["title"] or ""),
        ("created", f"{_time(conversation['created_at'])} UTC"),
        ("updated", f"{_time(conversation['updated_at'])} UTC"),
    ]
    if conversation["parent_id"] is not None:
        forked = f"{conversation['parent_id']} after seq {conversation['fork_seq']}"
        header.append(("forked from", forked))
    if conversation["metadata"]:
        header.append(("metadata", json.dumps(conversation["metadata"], ensure_ascii=False)))
    for name, value in header:
        print(f"{name:<14}{cut(printable(value), width - 14)}", file=out)
    messages = conversation["messages"]
    print(file=out)
    if messages:
        print_table(messages, MESSAGE_COLUMNS, width, out)
    print_wrapped(f"({_counted(len(messages), 'message')})", width, out)
    if "tree" in conversation:
        branches = _depth_first(conversation["tree"], conversation["active_branch_id"])
        legend = "* the active one, shown by clients"
        if any(branch["depth"] > INDENTED_DEPTHS for branch in branches):
            legend += f"; a number: the depth of a branch deeper than {INDENTED_DEPTHS}"
        print(file=out)
        print_wrapped(f"branches of its tree ({legend})", width, out)
        print_table(branches, BRANCH_COLUMNS, width, out)


INDENTED_DEPTHS = 4
"""How deep a tree is drawn by indenting (two columns a level). A deeper
branch is at that indentation, after its depth (a number): indenting without
end would push a deep branch's id out of any terminal."""


def _depth_first(tree: Sequence[TreeBranch], active_branch_id: str | None) -> list[dict[str, Any]]:
    """The tree's members, each followed by its branches (the query gives
    them level by level), with ``marked``: ``*`` for the active one, then its
    id, indented by its depth (up to :data:`INDENTED_DEPTHS`, and then after
    its depth)."""
    branches: dict[str | None, list[TreeBranch]] = {}
    for member in tree:
        branches.setdefault(member["parent_id"], []).append(member)
    ordered: list[dict[str, Any]] = []
    waiting = list(tree[:1])  # the root
    while waiting:
        member = waiting.pop()
        marker = "*" if member["conversation_id"] == active_branch_id else " "
        depth = member["depth"]
        indent = "  " * min(depth, INDENTED_DEPTHS)
        if depth > INDENTED_DEPTHS:
            indent += f"{depth} "
        ordered.append({**member, "marked": f"{marker} {indent}{member['conversation_id']}"})
        waiting += reversed(branches.get(member["conversation_id"], []))
    return ordered

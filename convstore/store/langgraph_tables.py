"""The tables of LangGraph checkpoints (migrations ``pg_0018`` /
``sqlite_0012``), for :mod:`convstore.integrations.langgraph`.

Their statements are ``sql/<dialect>/langgraph/*.sql`` (named
``langgraph.<file>``): convstore's own, not public queries, and each file's
header says what it takes and returns. Rows go in and out as they are
stored; serialising LangGraph's objects is the caller's.
"""

from __future__ import annotations

from typing import Any

from .store import Store

NAMESPACE = "langgraph"
"""The namespace of the statements in the catalogue."""


class LangGraphTables:
    """Runs the ``langgraph.*`` statements on a store's connections."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def run(self, statement: str, **params: Any) -> list[dict[str, Any]]:
        """Run ``sql/<dialect>/langgraph/<statement>.sql``; its rows.

        It runs inside the caller's :meth:`Store.transaction` or
        :meth:`Store.snapshot`, which name a user-scoped view's user to
        row-level security; the statements filter by owner themselves
        through their ``:user_id``.

        :raises TypeError: outside a transaction (a programming error: a
            checkpoint's rows are written and read together).
        """
        if not self.store.database.in_transaction():
            raise TypeError(f"{NAMESPACE}.{statement} runs inside a transaction or snapshot")
        return self.store.database.run(f"{NAMESPACE}.{statement}", **params)

"""The contract's fixtures: each test here runs on SQLite, on PostgreSQL and
on PostgreSQL behind PgBouncer, through the sync and the async API."""

from __future__ import annotations

import pytest

from convstore import AsyncStore

from ..async_support import BlockingAsyncStore
from ..conftest import DIALECTS, migrated_url


@pytest.fixture(params=[*DIALECTS, "pgbouncer"])
def database_url(request) -> str:
    """The contract holds on SQLite, on PostgreSQL, and on PostgreSQL behind
    PgBouncer in transaction-pooling mode."""
    return migrated_url(request, request.param)


@pytest.fixture(params=["sync", "async"])
def store(request, open_store):
    """The store of each database through each API: the async one driven by
    blocking calls (tests/async_support.py), so one test body covers both."""
    sync_store = open_store()
    if request.param == "sync":
        yield sync_store
        return
    driven = BlockingAsyncStore(AsyncStore(sync_store))
    yield driven
    driven.close()

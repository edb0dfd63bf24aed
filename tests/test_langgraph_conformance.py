"""convstore.integrations.langgraph passes LangGraph's own conformance suite
(langgraph-checkpoint-conformance, pinned in pyproject.toml) on both
databases: every base capability detected, and every one of its tests passed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from importlib.metadata import version

from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import BASE_CAPABILITIES

import convstore
from convstore.integrations.langgraph import ConvstoreSaver

CONFORMANCE_VERSION = "0.0.2"
BASE_TESTS = 58
"""The base tests of the pinned release: put 17, put_writes 10, get_tuple 10,
list 16, delete_thread 5."""


def test_the_pinned_release_is_the_one_installed():
    assert version("langgraph-checkpoint-conformance") == CONFORMANCE_VERSION


def test_the_saver_passes_every_base_capability(database_url):
    owners: list[str] = []

    async def fresh_saver() -> AsyncIterator[ConvstoreSaver]:
        # The suite reuses thread ids such as "thread-0" from one capability's
        # saver to the next: each saver has an owner of its own, whose
        # threads are erased when its capability is done.
        owner = f"conformance-{uuid.uuid4().hex[:12]}"
        owners.append(owner)
        store = convstore.connect(database_url)
        try:
            yield ConvstoreSaver(store, user_id=owner)
        finally:
            store.delete_user_data(owner)
            store.close()

    registered = checkpointer_test(name=f"ConvstoreSaver on {database_url.split(':')[0]}")(
        fresh_saver
    )
    report = asyncio.run(validate(registered))

    report.print_report()
    failures = {name: result.failures for name, result in report.results.items() if result.failures}
    assert failures == {}
    for capability in BASE_CAPABILITIES:
        result = report.results[capability.value]
        assert result.detected, capability
        assert result.passed is True, capability
    assert report.passed_all_base()
    base = [report.results[capability.value] for capability in BASE_CAPABILITIES]
    assert sum(result.tests_passed for result in base) == BASE_TESTS
    assert len(owners) == len(report.results)

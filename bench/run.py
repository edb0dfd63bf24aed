"""``make bench``: convstore's speed on both databases, beside baselines measured
in the same run. Writes ``bench/results.md`` and ``bench/results.json``.

Every latency is a median of repeated calls and every rate a median of
repeated rounds; every comparison is a ratio of two figures from this run. The
machines are shared and noisy: trust the ratios more than the absolutes.

    python -m bench.run            # the full run (a few minutes)
    python -m bench.run --quick    # a small version, under a minute
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

import convstore
from bench import dataset, langgraph_turns
from convstore import validation
from convstore.sqlfiles.catalog import bind, queries_of
from convstore.store import Store
from convstore.types import POSTGRES, SQLITE

RESULTS = Path(__file__).resolve().parent
ADMIN_URL = (
    os.environ.get("CONVSTORE_BENCH_DSN")
    or os.environ.get("CONVSTORE_TEST_DSN")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
BUDGET = 4000


@dataclass(frozen=True)
class Plan:
    context_sizes: tuple[int, ...]
    list_sizes: tuple[int, ...]
    """Users with this many conversations each (2 messages apiece)."""
    thread_appends: int
    """Appends per thread-count setting, shared among the threads."""
    slow_repeats: int
    """Repeats of the whole-conversation query on the largest conversation."""
    search_users: int
    search_messages_each: int
    """The search data: this many users with one conversation of this many messages."""
    concurrent_rounds: int = 5
    """Rounds of (append, read the budgeted context) per conversation of the
    concurrency measurement (200 asyncio tasks, or 16 threads)."""
    langgraph_lengths: tuple[int, ...] = (10, 100, 1_000)
    """Thread lengths (prior messages) a LangGraph turn is timed at (bench/langgraph_turns.py)."""
    langgraph_turns: int = 20
    """LangGraph turns timed per saver and thread length."""


FULL = Plan((1_000, 10_000, 100_000, 1_000_000), (1_000, 100_000), 1_600, 3, 1_000, 1_000)
QUICK = Plan(
    (1_000, 10_000),
    (100, 1_000),
    320,
    3,
    50,
    200,
    concurrent_rounds=2,
    langgraph_lengths=(10, 100),
    langgraph_turns=4,
)


@dataclass
class Results:
    dialect: str
    figures: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.figures[name] = round(value, 4)
        print(f"  {self.dialect:<8} {name:<52} {value:>14,.3f}", flush=True)


def median_ms(call: Callable[[], object], repeats: int) -> float:
    call()  # warm caches and prepared statements
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run_bench_query(store: Store, name: str, **params: object) -> list[dict]:
    return store.database.run(dataset.bench_query(store.dialect, name), **params)


# -- the sections ------------------------------------------------------------------------


def measure_reads(store: Store, plan: Plan, results: Results) -> None:
    heavy = [
        dataset.ConversationSpec(str(uuid.uuid4()), "bench-heavy", n) for n in plan.context_sizes
    ]
    crowds = [dataset.conversations(f"bench-list-{n}", n, 2) for n in plan.list_sizes]
    small = dataset.conversations("bench-small", 1_000, 20)
    started = time.perf_counter()
    loaded = dataset.load(store, heavy + small + [c for crowd in crowds for c in crowd])
    results.add("bulk load, messages/s", loaded / (time.perf_counter() - started))
    results.add("messages in the table", loaded)
    run_bench_query(store, "analyze")

    for spec in heavy:
        size = f"{spec.message_count:,}"
        fast = median_ms(lambda s=spec: store.get_recent_context(s.id, BUDGET), 50)
        repeats = plan.slow_repeats if spec.message_count >= 100_000 else 10
        plain = median_ms(
            lambda s=spec: run_bench_query(
                store, "whole_conversation_context", conversation_id=s.id, max_tokens=BUDGET
            ),
            repeats,
        )
        results.add(f"get_recent_context({BUDGET}) at {size} msgs, ms", fast)
        results.add(f"whole-conversation window at {size} msgs, ms", plain)
        results.add(f"speed-up over the window at {size} msgs, x", plain / fast)
        results.add(
            f"get_messages(limit=50) at {size} msgs, ms",
            median_ms(lambda s=spec: store.get_messages(s.id, limit=50), 50),
        )
    first, last = plan.context_sizes[0], plan.context_sizes[-1]
    results.add(
        f"context latency {last:,} vs {first:,} msgs, x",
        results.figures[f"get_recent_context({BUDGET}) at {last:,} msgs, ms"]
        / results.figures[f"get_recent_context({BUDGET}) at {first:,} msgs, ms"],
    )
    measure_branches(store, heavy, results)
    for crowd in crowds:
        user = crowd[0].user_id
        results.add(
            f"list_conversations(limit=20), user with {len(crowd):,} convs, ms",
            median_ms(lambda u=user: store.list_conversations(u, limit=20), 50),
        )
    results.add(
        f"search_conversations, user with {sum(s.message_count for s in heavy):,} msgs, ms",
        median_ms(lambda: store.search_conversations("bench-heavy", dataset.RARE_WORD), 3),
    )
    results.add(
        "search_conversations, user with 20,000 msgs, ms",
        median_ms(lambda: store.search_conversations("bench-small", dataset.RARE_WORD), 10),
    )
    edited = max((s for s in heavy if s.message_count <= 100_000), key=lambda s: s.message_count)
    new_counts = itertools.cycle([7, 8])  # a different count each call, so totals really shift
    results.add(
        "set_message_tokens on the newest message, ms",
        median_ms(
            lambda: store.set_message_tokens(edited.id, edited.message_count, next(new_counts)), 10
        ),
    )
    results.add(
        f"set_message_tokens on the first of {edited.message_count:,} msgs, ms",
        median_ms(lambda: store.set_message_tokens(edited.id, 1, next(new_counts)), 3),
    )


BRANCH_TAIL = 20
"""Messages a branch adds after its fork point in the branch measurements."""
DEEP_FORKS = 5
"""Forks chained one after another in the deep branch."""


def measure_branches(
    store: Store, heavy_specs: list[dataset.ConversationSpec], results: Results
) -> None:
    """Branches of the heavy conversations, already loaded: the time and the
    rows of a fork at the middle (neither should grow with the conversation),
    and the budgeted context of a branch as long as the conversation beside
    the same call on the conversation itself (timed in turn with it), for a
    branch forked ``BRANCH_TAIL`` messages from the end (its context crosses
    the fork point) and for a deep one, ``DEEP_FORKS`` forks chained near the
    end, each adding ``BRANCH_TAIL`` messages.

    Every branch made here is deleted before the next measurement; the heavy
    conversations stay as loaded. (Later measurements count the heavy user's
    conversations, and a branch freezes the messages it shares.)"""
    rows_before = _table_rows(store)
    for spec in heavy_specs:
        made: list[str] = []  # the branches forked from the heavy conversation itself
        try:
            _measure_branches_of(store, spec, made, results)
        finally:
            for branch_id in made:  # each with the branches forked from it (the deep chain)
                store.delete_conversation(branch_id, with_branches=True)
    left = _table_rows(store) - rows_before
    assert left == 0, f"the branch measurements left {left} rows behind"
    first, last = heavy_specs[0].message_count, heavy_specs[-1].message_count
    results.add(
        f"fork time at {last:,} vs {first:,} msgs, x",
        results.figures[f"fork at the middle of {last:,} msgs, ms"]
        / results.figures[f"fork at the middle of {first:,} msgs, ms"],
    )


def _measure_branches_of(
    store: Store, spec: dataset.ConversationSpec, made: list[str], results: Results
) -> None:
    n = spec.message_count
    size = f"{n:,}"

    def fork_at_the_middle() -> None:
        made.append(store.fork_conversation(spec.id, n // 2))

    results.add(f"fork at the middle of {size} msgs, ms", median_ms(fork_at_the_middle, 10))
    before = _table_rows(store)
    fork_at_the_middle()
    results.add(
        f"rows written by the fork at the middle of {size} msgs", _table_rows(store) - before
    )

    tails = _branch_messages(spec)
    near_end = store.fork_conversation(spec.id, n - BRANCH_TAIL)
    made.append(near_end)
    store.add_messages(near_end, next(tails))
    deep = store.fork_conversation(spec.id, n - DEEP_FORKS * BRANCH_TAIL)
    made.append(deep)
    for depth in range(1, DEEP_FORKS + 1):
        store.add_messages(deep, next(tails))
        if depth < DEEP_FORKS:
            deep = store.fork_conversation(deep, n - (DEEP_FORKS - depth) * BRANCH_TAIL)
    for branch_id in (near_end, deep):
        length = store.get_conversation_stats(branch_id)["message_count"]
        assert length == n, f"branch {branch_id} has {length} messages, not {n}"

    linear, branch, chained = paired_medians(
        [
            lambda: store.get_recent_context(spec.id, BUDGET),
            lambda: store.get_recent_context(near_end, BUDGET),
            lambda: store.get_recent_context(deep, BUDGET),
        ],
        50,
    )
    context = f"get_recent_context({BUDGET})"
    forked = f"branch of {size} msgs forked {BRANCH_TAIL} from the end"
    chain = f"branch of {size} msgs {DEEP_FORKS} forks deep"
    results.add(f"{context}, linear conversation of {size} msgs, ms", linear)
    results.add(f"{context}, {forked}, ms", branch)
    results.add(f"{context}, {forked} vs the linear conversation, x", branch / linear)
    results.add(f"{context}, {chain}, ms", chained)
    results.add(f"{context}, {chain} vs the linear conversation, x", chained / linear)


def _table_rows(store: Store) -> int:
    """Rows of the tables a fork may write to (bench/sql/<dialect>/table_rows.sql)."""
    (counts,) = run_bench_query(store, "table_rows")
    return sum(counts.values())


def _branch_messages(spec: dataset.ConversationSpec) -> Iterator[list[dict]]:
    """Batches of ``BRANCH_TAIL`` messages like the dataset's: its sentences,
    its 1-200 token counts, alternating roles."""
    generator = random.Random(f"branch-{spec.id}")
    while True:
        yield [
            {
                "role": "user" if i % 2 else "assistant",
                "content": dataset.sentence(generator),
                "tokens": generator.randint(1, 200),
            }
            for i in range(1, BRANCH_TAIL + 1)
        ]


def paired_medians(calls: list[Callable[[], object]], repeats: int) -> list[float]:
    """The median time of each call, in ms, the calls taken in turn each
    repeat so drift on a shared machine hits them all alike."""
    for call in calls:
        call()  # warm caches and prepared statements
    timings: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for call, times in zip(calls, timings, strict=True):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return [statistics.median(times) for times in timings]


def measure_search(store: Store, plan: Plan, results: Results) -> None:
    """User-scoped ranked search beside the tutorial's ILIKE on the same data."""
    specs = [
        dataset.ConversationSpec(str(uuid.uuid4()), f"bench-search-{n}", plan.search_messages_each)
        for n in range(plan.search_users)
    ]
    started = time.perf_counter()
    loaded = dataset.load(store, specs)
    results.add(
        "search data: bulk load with the search index, messages/s",
        loaded / (time.perf_counter() - started),
    )
    results.add("search data: users x messages each", plan.search_users * plan.search_messages_each)
    run_bench_query(store, "analyze")
    users = itertools.cycle([spec.user_id for spec in specs[:: max(1, len(specs) // 25)]])
    searches = {
        "rare word": (dataset.RARE_WORD, f"%{dataset.RARE_WORD}%"),
        "common word": (dataset.COMMON_WORD, f"%{dataset.COMMON_WORD}%"),
        "phrase": (dataset.PHRASE, f"%{dataset.PHRASE.strip(chr(34))}%"),
    }
    for label, (query, pattern) in searches.items():
        ranked = median_ms(lambda q=query: store.search_messages(next(users), q, limit=20), 50)
        scanned = median_ms(
            lambda p=pattern: run_bench_query(
                store, "ilike_search", user_id=next(users), pattern=p
            ),
            20,
        )
        results.add(f"search_messages, {label}, ms", ranked)
        results.add(f"ILIKE over the user's messages, {label}, ms", scanned)
        results.add(f"search speed-up over ILIKE, {label}, x", scanned / ranked)


def measure_threaded_writes(store: Store, plan: Plan, results: Results) -> None:
    """Appends with several writers. One writer's appends and batches, beside
    their baselines, are bench/writes.py's "writes" table."""
    for threads in (1, 4, 16):
        results.add(f"add_message, {threads} threads, msgs/s", _threaded_rate(store, threads, plan))
    results.add(
        "add_message 16 threads / 1 thread, x",
        results.figures["add_message, 16 threads, msgs/s"]
        / results.figures["add_message, 1 threads, msgs/s"],
    )


def _threaded_rate(store: Store, threads: int, plan: Plan) -> float:
    """Appends per second with ``threads`` writers, each on its own conversation."""
    each = plan.thread_appends // threads
    targets = [store.create_conversation("bench-threads") for _ in range(threads)]
    start_together = threading.Barrier(threads + 1)

    def write(conversation_id: str) -> None:
        start_together.wait()
        for i in range(each):
            store.add_message(conversation_id, "user", f"threaded {i}", tokens=10)

    workers = [threading.Thread(target=write, args=(target,)) for target in targets]
    for worker in workers:
        worker.start()
    start_together.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return each * threads / (time.perf_counter() - started)


CONCURRENT_TASKS = 200
CONCURRENT_THREADS = 16


def measure_concurrency(url: str, plan: Plan, results: Results) -> None:
    """200 asyncio tasks on one AsyncStore beside 16 threads on one Store,
    each on a conversation of its own doing rounds of an append and a
    budgeted context read: operations per second, and the latency of each."""
    with convstore.connect(url, max_size=CONCURRENT_THREADS) as store:
        conversations = [store.create_conversation("bench-async") for _ in range(CONCURRENT_TASKS)]
        rate, latencies = _threaded_rounds(store, conversations, plan.concurrent_rounds)
    _add_concurrency(results, f"sync Store, {CONCURRENT_THREADS} threads", rate, latencies)
    rate, latencies, lags = asyncio.run(_async_rounds(url, conversations, plan.concurrent_rounds))
    label = f"AsyncStore, {CONCURRENT_TASKS} tasks"
    _add_concurrency(results, label, rate, latencies)
    results.add(f"{label}: event loop lag p99, ms", statistics.quantiles(lags, n=100)[98] * 1000)
    if convstore.DatabaseURL.of(url).dialect == POSTGRES:
        rounds = _native_async_rounds(url, conversations, plan.concurrent_rounds)
        rate, latencies = asyncio.run(rounds)
        _add_concurrency(results, f"{NATIVE_ASYNC}, {CONCURRENT_TASKS} tasks", rate, latencies)


def _add_concurrency(results: Results, label: str, rate: float, latencies: list[float]) -> None:
    results.add(f"{label}: append + context, ops/s", rate)
    quantiles = statistics.quantiles(latencies, n=100)
    results.add(f"{label}: p50 latency, ms", quantiles[49] * 1000)
    results.add(f"{label}: p99 latency, ms", quantiles[98] * 1000)


def _round(store: Store, conversation_id: str, latencies: list[float]) -> None:
    for call in (
        lambda: store.add_message(conversation_id, "user", "a concurrent turn", tokens=5),
        lambda: store.get_recent_context(conversation_id, max_tokens=BUDGET),
    ):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)


def _threaded_rounds(
    store: Store, conversations: list[str], rounds: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    work = [conversation for conversation in conversations for _ in range(rounds)]
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENT_THREADS) as threads:
        list(threads.map(lambda conversation: _round(store, conversation, latencies), work))
    return len(latencies) / (time.perf_counter() - started), latencies


async def _async_rounds(
    url: str, conversations: list[str], rounds: int
) -> tuple[float, list[float], list[float]]:
    latencies: list[float] = []
    lags: list[float] = []
    running = True

    async def ticker() -> None:
        """How late a 5 ms timer fires: the event loop's lag."""
        while running:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - started - 0.005)

    async def task(conversation_id: str) -> None:
        for _ in range(rounds):
            for call in (
                lambda: store.add_message(conversation_id, "user", "a concurrent turn", tokens=5),
                lambda: store.get_recent_context(conversation_id, max_tokens=BUDGET),
            ):
                started = time.perf_counter()
                await call()
                latencies.append(time.perf_counter() - started)

    async with await convstore.connect_async(url, max_size=CONCURRENT_THREADS) as store:
        ticking = asyncio.ensure_future(ticker())
        started = time.perf_counter()
        await asyncio.gather(*(task(conversation) for conversation in conversations))
        elapsed = time.perf_counter() - started
        running = False
        await ticking
    return len(latencies) / elapsed, latencies, lags


NATIVE_ASYNC = "native-async ceiling (psycopg AsyncConnectionPool, same 2 statements)"
"""What a native async path on PostgreSQL could reach at best: the two
statements of a round sent straight from an ``AsyncConnectionPool`` of the
same size and settings (a check of each connection handed out), without the
Store's checks and retries. If AsyncStore comes close,
its worker threads are not what limits throughput."""


async def _native_async_rounds(
    url: str, conversations: list[str], rounds: int
) -> tuple[float, list[float]]:
    append, context = (queries_of(POSTGRES)[name] for name in ("append_message", "recent_context"))
    message = validation.message(role="user", content="a concurrent turn", tokens=5)
    latencies: list[float] = []

    async def task(pool: AsyncConnectionPool, conversation_id: str) -> None:
        for _ in range(rounds):
            for query, params in (
                (append, {**message, "conversation_id": conversation_id, "user_id": None}),
                (
                    context,
                    {
                        "conversation_id": conversation_id,
                        "user_id": None,
                        "max_tokens": BUDGET,
                        "keep_tool_groups": True,
                    },
                ),
            ):
                started = time.perf_counter()
                async with pool.connection() as connection:
                    await (
                        await connection.execute(query.statement, bind(query, params))
                    ).fetchall()
                latencies.append(time.perf_counter() - started)

    conninfo = convstore.DatabaseURL.of(url).conninfo
    async with AsyncConnectionPool(
        conninfo,
        min_size=CONCURRENT_THREADS,
        max_size=CONCURRENT_THREADS,
        kwargs={"autocommit": True},
        check=AsyncConnectionPool.check_connection,  # as convstore's pool does
        open=False,
    ) as pool:
        started = time.perf_counter()
        await asyncio.gather(*(task(pool, conversation) for conversation in conversations))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


# -- databases and the report ----------------------------------------------------------------


def scratch_postgres(suffix: str = "") -> tuple[str, Callable[[], None]]:
    name = f"convstore_bench_{os.getpid()}{suffix}"
    admin = psycopg.connect(ADMIN_URL, autocommit=True)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()

    return urlsplit(ADMIN_URL)._replace(path=f"/{name}").geturl(), drop


def run_dialect(dialect: str, plan: Plan) -> Results:
    results = Results(dialect)
    with tempfile.TemporaryDirectory() as folder:
        if dialect == SQLITE:
            url, cleanup = f"sqlite:///{folder}/bench.db", lambda: None
        else:
            url, cleanup = scratch_postgres()
        try:
            # Bulk loads of a million rows outlast the default 30 s statement timeout.
            with convstore.connect(url, migrate=True, max_size=16, statement_timeout=3600) as store:
                measure_threaded_writes(store, plan, results)
                measure_reads(store, plan, results)
                measure_search(store, plan, results)
            measure_concurrency(url, plan, results)
        finally:
            cleanup()
        langgraph_turns.measure(
            _fresh_databases(dialect, folder),
            plan.langgraph_lengths,
            plan.langgraph_turns,
            results.add,
        )
    return results


def _fresh_databases(dialect: str, folder: str) -> Callable[[], AbstractContextManager[str]]:
    """A context manager giving the URL of a new migrated database each time."""
    count = itertools.count()

    @contextmanager
    def fresh() -> Iterator[str]:
        number = next(count)
        if dialect == SQLITE:
            url, cleanup = f"sqlite:///{folder}/fresh-{number}.db", lambda: None
        else:
            url, cleanup = scratch_postgres(f"_{number}")
        try:
            convstore.migrate(url)
            yield url
        finally:
            cleanup()

    return fresh


def write_report(all_results: list[Results], plan: Plan, quick: bool, folder: Path) -> str:
    names = list(dict.fromkeys(name for r in all_results for name in r.figures))
    lines = [
        f"# convstore benchmark ({'quick' if quick else 'full'} run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Machine: {os.cpu_count()} cores. Medians of repeated runs; ratios are from this run.",
        "",
        "| figure | " + " | ".join(r.dialect for r in all_results) + " |",
        "|---|" + "---:|" * len(all_results),
    ]
    for name in names:
        cells = [f"{r.figures[name]:,.3f}" if name in r.figures else "" for r in all_results]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak memory of the benchmark process: {peak:,.0f} MiB.", ""]
    report = "\n".join(lines)
    suffix = "-quick" if quick else ""
    (folder / f"results{suffix}.md").write_text(report)
    (folder / f"results{suffix}.json").write_text(
        json.dumps(
            {
                "plan": asdict(plan),
                "peak_memory_mib": peak,
                "results": {r.dialect: r.figures for r in all_results},
            },
            indent=2,
        )
    )
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    parser.add_argument("--dialect", choices=(SQLITE, POSTGRES), action="append")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results files")
    arguments = parser.parse_args(argv)
    plan = QUICK if arguments.quick else FULL
    all_results = [
        run_dialect(dialect, plan) for dialect in arguments.dialect or (SQLITE, POSTGRES)
    ]
    print()
    print(write_report(all_results, plan, arguments.quick, arguments.out))


if __name__ == "__main__":
    main()

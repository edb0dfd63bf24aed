"""The async API: :class:`AsyncStore`, every :class:`Store` method as an
``async def`` twin of the same name, arguments, results, errors and semantics.

One copy of the logic: each twin runs the sync method in convstore's own
worker threads, never on the event loop's thread. Outside a transaction a
call takes any worker of a pool sized to the connection pool; ``async with
store.transaction():`` holds one thread of its own for the whole block (the
sync transaction belongs to a thread), so the block's calls, ``await``\\ s
between them included, are one transaction.

Cancelling an ``await`` never leaves work half-done: the call already handed
to a thread finishes there, whole (an append is stored or not, as if the
cancellation came a moment later), and a transaction block cancelled before it
ends rolls back, on its own thread, after the call in flight (even when the
cancellation lands while BEGIN runs). Either way the cancelled task sees
:class:`asyncio.CancelledError` at once.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AbstractContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..db.base import Tracer
from ..errors import ConfigurationError, DatabaseUnavailable, InvalidInput
from ..validation import Limits, show
from .store import Store

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(eq=False)
class _Transaction:
    """The thread an open transaction runs on, and the task that opened it."""

    thread: Executor
    task: asyncio.Task[Any] | None
    open: bool = True


@dataclass(eq=False)
class _Workers:
    """The threads the calls of one store and its user-scoped views run on."""

    pool: ThreadPoolExecutor
    transaction: ContextVar[_Transaction | None] = field(
        default_factory=lambda: ContextVar("convstore-transaction-thread", default=None)
    )
    """The transaction open in this task (or the task that started it), if any."""
    closed: bool = False


async def _succeeds(work: asyncio.Future[Any]) -> bool:
    """Wait for ``work`` to end, whatever cancels the waiting; whether it succeeded."""
    while not work.done():
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            continue
        except BaseException:
            break
    return not work.cancelled() and work.exception() is None


def _twin(
    method: Callable[Concatenate[Store, P], R],
) -> Callable[Concatenate[AsyncStore, P], Coroutine[Any, Any, R]]:
    """The ``async def`` twin of a :class:`Store` method: the same call, run
    in a worker thread (the transaction's, inside one)."""

    @functools.wraps(method)
    async def twin(self: AsyncStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        bound = getattr(self.sync_store, method.__name__)
        return await self._in_thread(functools.partial(bound, *args, **kwargs))

    return twin


class AsyncStore:
    """Conversations and their messages in one database, for ``asyncio``.

    Every method of :class:`Store` is here as a coroutine (``await
    store.add_message(...)``) with the same arguments, results and errors,
    except: ``transaction()`` and ``snapshot()`` are async context managers,
    ``close()`` is :meth:`aclose`, and ``connection()`` (a driver connection
    for SQL of your own, which belongs to one thread) is not offered: run
    your named queries with ``await store.run(name, ...)``. Use it as ``async with``, or call
    :meth:`aclose`, to release the connections and threads.
    """

    def __init__(self, store: Store, *, workers: int | None = None) -> None:
        """Wrap ``store``; ``workers`` threads (default: as many as the pool
        has connections) run the calls made outside a transaction.

        :raises ConfigurationError: if ``store`` is not a :class:`Store` or
            ``workers`` is not a whole number of at least 1.
        """
        if not isinstance(store, Store):
            raise ConfigurationError(f"store must be a convstore Store, not {show(store)}")
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise ConfigurationError(f"workers must be a whole number >= 1, not {show(workers)}")
        self.sync_store = store
        """The :class:`Store` each call runs on (its methods block: not for the event loop)."""
        self._workers = _Workers(
            ThreadPoolExecutor(
                workers or store.database.max_connections, thread_name_prefix="convstore"
            )
        )

    def for_user(self, user_id: str) -> AsyncStore:
        """A view limited to ``user_id``, as :meth:`Store.for_user` (no I/O).

        :raises InvalidInput: for a bad user id, or on a view, for another user.
        """
        view = copy.copy(self)  # the same threads
        view.sync_store = self.sync_store.for_user(user_id)
        return view

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return self.sync_store.dialect

    @property
    def limits(self) -> Limits:
        return self.sync_store.limits

    @property
    def user_id(self) -> str | None:
        """The only owner this store's calls can reach, or ``None``."""
        return self.sync_store.user_id

    run = _twin(Store.run)
    create_conversation = _twin(Store.create_conversation)
    ensure_conversation = _twin(Store.ensure_conversation)
    update_conversation = _twin(Store.update_conversation)
    add_message = _twin(Store.add_message)
    add_messages = _twin(Store.add_messages)
    set_message_tokens = _twin(Store.set_message_tokens)
    replace_message = _twin(Store.replace_message)
    delete_message = _twin(Store.delete_message)
    delete_messages = _twin(Store.delete_messages)
    pop_message = _twin(Store.pop_message)
    delete_conversation = _twin(Store.delete_conversation)
    fork_conversation = _twin(Store.fork_conversation)
    edit_message = _twin(Store.edit_message)
    regenerate = _twin(Store.regenerate)
    get_branch = _twin(Store.get_branch)
    list_branches = _twin(Store.list_branches)
    get_conversation_tree = _twin(Store.get_conversation_tree)
    set_active_branch = _twin(Store.set_active_branch)
    delete_user_data = _twin(Store.delete_user_data)
    purge_conversations = _twin(Store.purge_conversations)
    import_conversation = _twin(Store.import_conversation)
    get_conversation = _twin(Store.get_conversation)
    get_message = _twin(Store.get_message)
    get_messages = _twin(Store.get_messages)
    get_message_fingerprints = _twin(Store.get_message_fingerprints)
    get_attachment = _twin(Store.get_attachment)
    list_conversations = _twin(Store.list_conversations)
    list_users = _twin(Store.list_users)
    get_recent_context = _twin(Store.get_recent_context)
    search_messages = _twin(Store.search_messages)
    search_conversations = _twin(Store.search_conversations)
    index_pending_search = _twin(Store.index_pending_search)
    find_messages = _twin(Store.find_messages)
    find_messages_by_metadata = _twin(Store.find_messages_by_metadata)
    find_conversations_by_metadata = _twin(Store.find_conversations_by_metadata)
    get_user_stats = _twin(Store.get_user_stats)
    get_conversation_stats = _twin(Store.get_conversation_stats)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncStore]:
        """:meth:`Store.transaction` across ``await``\\ s: the calls of this
        task (and of tasks it starts) inside the block are one atomic unit,
        committed when the outermost block ends, rolled back if it raises or
        is cancelled before it ends. Blocks nest (as savepoints), opened by
        the task that opened the outermost one.

        A block cancelled while it commits finishes committing on its
        thread: the cancelled caller cannot tell whether it was committed
        (as after a lost answer; read back, or use idempotency keys).

        :raises InvalidInput: for a nested block opened by another task than
            the one whose transaction is open (their savepoints would interleave).
        """
        async with self._on_one_thread(self.sync_store.transaction):
            yield self

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncStore]:
        """:meth:`Store.snapshot` across ``await``\\ s: the reads of this task
        inside the block see one snapshot, on one thread of its own, as a
        :meth:`transaction` block's calls do.

        :raises InvalidInput: as :meth:`transaction`.
        """
        async with self._on_one_thread(self.sync_store.snapshot):
            yield self

    @asynccontextmanager
    async def _on_one_thread(
        self, open_block: Callable[[], AbstractContextManager[Any]]
    ) -> AsyncIterator[None]:
        """Run the sync block ``open_block()`` opens, and the calls made
        inside it, on one thread: entered and ended there, whatever cancels
        the task (see :meth:`transaction`)."""
        async with self._transaction_thread():
            block = open_block()
            entering = asyncio.ensure_future(self._in_thread(block.__enter__))
            try:
                await asyncio.shield(entering)
            except asyncio.CancelledError as cancelled:
                # BEGIN may have run (or will): the block is ended on its thread.
                if not await _succeeds(entering):
                    raise
                await self._ending(block, cancelled)
                raise
            try:
                yield
            except BaseException as error:
                await self._ending(block, error)
                raise
            await self._ending(block, None)

    async def _ending(
        self, block: AbstractContextManager[Any], error: BaseException | None
    ) -> None:
        """End the sync block on its thread: commit, or roll back for
        ``error``. Shielded: a second cancellation while it runs cannot
        leave the transaction open (the thread finishes it)."""
        ending = functools.partial(
            block.__exit__,
            type(error) if error else None,
            error,
            error.__traceback__ if error else None,
        )
        await asyncio.shield(self._in_thread(ending))

    @asynccontextmanager
    async def _transaction_thread(self) -> AsyncIterator[None]:
        """One thread for an outermost transaction block (a nested block
        uses its parent's)."""
        held = self._held()
        if held is not None:
            if held.task is not asyncio.current_task():
                raise InvalidInput(
                    "a nested transaction block must be opened by the task that opened the "
                    "transaction; a task it started may call the store inside it, not open blocks"
                )
            yield
            return
        thread = ThreadPoolExecutor(1, thread_name_prefix="convstore-transaction")
        transaction = _Transaction(thread, asyncio.current_task())
        token = self._workers.transaction.set(transaction)
        try:
            yield
        finally:
            transaction.open = False
            self._workers.transaction.reset(token)
            thread.shutdown(wait=False)  # after what was handed to it

    def _held(self) -> _Transaction | None:
        """The transaction this task's calls join: none once its block has
        ended (a task started in the block that outlives it runs outside)."""
        held = self._workers.transaction.get()
        return held if held is not None and held.open else None

    def tracer(self, trace: Tracer) -> AbstractContextManager[None]:
        """:meth:`Store.tracer` (it does no I/O): ``with store.tracer(print): ...``."""
        return self.sync_store.tracer(trace)

    async def _in_thread(self, call: Callable[[], R]) -> R:
        """:raises DatabaseUnavailable: once the store is closed (as the sync one)."""
        held = self._held()
        if self._workers.closed:
            raise DatabaseUnavailable("this store is closed")
        thread = held.thread if held is not None else self._workers.pool
        return await asyncio.get_running_loop().run_in_executor(thread, call)

    async def aclose(self) -> None:
        """Close the connections and stop the threads (a view leaves both to
        its store); closing again does nothing."""
        if self.user_id is None and not self._workers.closed:
            self._workers.closed = True
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._workers.pool, self.sync_store.close)
            finally:
                self._workers.pool.shutdown(wait=False)

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

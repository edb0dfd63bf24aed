"""An :class:`~convstore.AsyncStore` driven from synchronous test code, so the
contract suite's test bodies run against the async API unchanged."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from convstore import AsyncStore


class BlockingAsyncStore:
    """Each method of the wrapped AsyncStore as a blocking call: the coroutine
    runs on an event loop in a thread of its own, every call in one context,
    so that ``with store.transaction():`` spans the calls of its block as
    ``async with`` spans ``await``s."""

    def __init__(self, store: AsyncStore) -> None:
        self.async_store = store
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._context = contextvars.copy_context()

    def _wait(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def finish(task: asyncio.Task[Any]) -> None:
            if task.cancelled():
                done.cancel()
            elif task.exception() is not None:
                done.set_exception(task.exception())
            else:
                done.set_result(task.result())

        def start() -> None:
            self._loop.create_task(coroutine, context=self._context).add_done_callback(finish)

        self._loop.call_soon_threadsafe(start)
        return done.result()

    def __getattr__(self, name: str) -> Any:
        member = getattr(self.async_store, name)
        if not inspect.iscoroutinefunction(member):
            return member  # properties, the tracer
        return lambda *args, **kwargs: self._wait(member(*args, **kwargs))

    @contextmanager
    def transaction(self) -> Iterator[BlockingAsyncStore]:
        block = self.async_store.transaction()
        self._wait(block.__aenter__())
        try:
            yield self
        except BaseException as error:
            self._wait(block.__aexit__(type(error), error, error.__traceback__))
            raise
        self._wait(block.__aexit__(None, None, None))

    def for_user(self, user_id: str) -> BlockingAsyncStore:
        view = BlockingAsyncStore.__new__(BlockingAsyncStore)
        view.__dict__.update(self.__dict__, async_store=self.async_store.for_user(user_id))
        return view

    def close(self) -> None:
        self._wait(self.async_store.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

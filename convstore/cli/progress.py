"""The progress bar of a long import, on standard error when it is a terminal."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from types import TracebackType
from typing import IO

from tqdm import tqdm

from ..transfer.formats import OpenedSource


def export_progress(conversation_ids: Iterable[str]) -> int:
    """Exhaust an export's iterator of the conversations it wrote, with a
    count on standard error when it is a terminal; how many it wrote."""
    shown = tqdm(
        conversation_ids,
        desc="exporting",
        unit="conversation",
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
    )
    return sum(1 for _ in shown)


class ImportProgress:
    """A tqdm bar over the bytes of the file read (compressed bytes for a
    gzip file), or over the conversations imported when the file is not
    read as a stream (an ``llm`` database, standard input). Not shown when
    standard error is not a terminal."""

    def __init__(self, opened: OpenedSource, source: IO[bytes]) -> None:
        self.source = source
        self.by_bytes = opened.format != "llm" and source.seekable()
        found = os.fstat(source.fileno()) if self.by_bytes else None
        total = found.st_size if found is not None and stat.S_ISREG(found.st_mode) else None
        self.bar = tqdm(
            total=total,
            desc="importing",
            unit="B" if self.by_bytes else opened.unit,
            unit_scale=self.by_bytes,
            disable=not sys.stderr.isatty(),
            file=sys.stderr,
        )

    def advance(self) -> None:
        """Show that one more entry of the source is done."""
        if self.by_bytes:
            self.bar.update(self.source.tell() - self.bar.n)
        else:
            self.bar.update(1)

    def write(self, line: str) -> None:
        """``line`` on standard error, above the bar."""
        self.bar.write(line, file=sys.stderr)

    def __enter__(self) -> ImportProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.bar.close()

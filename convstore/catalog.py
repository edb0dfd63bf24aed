"""Every named query of a dialect, loaded once from ``sql/<dialect>/``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from .errors import QueryFileError
from .resources import sql_dir
from .sqlfile import Query, load_query
from .validation import query_parameter, report_parameter

REPORTS = "reports"
"""The subfolder of analysts' reports, named and called like every other query."""


@cache
def queries_of(dialect: str) -> Mapping[str, Query]:
    """The dialect's queries by name (the file name without ``.sql``), the
    reports included, read on first use (:func:`queries_in`)."""
    return queries_in(sql_dir(dialect), dialect)


def queries_in(folder: Path, dialect: str) -> Mapping[str, Query]:
    """The queries of ``folder`` and of its ``reports`` subfolder, by name.

    :raises QueryFileError: for a file that does not parse, or a report named
        like a query (one name would silently hide the other).
    """
    queries: dict[str, Query] = {}
    for path in sorted(folder.glob("*.sql")) + sorted((folder / REPORTS).glob("*.sql")):
        if path.stem in queries:
            raise QueryFileError(
                f"{path}: a query named {path.stem!r} exists already ({queries[path.stem].path}); "
                "rename one of them"
            )
        label = f"sql/{path.relative_to(folder.parent)}"
        queries[path.stem] = load_query(path, dialect, path.stem, label=label)
    return MappingProxyType(queries)


def report_names(dialect: str) -> list[str]:
    return sorted(path.stem for path in (sql_dir(dialect) / REPORTS).glob("*.sql"))


def bind(query: Query, params: Mapping[str, object]) -> dict[str, object]:
    """The parameters ``query`` takes, checked against its file: a missing or
    unknown name is a programming error (``TypeError``), not bad user input.
    Every value is read as :func:`~convstore.validation.query_parameter`
    (a report's as :func:`~convstore.validation.report_parameter`) reads it,
    whoever the caller, so both databases get the same value.

    :raises InvalidInput: for a value it cannot read."""
    given = set(params)
    expected = set(query.parameters)
    if given != expected:
        missing = ", ".join(sorted(expected - given)) or "none"
        unknown = ", ".join(sorted(given - expected)) or "none"
        raise TypeError(
            f"query {query.name} ({query.path}) takes {', '.join(query.parameters) or 'no parameters'}; "
            f"missing: {missing}; unknown: {unknown}"
        )
    if query.path.parent.name == REPORTS:
        return {name: report_parameter(name, value) for name, value in params.items()}
    return {name: query_parameter(name, value) for name, value in params.items()}

"""Every named query of a dialect, loaded once from ``sql/<dialect>/``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from .resources import sql_dir
from .sqlfile import Query, load_query
from .validation import query_parameter, report_parameter

REPORTS = "reports"
"""The subfolder of analysts' reports, named and called like every other query."""


@cache
def queries_of(dialect: str) -> Mapping[str, Query]:
    """The dialect's queries by name (the file name without ``.sql``), the
    reports included, read on first use."""
    folder = sql_dir(dialect)
    paths = sorted(folder.glob("*.sql")) + sorted((folder / REPORTS).glob("*.sql"))
    queries = {
        path.stem: load_query(
            path, dialect, path.stem, label=f"sql/{path.relative_to(folder.parent)}"
        )
        for path in paths
    }
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

"""Every SQL file of the package, loaded once per dialect, by name.

One convention, in ``sql/<dialect>/`` (and ``sql/transfer/<dialect>/``):

- ``*.sql``: the queries of the API, named by the file (``append_message``);
- ``reports/*.sql``: analysts' reports, named and called like those queries;
- ``<namespace>/*.sql``: the statements of one part of the package, named
  ``<namespace>.<file>`` (``legacy.messages``, ``migrate.take_migration_lock``).
  They are not public queries: the Store's ``run`` and
  :mod:`convstore.queries` do not offer them.

``sql/sqlite/`` and ``sql/postgres/`` hold the same names. The transfer's
statements go one way -- it reads SQLite and writes PostgreSQL -- so they live
apart, each side in ``sql/transfer/<dialect>/``, named ``transfer.<file>``
(``transfer.copy_messages``) in that dialect's catalogue. The statements that
read another program's SQLite database live in ``sql/sources/<source>/``, named
``<source>.<file>`` (``llm.responses``) in the SQLite catalogue only
(:data:`SQLITE_SOURCES`).

A Citus coordinator runs the PostgreSQL catalogue with ``sql/citus/`` over it
(:func:`citus_catalogue`): there, ``*.sql`` are Citus's versions of the
queries it cannot run as PostgreSQL's files write them (each file says why),
and ``distribute/*.sql`` the statements that distribute the tables
(:mod:`convstore.distribute`), named ``distribute.<file>``.

A name is held by one file only: a duplicate is refused, never resolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from ..errors import QueryFileError
from ..types import POSTGRES, SQLITE
from ..validation import query_parameter, reads_parameter, report_parameter
from .parser import Query, load_query
from .resources import citus_dir, source_dir, sql_dir, transfer_dir

REPORTS = "reports"
"""The subfolder of analysts' reports, named and called like every other query."""

SQLITE_SOURCES = ("llm",)
"""The other programs' SQLite databases convstore reads, by their folder in
``sql/sources/`` (``llm``: :mod:`convstore.transfer.llm_logs`)."""


@cache
def catalogue(dialect: str) -> Mapping[str, Query]:
    """Every statement of the dialect by name, public and namespaced (the
    transfer's side of it included, and on SQLite the readers of
    :data:`SQLITE_SOURCES`), read on first use (:func:`queries_in`)."""
    elsewhere = {"transfer": transfer_dir(dialect)}
    if dialect == SQLITE:
        elsewhere.update((source, source_dir(source)) for source in SQLITE_SOURCES)
    return queries_in(sql_dir(dialect), dialect, elsewhere)


@cache
def citus_catalogue() -> Mapping[str, Query]:
    """The PostgreSQL catalogue as a Citus coordinator runs it: each query of
    ``sql/citus/*.sql`` in place of PostgreSQL's of the same name, and the
    statements of ``sql/citus/distribute/``.

    :raises QueryFileError: for a file of ``sql/citus/*.sql`` that names no
        PostgreSQL query, or takes other parameters than the query it
        replaces (a caller of the query must not need to know which one runs).
    """
    postgres = catalogue(POSTGRES)
    versions = queries_in(citus_dir(), POSTGRES)
    for name, version in versions.items():
        if not is_public(name):
            continue
        replaced = postgres.get(name)
        if replaced is None:
            raise QueryFileError(f"{version.path}: Citus's version of a query PostgreSQL has not")
        if set(version.parameters) != set(replaced.parameters):
            raise QueryFileError(
                f"{version.path}: takes {', '.join(version.parameters) or 'no parameters'}, "
                f"but {replaced.path} takes {', '.join(replaced.parameters) or 'none'}"
            )
    return MappingProxyType({**postgres, **versions})


@cache
def queries_of(dialect: str) -> Mapping[str, Query]:
    """The dialect's public queries by name (the file name without ``.sql``),
    the reports included."""
    return MappingProxyType(
        {name: query for name, query in catalogue(dialect).items() if is_public(name)}
    )


def is_public(name: str) -> bool:
    """True for a query of the API or a report; false for a namespaced statement."""
    return "." not in name


def queries_in(
    folder: Path, dialect: str, namespaces_elsewhere: Mapping[str, Path] | None = None
) -> Mapping[str, Query]:
    """The statements of ``folder`` by name, as the module docstring lays them
    out, and those of each folder of ``namespaces_elsewhere`` (namespace name:
    folder), named as a subfolder's would be.

    :raises QueryFileError: for a file that does not parse, a file name
        with a dot (the dot separates a namespace), or a name two files would
        hold (a report named like a query, say: one would silently hide the
        other).
    """
    files = [(path.stem, path) for path in sorted(folder.glob("*.sql"))]
    files += [(path.stem, path) for path in sorted((folder / REPORTS).glob("*.sql"))]
    namespaces = {p.name: p for p in folder.iterdir() if p.is_dir() and p.name != REPORTS}
    for name in set(namespaces) & set(namespaces_elsewhere or {}):
        raise QueryFileError(f"{namespaces[name]}: the {name} statements live elsewhere")
    for name, namespace in sorted({**namespaces, **(namespaces_elsewhere or {})}.items()):
        files += [(f"{name}.{p.stem}", p) for p in sorted(namespace.glob("*.sql"))]
    queries: dict[str, Query] = {}
    for name, path in files:
        if "." in path.stem:
            raise QueryFileError(f"{path}: a query's file name has no dot but its .sql")
        if name in queries:
            raise QueryFileError(
                f"{path}: a query named {name!r} exists already ({queries[name].path}); "
                "rename one of them"
            )
        label = f"sql/{path.relative_to(folder.parent)}"
        queries[name] = load_query(path, dialect, name, label=label)
    return MappingProxyType(queries)


def report_names(dialect: str) -> list[str]:
    """The names of the dialect's reports, sorted."""
    reports = catalogue(dialect).values()
    return sorted(query.name for query in reports if query.path.parent.name == REPORTS)


def bind(query: Query, params: Mapping[str, object]) -> dict[str, object]:
    """The parameters ``query`` takes, checked against its file: a missing or
    unknown name is a programming error (``TypeError``), not bad user input.
    Every value is read as :func:`~convstore.validation.query_parameter`
    (a report's as :func:`~convstore.validation.report_parameter`) reads it,
    whoever the caller, so both databases get the same value.

    :raises InvalidInput: for a value it cannot read."""
    expected, read = _parameters_of(query.parameters)
    if params.keys() != expected:
        given = set(params)
        missing = ", ".join(sorted(expected - given)) or "none"
        unknown = ", ".join(sorted(given - expected)) or "none"
        raise TypeError(
            f"query {query.name} ({query.path}) takes {', '.join(query.parameters) or 'no parameters'}; "
            f"missing: {missing}; unknown: {unknown}"
        )
    if query.path.parent.name == REPORTS:
        return {name: report_parameter(name, value) for name, value in params.items()}
    bound = dict(params)
    for name in read:
        bound[name] = query_parameter(name, params[name])
    return bound


@cache
def _parameters_of(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """A statement's parameter names, and those :func:`query_parameter` reads
    (the others it passes as given): worked out once per statement."""
    return frozenset(names), tuple(name for name in names if reads_parameter(name))

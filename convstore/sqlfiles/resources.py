"""Where the SQL files and migrations are.

An installed wheel carries them inside the package (``convstore/sql``,
``convstore/migrations``); a source checkout keeps them at the top of the
repository, where DBAs and analysts open them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # convstore/


def _locate(folder: str) -> Path:
    for candidate in (_PACKAGE / folder, _PACKAGE.parent / folder):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"convstore's {folder}/ folder is missing; reinstall the package")


def sql_dir(dialect: str) -> Path:
    return _locate("sql") / dialect


def transfer_dir(dialect: str) -> Path:
    """The transfer's statements on the ``dialect`` side (``sql/transfer/<dialect>/``)."""
    return _locate("sql") / "transfer" / dialect


def citus_dir() -> Path:
    """Citus's versions of PostgreSQL's queries, and the statements that
    distribute the tables (``sql/citus/``, :func:`convstore.sqlfiles.catalog.citus_catalogue`)."""
    return _locate("sql") / "citus"


def source_dir(source: str) -> Path:
    """The statements that read another program's SQLite database
    (``sql/sources/<source>/``: ``llm``, simonw/llm's ``logs.db``)."""
    return _locate("sql") / "sources" / source


def migrations_dir(dialect: str) -> Path:
    return _locate("migrations") / dialect

"""Data in and out: the SQLite to PostgreSQL transfer, JSONL export and import,
and the import of the tutorial's databases."""

from .sqlite_to_postgres import TransferReport, transfer, verify_transfer

__all__ = ["TransferReport", "transfer", "verify_transfer"]

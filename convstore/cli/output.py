"""Rows printed for people (an aligned table) or for programs (CSV, JSON)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from typing import Any, TextIO


def print_rows(rows: list[dict[str, Any]], style: str, out: TextIO) -> None:
    """Print ``rows`` as ``table``, ``csv`` or ``json``."""
    if style == "json":
        json.dump(rows, out, default=_text, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    columns = list(rows[0]) if rows else []
    cells = [[_text(row[column]) for column in columns] for row in rows]
    if style == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(cells)
        return
    widths = [
        max([len(column)] + [len(row[i]) for row in cells]) for i, column in enumerate(columns)
    ]
    for line in [columns, ["-" * width for width in widths], *cells]:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        out.write("\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)

"""PostgreSQL's ``jsonb @>`` containment, for SQLite.

The rules (PostgreSQL documentation, "jsonb Containment and Existence",
section 8.14.3, and its ``JsonbDeepContains``): an object contains another if
it has each of its keys with a value that contains that key's value; an array
contains another if each scalar of the other is one of its scalars and each
object or array of the other is contained by one of its objects or arrays
(order and duplicates do not matter: ``["a", "b"]`` contains ``["b", "b"]``);
a scalar contains an equal scalar of the same JSON type (numbers by value,
exactly: ``1`` is ``1.0``, ``10**22 + 1`` is not ``10**22``; ``true`` is not
``1``). A filter is always an object, so PostgreSQL's one exception (a
top-level array contains a scalar it holds) never arises.

A scalar of the filter is looked up in a set of the stored array's scalars;
only objects and arrays inside arrays are matched pair by pair (as
PostgreSQL's own code does), where a recursive SQL query matched every pair
of nodes again at each level.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def contains_json(stored: str | None, wanted: str | None) -> bool | None:
    """Whether the JSON text ``stored`` contains the JSON text ``wanted``
    (``None`` when either is ``None``, as SQL's NULL)."""
    if stored is None or wanted is None:
        return None
    return _contains(_parsed(stored), _parsed(wanted))


def _parsed(text: str) -> Any:
    return json.loads(text, parse_int=Decimal, parse_float=Decimal)


def _contains(stored: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(stored, dict) and all(
            key in stored and _contains(stored[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        if not isinstance(stored, list):
            return False
        scalars = {_scalar_key(item) for item in stored if not isinstance(item, (dict, list))}
        containers = [item for item in stored if isinstance(item, (dict, list))]
        return all(
            any(_contains(candidate, item) for candidate in containers)
            if isinstance(item, (dict, list))
            else _scalar_key(item) in scalars
            for item in wanted
        )
    return not isinstance(stored, (dict, list)) and _scalar_key(stored) == _scalar_key(wanted)


def _scalar_key(value: Any) -> tuple[str, Any]:
    """A JSON scalar with its type, so that ``true`` never equals ``1`` (as
    Python's ``True == 1`` would); equal numbers have equal keys."""
    return (type(value).__name__, value)

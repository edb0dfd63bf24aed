"""JSON Merge Patch (RFC 7396), for ``Store.update_conversation``.

The rule (RFC 7396, section 2): a patch that is an object changes the target
key by key -- a ``null`` value removes the key, an object value patches the
key's value the same way (a target value that is not an object is first
replaced by ``{}``), any other value replaces it; a patch that is not an object
replaces the target whole. Arrays are values like any other: replaced, never
merged. Applied in Python so that both databases follow one copy of the rule
(SQLite's ``json_patch()`` implements it, PostgreSQL has no equivalent).
"""

from __future__ import annotations

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` applied; neither argument is changed."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged

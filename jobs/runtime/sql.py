"""Values into Spark SQL text (Delta predicates) only as escaped literals, never pasted raw.

A run id such as ``x' OR '1'='1`` must select nothing but the run of that
name: :func:`sql_literal` quotes and escapes it, and every predicate the
jobs build goes through it.
"""

from __future__ import annotations


def sql_literal(value: str) -> str:
    """``value`` as a Spark SQL string literal: quoted, backslashes and quotes escaped."""
    if not isinstance(value, str):
        raise TypeError(f"sql_literal takes text, got {type(value).__name__}")
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"

"""Comparison-level helpers shared by every model's settings."""

from __future__ import annotations


def fixed_m(level, m: float):
    """A level whose m is known from the domain, not learned by EM."""
    return level.configure(m_probability=m, fix_m_probability=True)


def fixed_mu(level, m: float, u: float):
    """A level kept as weak evidence by design: both m and u fixed."""
    return level.configure(
        m_probability=m, u_probability=u, fix_m_probability=True, fix_u_probability=True
    )


def jaccard_at_least_sql(column: str, share: float) -> str:
    """Jaccard of two word sets >= share, in Spark SQL that sqlglot carries to DuckDB.

    |A n B| / |A u B| >= s  <=>  |A n B| * (1 + s) >= s * (|A| + |B|), the sets
    being distinct: no division, and the intersection computed once.
    """
    common = f"size(array_intersect({column}_l, {column}_r))"
    return f"{common} * {1 + share:g} >= {share:g} * (size({column}_l) + size({column}_r))"

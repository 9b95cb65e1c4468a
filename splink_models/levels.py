"""Comparison-level helpers shared by every model's settings."""

from __future__ import annotations

import splink.comparison_level_library as cll


def fixed_m(level, m: float):
    """A level whose m is known from the domain, not learned by EM."""
    return level.configure(m_probability=m, fix_m_probability=True)


def fixed_u(level, u: float):
    """A level whose u is known from the domain: m is learned, u is not sampled."""
    return level.configure(u_probability=u, fix_u_probability=True)


def fixed_mu(level, m: float, u: float):
    """A level kept as weak evidence by design: both m and u fixed."""
    return level.configure(
        m_probability=m, u_probability=u, fix_m_probability=True, fix_u_probability=True
    )


def overlap_sql(column: str, at_least: int = 1) -> str:
    """The two sides' arrays of ``column`` share at least ``at_least`` values (Spark SQL)."""
    return f"size(array_intersect({column}_l, {column}_r)) >= {at_least}"


def jaccard_at_least_sql(column: str, share: float) -> str:
    """Jaccard of two word sets >= share, in Spark SQL that sqlglot carries to DuckDB.

    |A n B| / |A u B| >= s  <=>  |A n B| * (1 + s) >= s * (|A| + |B|), the sets
    being distinct: no division, and the intersection computed once.
    """
    common = f"size(array_intersect({column}_l, {column}_r))"
    return f"{common} * {1 + share:g} >= {share:g} * (size({column}_l) + size({column}_r))"


# (m, u) of "title numbers differ", both fixed. m: how often two records of one
# recording (or work) name different numbers in its title, i.e. a catalog's
# slip ("Part 2" for "Part 1"), about 1 in 1,000. u is fixed too, because the
# u random sampling would learn is the wrong one here: two random titles seldom
# both name a number (u ~ 1e-3 on real catalogs, unobserved on a sample without
# numbered titles, where Splink then takes 1e-6), which would make a different
# number count *for* a match. What the level says is "these are different
# songs", as the title's else level does, so u is about the else level's: most
# non-matching pairs that reach it name another song. log2(0.001 / 0.9): about
# -9.8 bits, more than an exact artist and duration add up to above the prior,
# so two records that differ only by a number stay below any threshold.
NUMBERS_DIFFER_M_U = (0.001, 0.9)


def numbers_differ_sql(column: str = "title_numbers") -> str:
    """Both sides name numbers, and neither's numbers are all among the other's.

    "Part 1" / "Part 2" and "Op. 27 No. 1" / "Op. 27 No. 2" differ; "Symphony
    No. 5" / "Symphony No. 5, Op. 67" do not (one names more, none differ),
    nor does a number on one side only ("Song" / "Song 2011 Remaster"; a null
    array is no number). Spark SQL that sqlglot carries to DuckDB; the arrays
    are distinct (features.text.title_numbers), and the nulls are tested first
    (size(null) is -1 on Spark, null on DuckDB).
    """
    left, right = f"{column}_l", f"{column}_r"
    return (
        f"{left} IS NOT NULL AND {right} IS NOT NULL AND "
        f"size(array_intersect({left}, {right})) < least(size({left}), size({right}))"
    )


def numbers_differ_level(column: str = "title_numbers"):
    """The title comparison's "numbers differ" level: decisive against (see NUMBERS_DIFFER_M_U).

    Placed right after the null level, so that "Fine Song 1" / "Fine Song 10"
    lands here and not in a fuzzy title level.
    """
    m, u = NUMBERS_DIFFER_M_U
    level = cll.CustomLevel(
        numbers_differ_sql(column),
        label_for_charts="Title numbers differ (Part 1 / Part 2, No. 5 / No. 9)",
        base_dialect_str="spark",
    )
    return fixed_mu(level, m=m, u=u)

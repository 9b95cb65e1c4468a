"""Token weights fitted on the training data and carried in the model: a record text's overlap.

A comparison of two records' whole text counts a shared rare word ("runaway")
for more than a shared common one ("music", "feat", "2015"): each token
weighs its inverse document frequency (BM25's, ``ln(1 + (N - df + 0.5) /
(df + 0.5))``) over the records the model was trained on. The weights are a
fitted parameter of the model, like a fitted TF-IDF vocabulary, not a
statistic of whatever catalog is scored: a comparison's *level* depends on
them, and a day-2 delivery (which scores only the pairs of delivered records)
must put every pair in the level a full rebuild with the same model would.

Only the common tokens are listed (at least ``min_share`` of the records,
``max_tokens`` at most): every other token is rarer than all of them and
weighs ``default``, the weight of the rarest listed document frequency. The
list is rendered into the comparison's SQL as a map literal, so every engine
and scoring path reads the same weights from the model JSON, and
:meth:`TokenWeights.from_sql` reads them back from the SQL of either dialect
(to render the code in another dialect, :mod:`splink_models.dialect`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlglot
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from sqlglot import exp

from splink_models.frames import union_all

# weights are rounded so that the SQL, and so the model version, is stable
_DIGITS = 4


@dataclass(frozen=True)
class TokenWeightSpec:
    """What a model package fits: the token array column and how many tokens to list."""

    column: str
    min_share: float = 1e-3
    # Each listed token costs every weight lookup (a map literal in the level SQL,
    # scanned per token on both engines): Splink's u sampling on DuckDB (1M pairs of
    # the 20k demo, a record text of all text fields wherever a side lacked artist
    # or album) took 4.3 s with no list, 10.5 s with 32 tokens, 39.9 s with 256.
    max_tokens: int = 32

    def min_count(self, n_records: int) -> int:
        """The fewest records a listed token is in: ``min_share`` of them, and two."""
        return max(2, math.ceil(self.min_share * n_records))


@dataclass(frozen=True)
class TokenWeights:
    """The listed tokens' weights and the weight of every other token."""

    weights: Mapping[str, float]
    default: float

    @classmethod
    def from_counts(
        cls, n_records: int, document_frequency: Mapping[str, int], spec: TokenWeightSpec
    ) -> TokenWeights:
        """Weights from ``n_records`` and each token's count of records holding it.

        Tokens held by fewer than ``spec.min_share`` of the records (and at least
        two) are not listed; of the rest the ``spec.max_tokens`` commonest are,
        ties broken by the token.
        """
        if n_records < 2:
            return UNIFORM
        floor = spec.min_count(n_records)
        common = sorted(
            ((t, df) for t, df in document_frequency.items() if df >= floor),
            key=lambda item: (-item[1], item[0]),
        )[: spec.max_tokens]
        rarest = min((df for _, df in common), default=floor)
        return cls(
            weights={t: _idf(n_records, df) for t, df in common},
            default=_idf(n_records, rarest),
        )

    def weight_sql(self, token: str) -> str:
        """Spark SQL: the weight of the token expression ``token``."""
        default = f"{self.default!r}D"
        if not self.weights:
            return default
        entries = ", ".join(f"{_quote(t)}, {w!r}D" for t, w in self.weights.items())
        return f"coalesce(element_at(map({entries}), {token}), {default})"

    def containment_sql(self, column: str) -> str:
        """Spark SQL: how much of the lighter of ``<column>_l`` and ``<column>_r`` the other holds.

        The shared tokens' squared weights over the smaller of the two sides'
        sums of squared weights: 1 when every word of one record is in the
        other (a record whose fields are empty against one that files them), 0
        for none in common. A cosine would punish the record that has less text.
        """
        left, right = f"{column}_l", f"{column}_r"
        square = f"pow({self.weight_sql('t')}, 2)"
        shared = (
            f"aggregate({left}, 0D, (acc, t) -> acc + IF(array_contains({right}, t), {square}, 0D))"
        )
        norms = ", ".join(
            f"aggregate({side}, 0D, (acc, t) -> acc + {square})" for side in (left, right)
        )
        return f"{shared} / least({norms})"

    @classmethod
    def from_sql(cls, sql: str, dialect: str) -> TokenWeights:
        """The weights :meth:`containment_sql` rendered, read back from its SQL in ``dialect``."""
        tree = sqlglot.parse_one(sql, read=dialect)
        table = tree.find(exp.VarMap, exp.Map)
        coalesce = tree.find(exp.Coalesce)
        if table is None or coalesce is None:
            # no listed tokens: every token weighs the default, a bare literal
            return cls({}, float(_literal(tree.find(exp.Pow).this)))
        keys = [_literal(k) for k in table.args["keys"].expressions]
        values = [float(_literal(v)) for v in table.args["values"].expressions]
        return cls(dict(zip(keys, values, strict=True)), float(_literal(coalesce.expressions[0])))


# every token weighs the same: no training records to count (and untrained settings)
UNIFORM = TokenWeights({}, 1.0)


def _idf(n_records: int, df: int) -> float:
    return round(math.log(1 + (n_records - df + 0.5) / (df + 0.5)), _DIGITS)


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _literal(node: exp.Expression) -> str:
    found = node if isinstance(node, exp.Literal) else node.find(exp.Literal)
    return found.this


def fit_token_weights(frames: Sequence[DataFrame], spec: TokenWeightSpec) -> TokenWeights:
    """Count, on Spark, the records of ``frames`` that hold each token of ``spec.column``."""
    tokens = [
        f.select(F.col(spec.column).alias("tokens")) for f in frames if spec.column in f.columns
    ]
    if not tokens:
        return UNIFORM
    union = union_all(tokens).where(F.col("tokens").isNotNull()).cache()
    try:
        n_records = union.count()
        floor = spec.min_count(n_records)
        counts = (
            union.select(F.explode(F.array_distinct("tokens")).alias("token"))
            .groupBy("token")
            .count()
            .where(F.col("count") >= floor)
            .collect()
        )
    finally:
        union.unpersist()
    return TokenWeights.from_counts(n_records, {r["token"]: r["count"] for r in counts}, spec)

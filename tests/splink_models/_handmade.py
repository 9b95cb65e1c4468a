"""Hand-made record pairs scored beside a real sample's features, with the model trained on it.

Each case is two records identical but for what the case varies, added to the
shared sample's features (so that term frequencies are those of a real run)
and scored the way the resolve stage scores candidates. Every case gets its
own made-up performer, so that no case's records meet another's.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from features.schemas import TRACK_INPUT
from features.tracks import build_track_features
from jobs.runtime.config import AppConfig
from splink_models import spark_backend
from splink_models.model import TrainedModel

# (left title, right title, same recording / song)
Case = tuple[str, str, bool]

ARTISTS = [
    "Ada Quillfeather",
    "Bram Ostrowind",
    "Cato Vellamere",
    "Dara Pinnacott",
    "Edda Marrowgate",
    "Finn Larkspurr",
    "Greta Holloweave",
    "Hugo Brindlemoss",
    "Ines Thistlecombe",
    "Jora Pennywhistle",
]


def pair_ids(prefix: str, i: int) -> tuple[str, str]:
    return f"{prefix}{i}l", f"{prefix}{i}r"


def duration_ms(i: int) -> int:
    return 200_000 + 7_000 * i


def materialised(df: DataFrame) -> DataFrame:
    """The rows, without the feature builder's plan: Splink's SQL reads its input many
    times, and inlining that plan each time ran the driver out of memory."""
    return df.localCheckpoint()


def case_tracks(
    spark: SparkSession, cfg: AppConfig, prefix: str, cases: Sequence[Case]
) -> DataFrame:
    """Each case's two tracks (TRACK_INPUT), through the real feature builder."""
    rows = []
    for i, (left, right, _) in enumerate(cases):
        for track_id, title in zip(pair_ids(prefix, i), (left, right), strict=True):
            rows.append((track_id, "test", title, [ARTISTS[i]], None, duration_ms(i)) + (None,) * 5)
    return materialised(
        build_track_features(
            spark.createDataFrame(rows, TRACK_INPUT),
            generic_values=cfg.entity("recordings").generic_values,
        )
    )


def pair_scores(scored: DataFrame, id_column: str, wanted: list[tuple[str, str]]) -> dict:
    """match_probability of each wanted pair, whichever side Splink put each record on."""
    keys = {frozenset(pair): pair for pair in wanted}
    rows = (
        scored.where(F.col(f"{id_column}_l").isin(*[x for p in wanted for x in p]))
        .select(f"{id_column}_l", f"{id_column}_r", "match_probability")
        .collect()
    )
    return {keys[frozenset((r[0], r[1]))]: r[2] for r in rows if frozenset((r[0], r[1])) in keys}


def case_scores(
    spark: SparkSession,
    features: DataFrame | Sequence[DataFrame],
    model: TrainedModel,
    wanted: list[tuple[str, str]],
) -> dict:
    """match_probability of each wanted pair that the model's blocking rules generate.

    Scored as the resolve stage scores its candidates (term frequencies from all
    of ``features``), but only these pairs, with the blocking rules checked pair
    by pair (spark_backend.blocking_generates): blocking the whole sample to
    find a few cost 10-35 s a test. A pair blocking would not generate gets no
    score. Features given as one frame per side (a link model's) carry no
    source column to pair them by: those block the whole sample.
    """
    id_column = model.settings["unique_id_column_name"]
    if not isinstance(features, DataFrame):
        return pair_scores(spark_backend.predict(spark, features, model), id_column, wanted)
    pairs = spark.createDataFrame(wanted, f"{id_column}_l string, {id_column}_r string")
    generated = spark_backend.blocking_generates(features, model, pairs).where("generated")
    found = {(r[0], r[1]) for r in generated.select(f"{id_column}_l", f"{id_column}_r").collect()}
    scored = spark_backend.predict_given_pairs(spark, features, model, pairs)
    return {p: s for p, s in pair_scores(scored, id_column, wanted).items() if p in found}


def check_sides(
    scores: dict, wanted: list[tuple[str, str]], cases: Sequence[Case], threshold: float
) -> None:
    """Every case's pair scored (blocking found it) and on its side of the threshold."""
    wrong = [
        (left, right, scores.get(pair), "expected above" if same else "expected below")
        for pair, (left, right, same) in zip(wanted, cases, strict=True)
        if pair not in scores or (scores[pair] >= threshold) != same
    ]
    assert not wrong, f"threshold {threshold}:\n" + "\n".join(map(str, wrong))

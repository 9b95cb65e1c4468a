"""The record-text comparison: token weights fitted on training records, a weighted overlap in SQL.

Real rows of iTunes-Amazon Dirty (a store that crams artist, genre, price,
length and date into the title) against the other store's filed rows, through
the real features, into the comparison's SQL on Spark and on DuckDB.
"""

from __future__ import annotations

import duckdb
import pytest
from pyspark.sql import functions as F

from features.schemas import TRACK_INPUT
from features.tracks import build_track_features
from splink_models.duckdb_backend import fit_token_weights_duckdb, quiet_duckdb_api
from splink_models.model import model_token_weights
from splink_models.recordings import settings as recording_settings
from splink_models.token_weights import UNIFORM, TokenWeights, TokenWeightSpec, fit_token_weights

SPEC = TokenWeightSpec("record_tokens", min_share=0.01, max_tokens=4)


def _track(track_id, title, artists=None, album=None, genre=None, label=None):
    return (track_id, "test", title, artists, album, None, None, None, label, genre, None)


def test_common_tokens_weigh_less_and_every_unlisted_token_the_most():
    counts = {"music": 600, "pop": 300, "love": 300, "train": 40, "cam": 10, "runaway": 9}
    weights = TokenWeights.from_counts(1000, counts, SPEC)
    # listed: at least 1% of the records (10), the four commonest, ties by the token
    assert list(weights.weights) == ["music", "love", "pop", "train"]
    assert weights.weights["music"] < weights.weights["pop"] == weights.weights["love"]
    assert weights.weights["pop"] < weights.weights["train"]
    # "cam" (cut by max_tokens) and "runaway" (under 1%) are rarer than every listed
    # token: they weigh what the rarest listed one does
    assert weights.default == weights.weights["train"]
    assert TokenWeights.from_counts(1, {"music": 1}, SPEC) == UNIFORM


def test_spark_and_duckdb_count_the_same_weights(spark):
    rows = [
        _track(f"t{i}", f"Song {i % 7} Love", ["Cam"], None, "Country , Music") for i in range(30)
    ]
    rows += [_track("blank", " "), _track("other", "Runaway Train", None, "EP")]
    features = build_track_features(spark.createDataFrame(rows, TRACK_INPUT))
    on_spark = fit_token_weights([features], SPEC)
    table = quiet_duckdb_api()
    on_duckdb = fit_token_weights_duckdb(
        table, table.register(features.select("record_tokens").toPandas()), SPEC
    )
    assert on_spark == on_duckdb
    # 31 records hold tokens (the blank title holds none); "song", "love" and "cam"
    # are in 30, "0" and "1" in 5 (i % 7), so "0" is the fourth, first by name
    assert list(on_spark.weights) == ["cam", "love", "song", "0"]
    assert TokenWeights.from_counts(31, {"cam": 30}, SPEC).weights["cam"] == on_spark.weights["cam"]


# weights as fitted on a store's catalog: genre words, prices and years are common
CATALOG = TokenWeights.from_counts(
    60_000,
    {
        "music": 30_000, "0": 20_000, "99": 20_000, "3": 10_000, "sony": 8_000,
        "entertainment": 6_000, "to": 5_000, "2015": 4_000, "country": 3_000, "15": 3_000,
        "01": 3_000, "ep": 2_000, "mar": 1_500, "31": 1_500, "contemporary": 800,
    },
    TokenWeightSpec("record_tokens"),
)  # fmt: skip
DIRTY = _track(
    "itunes-0",
    "Runaway Train Cam Country , Music , Contemporary Country , Honky Tonk $ 0.99 3:01 31-Mar-15",
    None,
    "Welcome to Cam Country - EP",
    None,
    "2015 Sony Music Entertainment",
)
FILED = _track(
    "amazon-1", "Runaway Train", ["Cam"], "Welcome to Cam Country - EP", "Country", "Sony Music"
)
# the same store's crammed row of another song: it shares the store's words
OTHER_DIRTY = _track(
    "itunes-2",
    "Burning House Cam Country , Music , Contemporary Country $ 0.99 3:48 31-Mar-15",
    None,
    None,
    None,
    "2015 Sony Music Entertainment",
)
# (left, right, expected level label)
CASES = [
    (DIRTY, FILED, "Record text held by the other's (weighted share >= 0.9)"),
    (OTHER_DIRTY, FILED, "All other comparisons"),
    # the same artist, album, date and label in one store's shape: only the titles
    # (their own comparisons) tell these two apart
    (DIRTY, OTHER_DIRTY, "Record text held by the other's (weighted share >= 0.5)"),
    (FILED, FILED[:1] + ("b",) + FILED[2:], recording_settings.RECORD_TEXT_FIELDED),
    # a generic artist is no artist, and no words; a version tag is the version's
    (
        _track("va", "Two (2017 Remaster)", ["Various Artists"]),
        _track("nm", "Two", ["Neha Morta"]),
        "Record text held by the other's (weighted share >= 0.9)",
    ),
]


@pytest.fixture(scope="module")
def pairs(spark):
    frames = {}
    for side in (0, 1):
        # each case's tracks under the case's number, so that the sides join on it
        tracks = [(str(i),) + case[side][1:] for i, case in enumerate(CASES)]
        features = build_track_features(
            spark.createDataFrame(tracks, TRACK_INPUT),
            generic_values={"artist": ("various artists",)},
        )
        suffix = "lr"[side]
        frames[side] = features.select(
            F.col("track_id").cast("int").alias("i"),
            *[F.col(c).alias(f"{c}_{suffix}") for c in features.columns],
        )
    return frames[0].join(frames[1], "i").orderBy("i").toPandas()


def _levels(spark, pairs, dialect: str, weights: TokenWeights) -> list[str]:
    """Each case's record_text level label, the comparison's SQL run on ``dialect``'s engine."""
    settings = recording_settings.settings(token_weights=weights).get_settings(dialect)
    comparison = next(c for c in settings.comparisons if c.output_column_name == "record_text")
    query = f"SELECT {comparison._case_statement} FROM record_text_pairs"
    if dialect == "spark":
        spark.createDataFrame(pairs).createOrReplaceTempView("record_text_pairs")
        gammas = [r[0] for r in spark.sql(query).collect()]
    else:
        con = duckdb.connect()
        con.register("record_text_pairs", pairs)
        gammas = [r[0] for r in con.execute(query).fetchall()]
    labels = {
        lv.comparison_vector_value: lv.label_for_charts for lv in comparison.comparison_levels
    }
    return [labels[g] for g in gammas]


def test_record_text_levels_on_spark_and_duckdb(spark, pairs):
    expected = [c[2] for c in CASES]
    assert _levels(spark, pairs, "spark", CATALOG) == expected
    assert _levels(spark, pairs, "duckdb", CATALOG) == expected


def test_the_weights_are_what_tells_the_songs_apart(spark, pairs):
    # every token weighing the same, the store's words (genre, price, date, label)
    # make another song of the same store a level more alike
    labels = _levels(spark, pairs, "spark", UNIFORM)
    assert labels[2] == "Record text held by the other's (weighted share >= 0.7)"


@pytest.mark.parametrize("dialect", ["spark", "duckdb"])
def test_a_model_carries_its_weights_in_its_sql(dialect):
    settings = recording_settings.settings(token_weights=CATALOG).get_settings(dialect).as_dict()
    assert model_token_weights(settings, "splink_models.recordings") == CATALOG
    assert model_token_weights(settings, "splink_models.releases") is None
    without = {**settings, "comparisons": settings["comparisons"][:3]}
    assert model_token_weights(without, "splink_models.recordings") is None

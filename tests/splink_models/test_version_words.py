"""Two versions of one type are told apart by their tags' own words (remixer, venue, year, take).

First the level: its SQL, rendered for Spark and for DuckDB, on pairs of real
track features. Then the recordings model trained on the shared sample
(tests/conftest.py): two remixes by different remixers, or two live takes from
different places, stay below the threshold; the same remix or live take
spelled another way stays above it.
"""

from __future__ import annotations

import duckdb
import pytest
from pyspark.sql import functions as F

from jobs.stages.common import read_features
from splink_models import spark_backend
from splink_models.model import TrainedModel
from splink_models.recordings import settings as recording_settings
from tests.splink_models._handmade import case_scores, case_tracks, check_sides, pair_ids

LEVEL_LABEL = "Same version type, tags name other remixers, venues or takes"

# (title, other title, same recording): two tracks identical but for the title
CASES = [
    ("Applause (Goldhouse Remix)", "Applause (Empire Of The Sun Remix)", False),
    ("Fade Away - Live at Wembley 1986", "Fade Away (Live from Paris)", False),
    ("Ocean Drive (Live 1990)", "Ocean Drive (Live 2005)", False),
    ("Applause (Goldhouse Remix)", "Applause - Goldhouse Remix", True),
    ("Applause (Goldhouse Remix)", "Applause (Goldhouse Remix) - Remastered 2011", True),
    ("Applause (Goldhouse Remix)", "Applause (Goldhuose Remix)", True),  # a typo, one remixer
    ("Fade Away - Live at Wembley 1986", "Fade Away (Live at Wembley)", True),
    ("Ocean Drive (Remix)", "Ocean Drive (Skrillex Remix)", True),  # one side names nobody
]


@pytest.fixture(scope="module")
def case_pairs(spark, cfg):
    """Each case's two tracks through the real feature builder, as one row per pair."""
    tracks = case_tracks(spark, cfg, "vw-t", CASES)
    columns = ["version_type", "version_detail", "version_words", "version_words_text"]

    def side(suffix: str):
        return tracks.where(F.col("track_id").endswith(suffix)).select(
            F.regexp_extract("track_id", r"(\d+)", 1).cast("int").alias("i"),
            *[F.col(c).alias(f"{c}_{suffix}") for c in columns],
        )

    return side("l").join(side("r"), "i").orderBy("i").localCheckpoint()


def test_the_level_reads_alike_on_spark_and_duckdb(spark, case_pairs):
    expected = {i: not same for i, (_, _, same) in enumerate(CASES)}
    case_pairs.createOrReplaceTempView("version_pairs")
    con = duckdb.connect()
    con.register("version_pairs", case_pairs.toArrow())
    spark_backend.spark_api(spark)  # registers Splink's jaro_winkler UDF
    for dialect in ("spark", "duckdb"):
        comparisons = recording_settings.settings().get_settings(dialect).comparisons
        version = next(c for c in comparisons if c.output_column_name == "version")
        level = next(lv for lv in version.comparison_levels if lv.label_for_charts == LEVEL_LABEL)
        # fixed m and u, about -13 bits: random sampling cannot make it weak
        assert level._fix_m_probability and level._fix_u_probability, dialect
        assert level.m_probability < level.u_probability / 5000, dialect
        sql = f"select i, coalesce({level.sql_condition}, false) from version_pairs"
        rows = spark.sql(sql).collect() if dialect == "spark" else con.sql(sql).fetchall()
        assert {int(i): bool(v) for i, v in rows} == expected, dialect


@pytest.mark.e2e
def test_two_remixes_or_live_takes_of_one_song_are_scored_apart(spark, resolved_sample):
    cfg, _, _ = resolved_sample
    entity = cfg.entity("recordings")
    model = TrainedModel.load(entity.name, cfg.paths.models_dir)
    features = read_features(spark, cfg, entity).unionByName(case_tracks(spark, cfg, "vw-t", CASES))

    wanted = [pair_ids("vw-t", i) for i in range(len(CASES))]
    check_sides(case_scores(spark, features, model, wanted), wanted, CASES, entity.threshold)

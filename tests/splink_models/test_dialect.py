"""One trained model, two engines: trained on Spark and scored on DuckDB, and the reverse.

Both engines read the same Parquet feature table; a converted model must find
exactly the same candidate pairs, put each in the same comparison levels and
give it the same match probability.

One known exception: Jaro-Winkler is each backend's own function (Splink's
jar on Spark, DuckDB's built-in), and they count transpositions differently
(DuckDB halves the count with integer division, the jar does not), so on
about 0.4% of the pairs DuckDB's similarity is slightly higher; where that
crosses a level's threshold the pair lands in another level. On this sample
no pair does; the assertions allow it only in Jaro-Winkler comparisons and on
few pairs, so a future sample cannot fail for this reason alone.
"""

from __future__ import annotations

import copy

import duckdb
import pandas as pd
import pytest
from pyspark.sql import functions as F

from features.errors import ResolutionError
from features.schemas import TRACK_INPUT
from features.tracks import build_track_features
from jobs.samples.catalog import generate_catalog
from splink_models import clustering, spark_backend, training
from splink_models import model as model_lib
from splink_models.dialect import code_settings, to_dialect
from splink_models.duckdb_backend import (
    cluster_duckdb,
    parquet_source,
    predict_duckdb,
    train_duckdb,
)
from splink_models.estimation import neutralise_untrained_levels
from splink_models.recordings.settings import (
    ARTIST_IN_TITLE,
    EXACT_TITLE,
    EXACT_TITLE_SAME_ARTIST,
    UNTRAINED_M,
)
from tests.conftest import test_config as config_under

N_TRACKS = 1500
# Both engines compute the same sums of the same float64 weights: they agree to
# the last bits (measured 2e-16); 1e-9 leaves room for a different summation order.
TOLERANCE = 1e-9
# share of pairs allowed in another Jaro-Winkler level (measured 7 of 22,270 at 10k tracks)
MAX_JARO_WINKLER_DISAGREEMENT = 0.005
JARO_WINKLER_COMPARISONS = {
    c["output_column_name"]
    for c in code_settings("splink_models.recordings", "spark")["comparisons"]
    if "jaro_winkler" in str(c["comparison_levels"])
}


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    # The configured 1M pairs for u are nearly all 1.1M pairs of 1,500 tracks: 75 s
    # of Spark UDFs that only make u more precise, which the conversion does not need.
    return config_under(
        tmp_path_factory.mktemp("dialect"), "entities.recordings.training.max_pairs_for_u=100000"
    ).entity("recordings")


@pytest.fixture(scope="module")
def features_parquet(spark, tmp_path_factory, recordings) -> str:
    tracks, _ = generate_catalog(N_TRACKS, seed=3)
    columns = TRACK_INPUT.fieldNames()  # input fields the generator does not invent are null
    tracks = tracks.assign(**{c: None for c in columns if c not in tracks.columns})[columns]
    features = build_track_features(
        spark.createDataFrame(tracks, TRACK_INPUT), generic_values=recordings.generic_values
    )
    path = str(tmp_path_factory.mktemp("dialect-features") / "track_features.parquet")
    features.write.parquet(path)
    return path


def _training_knobs(recordings) -> dict:
    t = recordings.training
    return {
        "entity": recordings.name,
        "module": recordings.model_module,
        "seed": t.seed,
        "max_pairs_for_u": t.max_pairs_for_u,
        "em_blocking": t.em_blocking,
        "prior_rules": t.prior_deterministic_rules,
        "prior_recall": t.prior_recall,
    }


def _spark_pairs(spark, features_parquet: str, model: model_lib.TrainedModel) -> pd.DataFrame:
    scored = spark_backend.predict(spark, spark.read.parquet(features_parquet), model)
    gammas = [c for c in scored.columns if c.startswith("gamma_")]
    return scored.select(
        "track_id_l", "track_id_r", F.col("match_probability").cast("double"), *gammas
    ).toPandas()


def _duckdb_pairs(features_parquet: str, model: model_lib.TrainedModel) -> pd.DataFrame:
    return predict_duckdb(features_parquet, model).df()


def assert_same_scores(left: pd.DataFrame, right: pd.DataFrame) -> None:
    keys = ["track_id_l", "track_id_r"]
    joined = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    unpaired = joined[joined["_merge"] != "both"]
    assert unpaired.empty, f"{len(unpaired)} pairs found by one engine only:\n{unpaired[keys]}"
    assert len(joined) > 1000  # a real pair set, not two empty ones
    gammas = [c for c in left.columns if c.startswith("gamma_")]
    assert gammas
    other_level = pd.Series(False, index=joined.index)
    for gamma in gammas:
        differ = joined[f"{gamma}_a"] != joined[f"{gamma}_b"]
        if gamma.removeprefix("gamma_") not in JARO_WINKLER_COMPARISONS:
            assert not differ.any(), f"{gamma} differs on {differ.sum()}:\n{joined[differ].head()}"
        other_level |= differ
    assert other_level.mean() <= MAX_JARO_WINKLER_DISAGREEMENT, (
        f"{other_level.sum()} of {len(joined)} pairs in another Jaro-Winkler level"
    )
    same = joined[~other_level]
    gap = (same["match_probability_a"] - same["match_probability_b"]).abs().max()
    assert gap <= TOLERANCE, f"match probabilities differ by up to {gap}"


def _groups(assignment: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(members) for _, members in assignment.groupby("component")["node"]}


@pytest.fixture(scope="module")
def spark_trained(spark, features_parquet, recordings) -> model_lib.TrainedModel:
    model, _ = training.train(
        spark, spark.read.parquet(features_parquet), **_training_knobs(recordings)
    )
    return model


def test_spark_trained_model_scores_the_same_on_duckdb(
    spark, features_parquet, recordings, spark_trained
):
    model = spark_trained
    assert model.dialect == "spark"

    on_duckdb = to_dialect(model, "duckdb", module=recordings.model_module)

    assert on_duckdb.dialect == "duckdb"
    assert on_duckdb.version == model.version  # same parameters, same version
    spark_pairs = _spark_pairs(spark, features_parquet, model)
    duckdb_pairs = _duckdb_pairs(features_parquet, on_duckdb)
    assert_same_scores(spark_pairs, duckdb_pairs)

    # ... and the clustering guard cuts the same groups; small groups and one big
    # step make it re-split in one round, on few Spark jobs
    knobs = {"threshold": recordings.clustering.threshold, "max_group_size": 6, "step": 0.1}
    edges = spark.createDataFrame(
        spark_pairs[["track_id_l", "track_id_r", "match_probability"]].set_axis(
            ["node_l", "node_r", "match_probability"], axis=1
        )
    )
    nodes = spark.read.parquet(features_parquet).select(F.col("track_id").alias("node"))
    spark_assignment, spark_rounds = clustering.guarded_clusters(edges, nodes, **knobs)

    con = duckdb.connect()  # the same edges, to compare the clustering alone
    con.register("edges_df", spark_pairs)
    con.execute(
        "CREATE TABLE edges AS SELECT track_id_l AS node_l, track_id_r AS node_r, "
        "match_probability FROM edges_df"
    )
    con.execute(
        f"CREATE TABLE nodes AS SELECT track_id AS node FROM {parquet_source(features_parquet)}"
    )
    table, duckdb_rounds = cluster_duckdb(con, "edges", "nodes", **knobs)
    duckdb_assignment = con.execute(f"SELECT * FROM {table}").df()

    assert spark_rounds and duckdb_rounds == spark_rounds  # the guard did work, the same work
    assert _groups(duckdb_assignment) == _groups(spark_assignment.toPandas())


def test_duckdb_trained_model_scores_the_same_on_spark(spark, features_parquet, recordings):
    model, _ = train_duckdb(features_parquet, **_training_knobs(recordings))
    assert model.dialect == "duckdb"

    on_spark = to_dialect(model, "spark", module=recordings.model_module)

    assert on_spark.version == model.version
    back = to_dialect(on_spark, "duckdb", module=recordings.model_module)
    assert back.settings == model.settings  # the conversion loses nothing
    assert_same_scores(
        _duckdb_pairs(features_parquet, model), _spark_pairs(spark, features_parquet, on_spark)
    )


def _fake_trained(dialect: str) -> model_lib.TrainedModel:
    settings = code_settings("splink_models.recordings", dialect)
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.setdefault("m_probability", 0.5)
            level.setdefault("u_probability", 0.5)
    return model_lib.TrainedModel.from_settings("recordings", settings)


def test_model_trained_with_other_comparisons_is_refused():
    model = _fake_trained("duckdb")
    settings = copy.deepcopy(model.settings)
    bpm = copy.deepcopy(settings["comparisons"][0])
    bpm["output_column_name"] = "bpm"
    settings["comparisons"].append(bpm)
    settings["comparisons"][1]["comparison_levels"].pop(3)
    other = model_lib.TrainedModel.from_settings("recordings", settings)

    with pytest.raises(ResolutionError) as raised:
        to_dialect(other, "spark", module="splink_models.recordings")

    message = str(raised.value)
    assert "comparison 'bpm': in the model, not in the code" in message
    assert "comparison 'core_title': 9 levels in the model, 10 in the code" in message
    assert "comparison 'isrc'" not in message  # what matches is not reported


def test_converted_model_keeps_its_version_and_is_not_saved_over_the_original(tmp_path):
    model = _fake_trained("spark")
    on_duckdb = to_dialect(model, "duckdb", module="splink_models.recordings")
    assert on_duckdb.version == model.version
    assert "jaro_winkler_similarity" in str(on_duckdb.settings["comparisons"])
    assert "ARRAY_LENGTH(ARRAY_INTERSECT(" in str(on_duckdb.settings["comparisons"])
    assert to_dialect(on_duckdb, "spark", module="splink_models.recordings").settings == (
        model.settings
    )
    with pytest.raises(ResolutionError, match="save the trained model"):
        on_duckdb.save(str(tmp_path))
    with pytest.raises(ResolutionError, match="convert it with"):
        predict_duckdb(pd.DataFrame({"track_id": ["a"]}), model)


def test_training_on_the_driver_gives_a_spark_model_that_decides_like_the_spark_trained_one(
    spark, features_parquet, recordings, spark_trained, tmp_path
):
    """training.train(backend="duckdb"): the sample goes to DuckDB as Arrow, the model comes back
    in Spark's dialect under its own version, and scores pairs as the Spark-trained one does."""
    model, _ = training.train(
        spark,
        spark.read.parquet(features_parquet),
        **_training_knobs(recordings),
        backend="duckdb",
    )

    assert model.dialect == "spark"
    assert "jaro_winkler_similarity" not in str(model.settings["comparisons"])
    # a model of its own: saved and loaded under the hash of its Spark JSON
    path = model.save(str(tmp_path))
    assert model_lib.TrainedModel.load("recordings", str(path)).version == model.version
    assert model.version != spark_trained.version
    # the same parameters in DuckDB's dialect, and back
    on_duckdb = to_dialect(model, "duckdb", module=recordings.model_module)
    assert to_dialect(on_duckdb, "spark", module=recordings.model_module).settings == (
        model.settings
    )

    threshold = recordings.clustering.threshold
    ours, theirs = (
        _spark_pairs(spark, features_parquet, m).set_index(["track_id_l", "track_id_r"])
        for m in (model, spark_trained)
    )
    assert len(ours) == len(theirs) > 1000
    decided = (ours["match_probability"] >= threshold).sort_index()
    reference = (theirs["match_probability"] >= threshold).sort_index()
    assert decided.sum() > 100  # matches found, not an empty model
    # u comes from another random sample of pairs on each engine: a few borderline
    # pairs may fall on the other side of the threshold, no more
    assert (decided != reference).mean() <= 0.01, (decided != reference).sum()


def test_a_linking_model_converts_with_its_link_type():
    settings = code_settings("splink_models.recordings", "duckdb", "link_only")
    assert settings["link_type"] == "link_only"
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.setdefault("m_probability", 0.5)
            level.setdefault("u_probability", 0.5)
    model = model_lib.TrainedModel.from_settings("recordings", settings)

    on_spark = to_dialect(model, "spark", module="splink_models.recordings")

    assert on_spark.settings["link_type"] == "link_only"
    assert on_spark.settings["source_dataset_column_name"] == "source"
    assert on_spark.dialect == "spark"


def _m_and_u(model: model_lib.TrainedModel) -> list[float]:
    return [
        level.get(p) or 0.0
        for comparison in model.settings["comparisons"]
        for level in comparison["comparison_levels"]
        for p in ("m_probability", "u_probability")
    ]


def test_a_block_sample_prior_is_scaled_to_the_catalog_and_nothing_else_changes(
    spark, features_parquet, recordings
):
    """training.train(prior_scale=...): a model trained on a sample of whole artists carries
    the catalog's prior (jobs.stages.train passes block_sample_prior_scale); m and u stay."""
    features = spark.read.parquet(features_parquet)
    knobs = {**_training_knobs(recordings), "backend": "duckdb"}
    as_learned, _ = training.train(spark, features, **knobs)
    scaled, _ = training.train(spark, features, **knobs, prior_scale=0.25)

    prior = "probability_two_random_records_match"
    assert scaled.settings[prior] == pytest.approx(0.25 * as_learned.settings[prior], rel=1e-9)
    # m and u as learned (u sampling on DuckDB's threads is not bit-for-bit repeatable)
    assert _m_and_u(scaled) == pytest.approx(_m_and_u(as_learned), rel=0.05, abs=1e-6)
    assert scaled.version != as_learned.version  # another model, another version

    # 200k of 1M tracks: (200k - 1) / (1M - 1), about a fifth; all of a catalog: 1
    assert training.block_sample_prior_scale(200_000, 1_000_000) == pytest.approx(0.2, rel=1e-5)
    assert training.block_sample_prior_scale(500, 500) == 1.0
    with pytest.raises(ResolutionError, match="600 records sampled from a catalog of 500"):
        training.block_sample_prior_scale(600, 500)
    with pytest.raises(ResolutionError, match="raise training.sample_fraction"):
        training.block_sample_prior_scale(1, 500)


def test_a_level_training_never_reaches_gets_the_stated_m_or_zero_bits(
    spark, features_parquet, recordings
):
    """Without a single record that lacks an artist, artist_in_title is never trained:
    "artist in the title" gets the model's stated m (UNTRAINED_M), the other level
    0 bits (m = u), both named in the log, not Splink's placeholders."""
    features = spark.read.parquet(features_parquet).where("primary_artist IS NOT NULL")
    model, trainer = training.train(
        spark, features, **{**_training_knobs(recordings), "backend": "duckdb"}
    )
    levels = {
        c["output_column_name"]: {
            lv["label_for_charts"]: lv
            for lv in c["comparison_levels"]
            if not lv.get("is_null_level")
        }
        for c in model.settings["comparisons"]
    }
    untrained = levels["artist_in_title"]
    assert len(untrained) == 2
    in_title = untrained.pop(ARTIST_IN_TITLE)
    assert in_title["m_probability"] == UNTRAINED_M["artist_in_title"][ARTIST_IN_TITLE]
    (other,) = untrained.values()
    assert other["m_probability"] == pytest.approx(other["u_probability"])
    # the rest trained as usual: an exact title is strong evidence
    exact_title = levels["core_title"][EXACT_TITLE]
    assert exact_title["m_probability"] > 100 * exact_title["u_probability"]
    # a second call finds nothing left to neutralise
    assert neutralise_untrained_levels(trainer) == []


def test_the_two_exact_title_levels_carry_the_m_of_an_exact_title(spark_trained):
    """ "Exact title, same artist" exists to floor term frequencies; both it and "exact
    title" weigh an exact title (splink_models.estimation.share_m), not the share of
    matches each holds (that left an exact title without an artist 6 bits short)."""
    title = next(
        c for c in spark_trained.settings["comparisons"] if c["output_column_name"] == "core_title"
    )
    m = {lv["label_for_charts"]: lv.get("m_probability") for lv in title["comparison_levels"]}
    assert m[EXACT_TITLE_SAME_ARTIST] == pytest.approx(m[EXACT_TITLE])
    assert m[EXACT_TITLE] > 0.5  # most matches have one title


# video link-view pairs (left a video, right a track, and one the other way
# round) with arrays that overlap, do not, and are null on either side
_VIDEO_PAIRS = "i int, " + ", ".join(
    f"{name}_{side} {kind}"
    for name, kind in (
        ("isrc", "string"),
        ("core_title", "string"),
        ("core_title_key", "string"),
        ("title_numbers", "array<string>"),
        ("title_keys", "array<string>"),
        ("is_video", "boolean"),
        ("artist_keys", "array<string>"),
        ("performer_keys", "array<string>"),
        ("part_artist_keys", "array<string>"),
        ("primary_artist_key", "string"),
        ("primary_artist", "string"),
        ("duration_s", "double"),
        ("version_type", "string"),
        ("video_kind", "string"),
        ("first_year", "int"),
        ("performance_keys", "array<string>"),
    )
    for side in ("l", "r")
)


def _video_pair(i, video_left, *, keys, other_keys, kind="official", years=(2010, 2009)):
    """One pair: ``keys`` fill the video side's arrays, ``other_keys`` the track's."""
    video = dict(
        isrc=None, core_title="fine song", core_title_key="finesong", title_numbers=None,
        title_keys=keys, is_video=True, artist_keys=keys, performer_keys=keys,
        part_artist_keys=keys, primary_artist_key="band", primary_artist="band",
        duration_s=215.0, version_type="live", video_kind=kind, first_year=years[0],
        performance_keys=keys,
    )  # fmt: skip
    track = dict(
        video, title_keys=other_keys, is_video=False, artist_keys=other_keys,
        performer_keys=None, part_artist_keys=None, duration_s=200.0,
        version_type="original", video_kind=None, first_year=years[1],
        performance_keys=other_keys,
    )  # fmt: skip
    left, right = (video, track) if video_left else (track, video)
    return (i, *(side[name] for name in video for side in (left, right)))


def test_every_video_level_reads_alike_on_spark_and_duckdb(spark):
    """The videos model trains on DuckDB and scores on Spark: each level's SQL must agree."""
    cases = [
        dict(keys=["a", "b"], other_keys=["b", "c"]),
        dict(keys=["a"], other_keys=["c"], kind="cover"),
        dict(keys=None, other_keys=["a"], kind="cover"),
        dict(keys=["a"], other_keys=None, kind="non_music", years=(2001, 2009)),
        dict(keys=[], other_keys=["a"], years=(None, 2009)),
    ]
    rows = [
        _video_pair(2 * n + flip, bool(flip), **case)
        for n, case in enumerate(cases)
        for flip in (0, 1)
    ]
    pairs = spark.createDataFrame(rows, _VIDEO_PAIRS)
    pairs.createOrReplaceTempView("video_pairs")
    con = duckdb.connect()
    con.register("video_pairs", pairs.toArrow())
    module, n_levels = "splink_models.videos", 0
    for spark_c, duck_c in zip(
        code_settings(module, "spark")["comparisons"],
        code_settings(module, "duckdb")["comparisons"],
        strict=True,
    ):
        for s_level, d_level in zip(
            spark_c["comparison_levels"], duck_c["comparison_levels"], strict=True
        ):
            # the fuzzy functions are each backend's own (Splink's jar on Spark), see above
            sql = s_level["sql_condition"]
            if sql == "ELSE" or "jaro" in sql or "damerau" in sql:
                continue
            on_spark = spark.sql(f"select i, coalesce({sql}, false) from video_pairs").collect()
            on_duckdb = con.sql(
                f"select i, coalesce({d_level['sql_condition']}, false) from video_pairs"
            ).fetchall()
            label = (spark_c["output_column_name"], s_level["label_for_charts"])
            assert sorted(map(tuple, on_spark)) == sorted(on_duckdb), label
            n_levels += 1
    assert n_levels >= 18

"""What scoring carries: the columns a model reads in, and what the pairs keep of each side."""

from __future__ import annotations

from features.schemas import TRACK_FEATURES
from splink_models import model as model_lib
from splink_models.dialect import code_settings

TRACK_COLUMNS = TRACK_FEATURES.fieldNames()
# every input column the recordings comparisons and blocking rules read
RECORDINGS_READS = {
    "track_id",
    "isrc",
    "core_title",
    "core_title_key",
    "title_norm",
    "title_head_key",
    "title_first_key",
    "title_artist_key",
    "title_song_key",
    "title_numbers",
    "record_tokens",
    "artist_keys",
    "primary_artist",
    "primary_artist_key",
    "primary_artist_phonetic",
    "duration_s",
    "version_type",
    "version_detail",
    "version_words",
    "version_words_text",
    "album_norm",
    "release_year",
}


def test_a_dedupe_model_reads_only_the_columns_it_compares_or_blocks_on():
    settings = code_settings("splink_models.recordings", "spark")

    columns = model_lib.scoring_columns(settings, TRACK_COLUMNS)

    assert set(columns) == RECORDINGS_READS
    assert columns == [c for c in TRACK_COLUMNS if c in RECORDINGS_READS]  # input order kept
    # look-alikes of used names are not taken for them
    assert "title" not in columns  # a prefix of title_norm, title_head_key, ... all read
    assert "duration_bucket" not in columns  # only the EM sessions block on it


def test_a_linking_model_also_reads_the_source_that_splits_its_sides():
    settings = code_settings("splink_models.recordings", "spark", "link_only")

    assert set(model_lib.scoring_columns(settings, TRACK_COLUMNS)) == RECORDINGS_READS | {"source"}


def test_columns_a_model_retains_are_read_even_if_nothing_compares_them():
    settings = code_settings("splink_models.videos", "spark")
    retained = set(settings["additional_columns_to_retain"])
    assert retained == {"group_id", "is_video", "video_kind"}

    columns = model_lib.scoring_columns(settings, [*retained, "link_id", "not_a_model_column"])

    assert set(columns) == {*retained, "link_id"}


def test_scoring_keeps_levels_and_weights_but_not_each_sides_fields():
    settings = code_settings("splink_models.recordings", "spark")

    scoring = model_lib.scoring_settings(settings)

    assert scoring["retain_matching_columns"] is False
    assert scoring["retain_intermediate_calculation_columns"] is True  # gamma_ / mw_ columns
    assert settings.get("retain_matching_columns", True) is True  # the model is not changed

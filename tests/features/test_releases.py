"""Release features, table-driven, with None, non-ASCII and real-world tricky rows."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from features.quality import RECORD_EXCLUDED, VALUE_NULLED, split_bad_input
from features.releases import (
    build_release_features,
    core_title,
    disc_number,
    edition,
    normalize_label,
    normalize_upc,
    release_rules,
    release_summary,
    title_years,
    track_band,
    track_count,
    track_tokens,
    volume_number,
    without_mojibake,
)
from features.schemas import RELEASE_FEATURES, RELEASE_INPUT
from features.text import normalize_text
from tests._helpers import check_column_function

GENERIC = {"artist": ("various artists", "various", "va"), "title": ("untitled",)}


def _release(release_id, title, artists=None, tracks=None, **fields):
    """A RELEASE_INPUT row: title, artists and track titles, the rest by keyword."""
    return (
        release_id,
        fields.get("source", "test"),
        title,
        artists,
        fields.get("upc"),
        fields.get("release_date"),
        fields.get("release_year"),
        fields.get("label"),
        fields.get("track_count"),
        tracks,
        fields.get("genre"),
        fields.get("track_ids"),
    )


def test_core_title_strips_editions_numbers_and_descriptors(spark):
    check_column_function(
        spark,
        lambda c: core_title(c, GENERIC["title"]),
        [
            (None, None),
            ("", None),
            ("Untitled", None),
            ("Frankfurt Trance Vol. 04 (CD1)", "frankfurt trance"),
            ("Abbey Road (2019 Remaster)", "abbey road"),
            ("Dangerously in Love (Deluxe Edition)", "dangerously in love"),
            ("The Wall [Expanded Edition]", "the wall"),
            ("King Kong - Original Motion Picture Soundtrack", "king kong"),
            ("Now That's What I Call Music! 45", "now thats what i call music"),
            ("No One Knows", "no one knows"),
            ("Déjà Vu (Japan Edition)", "deja vu"),
            ("Ещё раз (CD 2)", "eshche raz"),
            ("The Beatles 1962-1966 (Disc 2)", "the beatles 1962 1966"),
        ],
    )


def test_disc_number(spark):
    check_column_function(
        spark,
        lambda c: disc_number(normalize_text(c)),
        [
            (None, None),
            ("Hits CD2", 2),
            ("Live (Disc 1 of 2)", 1),
            ("Simply Love - Disc One", 1),
            ("Jerry's Home Disc II", 2),
            ("Frankfurt Trance Vol. 04 CD1", 1),
            ("Greatest Hits 2CD", None),  # a two-disc set, not its second disc
            ("CD 2000", None),
            ("Живой звук (CD 2)", 2),
        ],
        "value string, expected int",
    )


def test_volume_number(spark):
    check_column_function(
        spark,
        lambda c: volume_number(normalize_text(c)),
        [
            (None, None),
            ("Trance Vol. 04", 4),
            ("Masters of Piobaireachd Volume One", 1),
            ("Sevillanas Históricas Volumen I", 1),
            ("The K&D Sessions Part II", 2),
            ("Der Deutsche Hitmix No. 5 Die Party", 5),
            ("Now That's What I Call Music! 45", 45),
            ("Yoshiesque 2 (CD2)", 2),
            ("No One Knows", None),
            ("The Beatles 1962-1966", None),
            ("Out of This World London 20.10.94 Disc 2", None),
            ("21", None),
            ("Ελληνικά Τραγούδια Vol 3", 3),
        ],
        "value string, expected int",
    )


def test_title_years(spark):
    check_column_function(
        spark,
        lambda c: title_years(normalize_text(c)),
        [
            (None, None),
            ("The Beatles 1962-1966", ["1962", "1966"]),
            ("Live at Giants Stadium 17.08.1994 (CD 2)", ["1994"]),
            ("Summer of '69", None),
            ("Blink-182", None),
            ("Берлин 1989", ["1989"]),
        ],
        "value string, expected array<string>",
    )


def test_edition(spark):
    check_column_function(
        spark,
        lambda c: edition(normalize_text(c)),
        [
            (None, None),
            ("Dangerously in Love (Deluxe Edition)", "deluxe"),
            ("Abbey Road (2019 Remaster)", "remaster"),
            ("Eldorado - Remastered", "remaster"),
            ("The Wall [Expanded Edition]", "expanded"),
            ("Silence (Japan Edition)", "regional"),
            ("Silence JPN", "regional"),
            ("Thriller (International Version)", "regional"),
            ("Razorblade Romance (Limited Edition)", "limited"),
            ("Made in Japan", None),
            ("Déjà Vu (Édition Deluxe)", "deluxe"),
        ],
    )


def test_normalize_upc_checks_the_digit_and_writes_ean13(spark):
    check_column_function(
        spark,
        normalize_upc,
        [
            (None, None),
            ("", None),
            ("036000291452", "0036000291452"),  # UPC-A
            ("0 36000-29145 2", "0036000291452"),
            ("0036000291452", "0036000291452"),  # the same as EAN-13
            ("4006381333931", "4006381333931"),
            ("036000291453", None),  # check digit wrong
            ("36000291452", None),  # 11 digits
            ("000000000000", None),  # placeholder
            ("０３６０００２９１４５２", None),  # full-width digits are not the barcode
        ],
    )


def test_track_tokens(spark):
    check_column_function(
        spark,
        lambda titles, artists: track_tokens(titles, artists),
        [
            (None, None, None),
            (
                ["01 Papercut", "02 One Step Closer", "03 With You"],
                None,
                ["closer", "one", "papercut", "step"],
            ),
            # one element holding every title, as some feeds send them: the same words
            (["papercut one step closer with you"], None, ["closer", "one", "papercut", "step"]),
            (["Track 01", "Track 02", "Pista 03", "Skladba 4"], None, None),
            # the release's artist in every title ("Artist - Title") is not a word of it
            (
                [
                    "Smashing Pumpkins - Today",
                    "Smashing Pumpkins - Disarm",
                    "Smashing Pumpkins - Soma",
                ],
                ["smashing pumpkins"],
                ["disarm", "soma", "today"],
            ),
            (["Ещё раз", "Земля", "Кукушка"], None, ["eshche", "kukushka", "raz", "zemlya"]),
            # mojibake words (UTF-8 read as Latin-1) are dropped, the others kept
            (["mãºsicas ã â ºâ para louvar ao senhor jesus"], None, ["jesus", "louvar", "senhor"]),
        ],
        "titles array<string>, artists array<string>, expected array<string>",
    )


def test_track_band_is_the_same_for_the_same_words_in_any_order(spark):
    df = spark.createDataFrame(
        [
            (["alpha", "bravo", "charlie"],),
            (["charlie", "alpha", "bravo"],),
            (["delta", "echo", "fox"],),
            (None,),
        ],
        "tokens array<string>",
    )
    bands = [
        tuple(r) for r in df.select(*[track_band(F.col("tokens"), b) for b in range(3)]).collect()
    ]
    assert bands[0] == bands[1]
    assert all(a != b for a, b in zip(bands[0], bands[2], strict=True))
    assert bands[3] == (None, None, None)
    assert len(set(bands[0])) == 3  # the bands are independent hashes


def test_track_count(spark):
    check_column_function(
        spark,
        track_count,
        [
            (None, None, None),
            (12, None, 12),
            (None, ["a", "b", "c"], 3),
            (None, ["a / b / c"], None),  # a concatenated listing says nothing of the count
            (0, ["a", "b"], 2),
            (9999, None, None),
            (None, ["Ещё раз", " ", "Земля"], 2),
        ],
        "given int, titles array<string>, expected int",
    )


def test_without_mojibake(spark):
    check_column_function(
        spark,
        without_mojibake,
        [
            (None, None),
            ("Beyoncé", "Beyoncé"),
            ("mãºsicas para louvar ao senhor", "mãºsicas para louvar ao senhor"),
            ("ã â ºâ ã â šâªã", "0b3430209a706390"),
            ("Земфира", "Земфира"),
        ],
    )


def test_normalize_label(spark):
    check_column_function(
        spark,
        normalize_label,
        [
            (None, None),
            ("Warner Bros. Records Inc.", "warner bros"),
            ("Sony Music Entertainment", "sony"),
            ("Records", None),
            ("Мелодия", "melodiya"),
        ],
    )


def test_build_release_features_matches_contract_and_nulls_generic_values(spark):
    rows = [
        _release(
            "r1",
            "Hybrid Theory (Bonus Tracks) [CD 1]",
            ["Linkin Park"],
            ["Papercut", "One Step Closer", "With You"],
            upc="036000291452",
            release_date=dt.date(2000, 10, 24),
            label="Warner Bros. Records",
            genre="Nu Metal",
        ),
        _release("r2", "Untitled", ["V/A"], ["Track 01", "Track 02"], release_year=1800),
        _release("r3", "Ещё раз", ["Земфира"], ["Кукушка / Земля / Небо"], release_year=2002),
    ]
    out = build_release_features(spark.createDataFrame(rows, RELEASE_INPUT), generic_values=GENERIC)
    assert [f.name for f in out.schema.fields] == [f.name for f in RELEASE_FEATURES.fields]
    by_id = {r["release_id"]: r for r in out.collect()}
    r1 = by_id["r1"]
    assert (r1.core_title, r1.core_title_key, r1.edition, r1.disc_number) == (
        "hybrid theory",
        "hybridtheory",
        "bonus",
        1,
    )
    assert (r1.primary_artist_key, r1.artist_tokens) == ("linkinpark", ["linkin", "park"])
    assert r1.track_tokens == ["closer", "one", "papercut", "step"] and r1.track_count == 3
    assert (r1.release_year, r1.label_norm, r1.upc) == (2000, "warner bros", "0036000291452")
    r2 = by_id["r2"]  # every generic value is null: nothing can glue it to another release
    assert r2.core_title is None and r2.primary_artist_key is None and r2.artists_norm is None
    assert r2.track_tokens is None and r2.track_band_1 is None and r2.release_year is None
    r3 = by_id["r3"]
    assert (r3.core_title, r3.primary_artist, r3.release_year) == ("eshche raz", "zemfira", 2002)
    assert r3.track_tokens == ["kukushka", "nebo", "zemlya"] and r3.track_count is None
    summary = {
        r.release_id: r.s
        for r in out.select("release_id", release_summary(out).alias("s")).collect()
    }
    assert summary["r1"] == (
        "Hybrid Theory (Bonus Tracks) [CD 1] | linkin park | 2000 | 3 tracks | warner bros | test"
    )
    assert summary["r2"] == "Untitled | 2 tracks | test"


def test_release_rules_exclude_untitled_releases_and_null_bad_values(spark):
    rows = [
        _release("ok", "Hybrid Theory", ["Linkin Park"], ["Papercut"], upc="036000291452"),
        _release("no_title", None, ["A"], ["x"]),
        _release("blank_title", "  ", ["A"], ["x"]),
        _release("bad_upc", "Album", ["A"], ["x"], upc="036000291453"),
        _release("short_upc", "Album", ["A"], ["x"], upc="12345"),
        _release("old_date", "Album", ["A"], ["x"], release_date=dt.date(1, 1, 1)),
        _release("bad_year", "Album", ["A"], ["x"], release_year=20011),
        _release("neg_tracks", "Album", ["A"], ["x"], track_count=-1),
        _release("no_id_title", "Альбом", ["Б"], ["в"]),
    ]
    records, fields = release_rules()
    kept, quarantine = split_bad_input(
        spark.createDataFrame(rows, RELEASE_INPUT),
        entity_type="releases",
        id_column="release_id",
        run_id="r1",
        record_rules=records,
        field_rules=fields,
    )
    q = {(r.record_id, r.field, r.action) for r in quarantine.collect()}
    assert q == {
        ("no_title", "title", RECORD_EXCLUDED),
        ("blank_title", "title", RECORD_EXCLUDED),
        ("bad_upc", "upc", VALUE_NULLED),
        ("short_upc", "upc", VALUE_NULLED),
        ("old_date", "release_date", VALUE_NULLED),
        ("bad_year", "release_year", VALUE_NULLED),
        ("neg_tracks", "track_count", VALUE_NULLED),
    }
    by_id = {r.release_id: r for r in kept.collect()}
    assert set(by_id) == {
        "ok",
        "bad_upc",
        "short_upc",
        "old_date",
        "bad_year",
        "neg_tracks",
        "no_id_title",
    }
    assert by_id["ok"].upc == "036000291452" and by_id["bad_upc"].upc is None
    assert by_id["neg_tracks"].track_count is None and by_id["old_date"].release_date is None

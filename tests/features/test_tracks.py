"""Track features, table-driven, with None, non-ASCII and real-world tricky rows."""

from __future__ import annotations

import datetime as dt

from features.parsing import date_in_text
from features.schemas import TRACK_FEATURES, TRACK_INPUT
from features.text import normalize_text
from features.tracks import (
    album_norm,
    build_track_features,
    core_title,
    duration_in_title,
    duration_seconds,
    featured_in_title,
    isrc_year,
    normalize_isrc,
    performance_keys,
    record_tokens,
    release_year,
    title_head_key,
    title_tags,
    track_summary,
    version_type,
    version_words,
)
from tests._helpers import check_column_function


def test_core_title_strips_version_tags_and_featured_artists(spark):
    check_column_function(
        spark,
        core_title,
        [
            (None, None),
            ("", None),
            ("Hey Jude - Remastered 2015", "hey jude"),
            ("Hey Jude (2015 Remaster)", "hey jude"),
            ("I Wan na Mingle [ feat . Pusher ]", "i wan na mingle"),
            ("Crazy in Love (feat. Jay-Z)", "crazy in love"),
            ("Crazy In Love ft. Jay-Z", "crazy in love"),
            ("Déjà Vu (Karaoke Version) [Originally Performed by Beyoncé]", "deja vu"),
            ("(I Can't Get No) Satisfaction", "i cant get no satisfaction"),
            ("Live and Let Die", "live and let die"),
            ('Blue Monday - 12" Version', "blue monday"),
            ("Levels (Skrillex Remix) [Radio Edit]", "levels"),
            ("Ещё раз (Live)", "eshche raz"),
            ("Bohemian Rhapsody - Live Aid 1985", "bohemian rhapsody"),
            ("Yesterday - Mono / Remastered", "yesterday"),
        ],
    )


def test_version_type(spark):
    check_column_function(
        spark,
        lambda title, artists: version_type(title_tags(title), artists),
        [
            ("Hey Jude - Remastered 2015", ["The Beatles"], "original"),
            ("Hey Jude (Mono)", ["The Beatles"], "original"),
            ("Hey Jude (Live at Wembley 1986)", ["The Beatles"], "live"),
            ("Live and Let Die", ["Wings"], "original"),
            ("Levels (Skrillex Remix)", ["Avicii"], "remix"),
            ("Levels (Skrillex Remix) [Radio Edit]", ["Avicii"], "remix"),
            ('Blue Monday - 12" Version', ["New Order"], "extended"),
            ("Titanium (Extended Mix)", ["David Guetta"], "extended"),
            ("Stay - Radio Edit", ["Rihanna"], "radio_edit"),
            ("Wonderwall (Acoustic)", ["Oasis"], "acoustic"),
            ("Wonderwall (Instrumental)", ["Oasis"], "instrumental"),
            ("Déjà Vu (Originally Performed by Beyoncé)", ["Hit Crew"], "karaoke"),
            ("Déjà Vu", ["Karaoke Hits Band"], "karaoke"),
            ("All Too Well (Taylor's Version)", ["Taylor Swift"], "re_recording"),
            ("Creep (2020 Re-Recording)", ["Radiohead"], "re_recording"),
            ("Sober (Demo)", ["Tool"], "demo"),
            ("Песня (Live)", ["Кино"], "live"),
            (None, None, "original"),
        ],
        "title string, artists array<string>, expected string",
    )


def test_featured_in_title(spark):
    check_column_function(
        spark,
        featured_in_title,
        [
            ("Crazy in Love (feat. Jay-Z)", ["jay z"]),
            ("I Wan na Mingle [ feat . Pusher ]", ["pusher"]),
            ("Run (ft. A & B)", ["a", "b"]),
            ("Hello feat. Martin Solveig", ["martin solveig"]),
            ("Dançar (featuring Zé Ramalho)", ["ze ramalho"]),
            ("Song ft. X - Radio Edit", ["x"]),
            # a store's whole record in the title: the artist after the bracket is not featured
            (
                "Elevator ( feat . Timbaland ) Flo Rida Mail On Sunday Hip-Hop/Rap 3:55",
                ["timbaland"],
            ),
            ("Plain Title", []),
            (None, []),
        ],
        "title string, expected array<string>",
    )


def test_normalize_isrc(spark):
    check_column_function(
        spark,
        normalize_isrc,
        [
            (None, None),
            ("", None),
            ("USRC17607839", "USRC17607839"),
            ("us-rc1-76-07839", "USRC17607839"),
            (" GB AYE 68 00531 ", "GBAYE6800531"),
            ("USRC1760783", None),
            ("ÜSRC17607839", None),
            ("not an isrc", None),
        ],
    )


def test_isrc_year(spark):
    check_column_function(
        spark,
        isrc_year,
        [(None, None), ("USRC17607839", 1976), ("GBAYE0500001", 2005), ("GBAYE3900001", 2039)],
        "value string, expected int",
    )


def test_duration_seconds_rejects_absurd_values(spark):
    check_column_function(
        spark,
        duration_seconds,
        [
            (None, None),
            (215000, 215.0),
            (0, None),
            (-5, None),
            (20 * 3600 * 1000, None),
            (1500, 1.5),
        ],
        "value long, expected double",
    )


def test_release_year_ignores_placeholder_dates(spark):
    check_column_function(
        spark,
        release_year,
        [
            (None, None),
            (dt.date(2015, 3, 31), 2015),
            (dt.date(1, 1, 1), None),
            (dt.date(1899, 12, 31), None),
        ],
        "value date, expected int",
    )


def test_album_norm_drops_editions(spark):
    check_column_function(
        spark,
        lambda c: album_norm(c, ("greatest hits",)),
        [
            (None, None),
            ("Dangerously in Love (Deluxe Edition)", "dangerously in love"),
            ("1 (Remastered)", "1"),
            ("Us - Single", "us"),
            ("Greatest Hits", None),
            ("Homogénic", "homogenic"),
        ],
    )


def test_build_track_features_matches_contract_and_nulls_generic_values(spark):
    rows = [
        (
            "t1",
            "s",
            "Crazy in Love (feat. Jay-Z)",
            ["Beyoncé"],
            "Dangerously in Love",
            236000,
            "US-SM1-03-06563",
            dt.date(2003, 5, 20),
            "Columbia",
            None,
            "T-034.524.680-1",
        ),
        ("t2", "s", "Track 1", ["Various Artists"], "Greatest Hits") + (None,) * 6,
        ("t3", "s", "Ещё раз", ["Земфира"], None, 180000, None, None, None, None, None),
    ]
    out = build_track_features(
        spark.createDataFrame(rows, TRACK_INPUT),
        generic_values={
            "artist": ("various artists",),
            "title": ("track 1",),
            "album": ("greatest hits",),
        },
    )
    assert [f.name for f in out.schema.fields] == [f.name for f in TRACK_FEATURES.fields]
    by_id = {r["track_id"]: r for r in out.collect()}
    t1 = by_id["t1"]
    assert (t1.core_title, t1.version_type, t1.primary_artist_key) == (
        "crazy in love",
        "original",
        "beyonce",
    )
    assert t1.artists_norm == ["beyonce", "jay z"] and t1.featured_artists == ["jay z"]
    assert (t1.isrc, t1.isrc_country, t1.isrc_registrant, t1.isrc_year) == (
        "USSM10306563",
        "US",
        "SM1",
        2003,
    )
    assert (t1.duration_s, t1.release_year) == (236.0, 2003)
    t2 = by_id["t2"]  # every generic value is null: nothing can glue it to another track
    assert t2.core_title is None and t2.primary_artist_key is None and t2.artist_keys is None
    # no blocking key made of a generic title either
    assert t2.title_head_key is None and t2.title_first_key is None
    assert (t1.title_head_key, t1.title_first_key) == ("crazyin", "crazy")
    assert t2.album_norm is None
    assert by_id["t3"].core_title == "eshche raz" and by_id["t3"].primary_artist_key == "zemfira"


def test_performance_keys_name_the_place_and_year_of_a_live_take(spark):
    check_column_function(
        spark,
        performance_keys,
        [
            (None, None),
            ("live", None),
            ("live at the bbc", ["bbc"]),
            ("live at hyde park 1990", ["hyde", "park", "1990"]),
            ("live the bbc 2005 front row", ["bbc", "2005"]),
            ("live from dublin remastered 2011", ["dublin", "2011"]),
            ("acoustic version", None),
            ("feat x live in tokyo 4k", ["tokyo"]),
        ],
        "value string, expected array<string>",
    )


def test_version_words_name_the_remixer_venue_year_or_take(spark):
    check_column_function(
        spark,
        lambda title: version_words(title_tags(title)),
        [
            (None, None),
            ("Applause", None),
            ("Applause (Goldhouse Remix)", ["goldhouse"]),
            ("Applause (Empire Of The Sun Remix)", ["empire", "sun"]),
            ("Applause - Goldhouse Remix", ["goldhouse"]),
            ("Applause (Remix)", None),
            ("Song (feat. Jay-Z) [Skrillex Remix]", ["skrillex"]),  # a credit names no version
            ("Song (Goldhouse Remix) - Remastered 2011", ["goldhouse"]),  # nor a remaster note
            ("Song (2009 Digital Remaster) [Live]", None),
            ("Song - Live at Wembley 1986", ["1986", "wembley"]),
            ("Song (Live from the Royal Albert Hall)", ["albert", "hall", "royal"]),
            ("Song (Live à l'Olympia 1961)", ["1961", "lolympia"]),
            ("Song (Radio Edit)", None),
            ('Song (12" Version)', None),
            ("Song (Extended Club Mix)", None),
            ("Song (Originally Performed by Adele) [Karaoke Version]", ["adele"]),
            ("Song (Take 2)", ["2"]),
            ("Song (Live) [Bonus Track]", None),  # release notes name no version
            ("Song (Live at Wembley) [Deluxe Edition]", ["wembley"]),
            ("ПЕСНЯ (Live в Москве 2005)", ["2005", "moskve"]),  # one-letter words go
        ],
        "value string, expected array<string>",
    )


def test_duration_in_title_reads_a_crammed_m_ss(spark):
    check_column_function(
        spark,
        duration_in_title,
        [
            (None, None),
            ("Elevator", None),
            # a real-world shape: a store's whole record in the title
            ("Elevator ( feat . Timbaland ) Flo Rida Mail On Sunday 3:55 17-Mar-08", 235.0),
            ("Runaway Train Cam Country $ 0.99 3:01 31-Mar-15", 181.0),
            ("Night Mix 1:02:33", None),  # h:mm:ss is not m:ss
            ("Ratio 1:2", None),
            ("Café 0:00", None),
            ("Прогулка 4:07", 247.0),
        ],
        "value string, expected double",
    )


def test_date_in_text_reads_a_crammed_date_and_nothing_that_only_looks_like_one(spark):
    check_column_function(
        spark,
        date_in_text,
        [
            (None, None),
            ("Elevator", None),
            # real-world shapes: a store's whole record in the title
            (
                "Elevator ( feat . Timbaland ) Flo Rida Mail On Sunday 3:55 17-Mar-08",
                dt.date(2008, 3, 17),
            ),
            ("Runaway Train Cam Country $ 0.99 3:01 31-Mar-15", dt.date(2015, 3, 31)),
            ("Halo Beyoncé September 16 , 2014", dt.date(2014, 9, 16)),
            ("Halo Sept. 16th, 2014", dt.date(2014, 9, 16)),
            ("Song (Live 13 July 1985)", dt.date(1985, 7, 13)),
            ("Song 2008-03-17 Remaster", dt.date(2008, 3, 17)),
            ("Песня 5-Mar-99", dt.date(1999, 3, 5)),
            # no full date: a year, a bare day and month, a numeric date of unknown order
            ("Track 14 Me 4 U 2015 Ultra Records", None),
            ("1999", None),
            ("Song 12-Mar", None),
            ("Song 3/4/15", None),
            ("Song 31-Feb-15", None),  # no such day
            ("Mar-15", None),
            ("Remarkable 12-Marathon-2015", None),
            ("Catalogue 112-Mar-15", None),  # a date inside a longer number
        ],
        "value string, expected date",
    )


def test_release_year_falls_back_to_a_date_in_the_title(spark):
    rows = [
        # track_id, source, title, artists, album, duration_ms, isrc, release_date, ...
        ("in title", "s", "Runaway Train $ 0.99 3:01 31-Mar-15", None, None, None, None, None)
        + (None,) * 3,
        ("field wins", "s", "Runaway Train 31-Mar-15", None, None, None, None)
        + (dt.date(2014, 1, 1),)
        + (None,) * 3,
        ("neither", "s", "Runaway Train 2015", None, None, None, None, None) + (None,) * 3,
    ]
    features = build_track_features(spark.createDataFrame(rows, TRACK_INPUT))
    years = dict(features.select("track_id", "release_year").collect())
    assert years == {"in title": 2015, "field wins": 2014, "neither": None}


def test_record_tokens_are_the_words_of_title_and_artists_wherever_they_sit(spark):
    # (core_title and artists_norm in the feature table: no version tags, no generic artist)
    check_column_function(
        spark,
        record_tokens,
        [
            (None, None, None),
            (" ", [], None),  # nothing but blanks: null, never an empty set
            ("", None, None),
            # real-world rows of one song: iTunes Dirty crams the artist, genre, price,
            # duration and date into the title; Amazon files them
            (
                "Runaway Train Cam Country , Music , Contemporary Country $ 0.99 3:01 31-Mar-15",
                None,
                ["runaway", "train", "cam", "country", "music", "contemporary", "0", "99"]
                + ["3", "01", "31", "mar", "15"],
            ),
            ("Runaway Train", ["Cam"], ["runaway", "train", "cam"]),
            # non-ASCII: folded and transliterated as every other feature; & is "and"
            ("Beyoncé & Jay", ["Мумий Тролль", None], ["beyonce", "and", "jay", "mumii", "troll"]),
        ],
        "title string, artists array<string>, expected array<string>",
    )


# (title, artists) -> (core_title, primary_artist, title_artist_key, title_song_key,
# version_type): the title parser's reading of a track title (title_credit on)
TITLE_CREDIT_CASES = [
    # the title repeats the credited artist: its song part keys blocking
    (
        ("Queen - Bohemian Rhapsody", ["Queen"]),
        ("queen bohemian rhapsody", "queen", "queen", "bohemianrhapsody", "original"),
    ),
    (
        ("Queen - Bohemian Rhapsody (Live Aid 1985)", ["Queen"]),
        ("queen bohemian rhapsody", "queen", "queen", "bohemianrhapsody", "live"),
    ),
    (
        ("Summer (feat. Ellie) | Calvin Harris", ["Calvin Harris"]),
        ("summer calvin harris", "calvin harris", "calvinharris", "summer", "original"),
    ),
    # an artist field that credits nobody: the parsed artist and song key blocking
    (
        ("Queen - Bohemian Rhapsody", ["Various Artists"]),
        ("queen bohemian rhapsody", None, "queen", "bohemianrhapsody", "original"),
    ),
    (
        ("Bohemian Rhapsody | Queen", None),
        ("bohemian rhapsody queen", None, "queen", "bohemianrhapsody", "original"),
    ),
    (
        ("Stand by Me by Ben E. King", []),
        ("stand by me by ben e king", None, "beneking", "standbyme", "original"),
    ),
    (("Земфира - Хочешь?", None), ("zemfira hochesh", None, "zemfira", "hochesh", "original")),
    # a version tag after the dash is the song's, not an artist
    (
        ("Bohemian Rhapsody - Live at Wembley 1986", None),
        ("bohemian rhapsody", None, None, None, "live"),
    ),
    # a title naming another artist than the credited one keys nothing
    (
        ("Queen - Bohemian Rhapsody", ["Panic! at the Disco"]),
        ("queen bohemian rhapsody", "panic at the disco", None, None, "original"),
    ),
    # a crammed feed (iTunes-Amazon Dirty): its dash is the album's; its parts key nothing
    # a store files ("album": a tag to core_title, as ever)
    (
        ("Glasgow David Guetta Nothing But The Beat - The Electronic Album 5:13", None),
        (
            "glasgow david guetta nothing but the beat",
            None,
            "glasgowdavidguettanothingbutthebeat",
            "electronicalbum513",
            "original",
        ),
    ),
    (("Plain Title", None), ("plain title", None, None, None, "original")),
    ((None, None), (None, None, None, None, "original")),
]
CREDIT_COLUMNS = ["core_title", "primary_artist", "title_artist_key", "title_song_key"]


def _title_credit_features(spark, title_credit: bool) -> dict:
    rows = [
        (f"t{i}", "s", title, artists) + (None,) * 7
        for i, ((title, artists), _) in enumerate(TITLE_CREDIT_CASES)
    ]
    features = build_track_features(
        spark.createDataFrame(rows, TRACK_INPUT),
        generic_values={"artist": ("Various Artists",)},
        title_credit=title_credit,
    )
    columns = [*CREDIT_COLUMNS, "version_type"]
    return {r.track_id: tuple(r[c] for c in columns) for r in features.collect()}


def test_a_title_that_names_its_artist_is_read_by_the_title_parser(spark):
    got = _title_credit_features(spark, title_credit=True)
    assert len(got) == len(TITLE_CREDIT_CASES)  # every record kept, parsed or not
    for i, ((title, artists), expected) in enumerate(TITLE_CREDIT_CASES):
        assert got[f"t{i}"] == expected, (title, artists)


def test_without_title_credit_the_parser_keys_nothing_and_the_rest_is_the_same(spark):
    on, off = (_title_credit_features(spark, title_credit=v) for v in (True, False))
    assert {k: (v[2], v[3]) for k, v in off.items()} == {k: (None, None) for k in on}
    assert {k: (v[0], v[1], v[4]) for k, v in off.items()} == {
        k: (v[0], v[1], v[4]) for k, v in on.items()
    }


def test_title_head_key_is_the_first_two_words(spark):
    check_column_function(
        spark,
        lambda title: title_head_key(normalize_text(title)),
        [
            (None, None),
            ("Runaway Train", "runawaytrain"),
            ("Runaway Train Cam Country , Music , Contemporary Country", "runawaytrain"),
            ("Elevator", "elevator"),
            ("Ещё раз Земфира", "eshcheraz"),
        ],
    )


DIRTY_TITLE = "Elevator ( feat . Timbaland ) Flo Rida Mail On Sunday Hip-Hop/Rap 3:55 17-Mar-08"


def test_track_summary_shows_each_value_under_its_field(spark):
    """The error report's record line: a dirty record (everything in the title, the
    artist field empty) reads as one, a clean one as its fields."""
    rows = [
        # artists, album, duration, ISRC, date, label, genre, ISWC: all empty
        ("dirty", "itunes", DIRTY_TITLE) + (None,) * 8,
        ("clean", "amazon", "Crazy in Love (feat. Jay-Z)", ["Beyoncé"], "Dangerously in Love")
        + (236000, None, dt.date(2003, 5, 20), None, None, None),
    ]
    features = build_track_features(spark.createDataFrame(rows, TRACK_INPUT))
    shown = dict(features.select("track_id", track_summary(features)).collect())
    assert shown["dirty"] == (
        f'title "{DIRTY_TITLE}" | artists timbaland (in the title)'
        " | album - | 3:55 (in the title) | year 2008 (in the title) | source itunes"
    )
    assert shown["clean"] == (
        'title "Crazy in Love (feat. Jay-Z)" | artists beyonce jay z (in the title)'
        " | album dangerously in love | 3:56 | year 2003 | source amazon"
    )

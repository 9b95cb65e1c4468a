"""Video features, table-driven: real-world YouTube title shapes, None, non-ASCII and tricky rows."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from chispa.schema_comparer import assert_schema_equality

from features.schemas import VIDEO_FEATURES, VIDEO_INPUT
from features.videos import (
    build_video_features,
    channel_artist,
    clean_video_title,
    cover_artist,
    video_kind,
)
from tests._helpers import check_column_function

GENERIC = {
    "artist": ("various artists", "unknown"),
    "title": ("untitled", "track 1"),
    "album": ("greatest hits",),
}


def _check_features(spark, built, group, rows, columns, schema):
    """Compare ``columns`` of the built ``group`` rows with the expected values after (title, channel)."""
    actual = spark.createDataFrame(built["rows"], built["schema"]).filter(
        f"video_id like '{group}-%'"
    )
    expected = spark.createDataFrame(
        [(f"{group}-{i}", *r[2:]) for i, r in enumerate(rows)], f"video_id string, {schema}"
    )
    assert_df_equality(
        actual.select("video_id", *columns), expected, ignore_row_order=True, ignore_nullable=True
    )


# (title, channel, parsed_artist, parsed_title, core_title, video_kind, version_type)
TITLE_SHAPES = [
    # "Artist - Title" and its dashes, noise brackets and trailing noise
    ("Queen - Bohemian Rhapsody (Official Video Remastered) [4K]", "Queen Official",
     "queen", "bohemian rhapsody", "bohemian rhapsody", "official_video", "original"),
    ("Adele – Hello", "AdeleVEVO", "adele", "hello", "hello", "official_video", "original"),
    ("Daft Punk — Get Lucky", None, "daft punk", "get lucky", "get lucky", "other", "original"),
    ("Daft Punk • Get Lucky", None, "daft punk", "get lucky", "get lucky", "other", "original"),
    ("BTS - Dynamite [M/V]", None, "bts", "dynamite", "dynamite", "official_video", "original"),
    ("Adele - Skyfall (Official Video) (2012)", None,
     "adele", "skyfall", "skyfall", "official_video", "original"),
    ("The Beatles - Hey Jude (Remastered 2015) HD", None,
     "the beatles", "hey jude", "hey jude", "other", "original"),
    ("Oasis - Wonderwall (Audio) 1080p", None,
     "oasis", "wonderwall", "wonderwall", "audio", "original"),
    ("Oasis - Wonderwall lyrics", None,
     "oasis", "wonderwall", "wonderwall", "lyric_video", "original"),
    ("Deep Purple - Smoke On The Water (1972) [HQ]", None,
     "deep purple", "smoke on the water", "smoke on the water", "other", "original"),
    ("Toto - Africa Full HD", None, "toto", "africa", "africa", "other", "original"),
    ("Adele - Hello (Lyric Video)", None, "adele", "hello", "hello", "lyric_video", "original"),
    ("Billie Eilish - bad guy (Visualizer)", None,
     "billie eilish", "bad guy", "bad guy", "audio", "original"),
    ("Lorde - Royals | Official Visualiser", None,
     "lorde", "royals", "royals", "audio", "original"),
    ("Eminem - Lose Yourself (Explicit) [Clean]", None,
     "eminem", "lose yourself", "lose yourself", "other", "original"),
    ("Muse - Uprising ( ) [ ] - YouTube", None,
     "muse", "uprising", "uprising", "other", "original"),
    ("Eartha Kitt - Santa Baby.wmv", None,
     "eartha kitt", "santa baby", "santa baby", "other", "original"),
    ("🔥 Drake - God's Plan 🔥", None, "drake", "gods plan", "gods plan", "other", "original"),
    ("Prince - 1999", None, "prince", "1999", "1999", "other", "original"),
    # pipes: the song comes first
    ("Hello | Adele", None, "adele", "hello", "hello", "other", "original"),
    ("Perfect || Ed Sheeran lyrics HD", None,
     "ed sheeran", "perfect", "perfect", "lyric_video", "original"),
    ("Hello | Official Video", None, None, "hello", "hello", "official_video", "original"),
    # who is who: a song bracket, then the channel, beat the separator's default
    ("Adele | Hello (feat. Someone)", None,
     "adele", "hello feat someone", "hello", "other", "original"),
    ("Crazy in Love (feat. Jay-Z) - Beyoncé", None,
     "beyonce", "crazy in love feat jay z", "crazy in love", "other", "original"),
    ("Stand By Me - Ben E. King", "Ben E. King",
     "ben e king", "stand by me", "stand by me", "other", "original"),
    ("Shape of You - Ed Sheeran", "Ed Sheeran",
     "ed sheeran", "shape of you", "shape of you", "other", "original"),
    # featured artists on either side
    ("Beyoncé ft. Jay-Z - Crazy in Love", None,
     "beyonce ft jay z", "crazy in love", "crazy in love", "other", "original"),
    ("Ed Sheeran - Perfect ft. Andrea Bocelli", None,
     "ed sheeran", "perfect ft andrea bocelli", "perfect", "other", "original"),
    ("Dua Lipa ft. DaBaby - Levitating (Remix) [Official Video]", "DuaLipaVEVO",
     "dua lipa ft dababy", "levitating remix", "levitating", "official_video", "remix"),
    # colon, quotes, CJK brackets
    ("Patsy Cline: Crazy", None, "patsy cline", "crazy", "crazy", "other", "original"),
    ('Engelbert Humperdinck: "What A Wonderful World"', None, "engelbert humperdinck",
     "what a wonderful world", "what a wonderful world", "other", "original"),
    ("Frank Sinatra 'My Way'", None, "frank sinatra", "my way", "my way", "other", "original"),
    ("Arctic Monkeys - 'Do I Wanna Know?' (Official Audio)", None,
     "arctic monkeys", "do i wanna know", "do i wanna know", "audio", "original"),
    ('"Moon River" - Audrey Hepburn - Breakfast at Tiffany\'s', None,
     "audrey hepburn", "moon river", "moon river", "other", "original"),
    ('Idina Menzel - Let It Go (From "Frozen")', None,
     "idina menzel", "let it go from frozen", "let it go", "other", "original"),
    ("YOASOBI「夜に駆ける」Official Music Video", "Ayase / YOASOBI",
     "yoasobi", "夜に駆ける", "夜に駆ける", "official_video", "original"),
    ("米津玄師『Lemon』MV", None, "米津玄師", "lemon", "lemon", "official_video", "original"),
    # katakana folds to romaji (features.text), kanji stay
    ("【初音ミク】千本桜", None, "初音miku", "千本桜", "千本桜", "other", "original"),
    ("【MV】夜に駆ける", None, None, "夜に駆ける", "夜に駆ける", "official_video", "original"),
    ("YOASOBI「群青」(Live)", None, "yoasobi", "群青 live", "群青", "live", "live"),
    # "by"
    ("Blueberry Hill by Fats Domino", None,
     "fats domino", "blueberry hill", "blueberry hill", "other", "original"),
    ("Someone Like You by Adele (Lyrics)", None,
     "adele", "someone like you", "someone like you", "lyric_video", "original"),
    ("Stand by Me", None, None, "stand by me", "stand by me", "other", "original"),
    # no separator
    ("Hello (Official Audio)", None, None, "hello", "hello", "audio", "original"),
    ("WAP (Explicit)", None, None, "wap", "wap", "other", "original"),
    ("01. Yesterday", None, None, "yesterday", "yesterday", "other", "original"),
    ("Hey Jude - Remastered 2015", "The Beatles - Topic",
     None, "hey jude", "hey jude", "topic", "original"),
    # a separator that lost its dash: a wide gap, a lone bare hyphen between phrases
    ("Nina Simone  Feeling Good  (1965)", None,
     "nina simone", "feeling good", "feeling good", "other", "original"),
    ("Loretta Lynn-Coal Miner's Daughter", None,
     "loretta lynn", "coal miners daughter", "coal miners daughter", "other", "original"),
    ("The B-52's Love Shack", None,
     None, "the b 52s love shack", "the b 52s love shack", "other", "original"),
    ("Ob-La-Di, Ob-La-Da", None, None, "ob la di ob la da", "ob la di ob la da", "other", "original"),
    ("Jane Roe Summer Song (Re-Recorded)", None,
     None, "jane roe summer song re recorded", "jane roe summer song", "other", "re_recording"),
    # live, and songs that only look live
    ("Bohemian Rhapsody (Live at Wembley 1986)", None, None,
     "bohemian rhapsody live at wembley 1986", "bohemian rhapsody", "live", "live"),
    ("Queen - Bohemian Rhapsody - Live Aid 1985", None,
     "queen", "bohemian rhapsody live aid", "bohemian rhapsody", "live", "live"),
    ("Nirvana - Come As You Are (MTV Unplugged)", None,
     "nirvana", "come as you are mtv unplugged", "come as you are", "live", "live"),
    ("Fleet Foxes: Mykonos (Live on KEXP)", "KEXP",
     "fleet foxes", "mykonos live on kexp", "mykonos", "live", "live"),
    ("Oasis - Live Forever", None, "oasis", "live forever", "live forever", "other", "original"),
    ("Wings - Live and Let Die", None,
     "wings", "live and let die", "live and let die", "other", "original"),
    ("Taylor Swift - Long Live", None,
     "taylor swift", "long live", "long live", "other", "original"),
    # covers: the song comes first unless a bracket names the performer
    ("Hello - Adele (Cover)", "Some Guy", "adele", "hello", "hello", "cover", "original"),
    ("Hello (Cover by Boyce Avenue)", "Boyce Avenue",
     None, "hello", "hello", "cover", "original"),
    ("Boyce Avenue covers Hello by Adele", None, "adele", "hello", "hello", "cover", "original"),
    ("Hello - Adele | Piano Cover", "PianoGuy", "adele", "hello", "hello", "cover", "original"),
    ("Jane Roe - Summertime (Ella Fitzgerald Cover)", "Covers Daily",
     "jane roe", "summertime", "summertime", "cover", "original"),
    # versions, with the track vocabulary
    ("Oasis - Wonderwall (Acoustic)", None,
     "oasis", "wonderwall acoustic", "wonderwall", "other", "acoustic"),
    ("Metallica - One (Instrumental)", None,
     "metallica", "one instrumental", "one", "other", "instrumental"),
    ("David Guetta - Titanium (Extended Mix)", None,
     "david guetta", "titanium extended mix", "titanium", "other", "extended"),
    ("Stay - Radio Edit", None, None, "stay radio edit", "stay", "other", "radio_edit"),
    ("Tool - Sober (Demo)", None, "tool", "sober demo", "sober", "other", "demo"),
    ("Taylor Swift - All Too Well (Taylor's Version) (Lyric Video)", None, "taylor swift",
     "all too well taylors version", "all too well", "lyric_video", "re_recording"),
    ("Adele - Someone Like You Karaoke Version", None,
     "adele", "someone like you karaoke version", "someone like you", "other", "karaoke"),
    ("Karaoke - Deja Vu - In the style of Beyonce", "Sing King Karaoke",
     None, "deja vu karaoke in the style of beyonce", "deja vu", "other", "karaoke"),
    # non-ASCII
    ("Кино - Группа крови", None, "kino", "gruppa krovi", "gruppa krovi", "other", "original"),
    ("Björk - Jóga (Official Music Video)", None,
     "bjork", "joga", "joga", "official_video", "original"),
    ("Maná - Rayando el Sol (Video Oficial)", None,
     "mana", "rayando el sol", "rayando el sol", "official_video", "original"),
    ("Shakira - Hips Don't Lie (Letra)", None,
     "shakira", "hips dont lie", "hips dont lie", "lyric_video", "original"),
    # nothing, or nothing but generic values
    (None, None, None, None, None, "other", "original"),
    ("", None, None, None, None, "other", "original"),
    ("(Official Video) [HD]", None, None, None, None, "official_video", "original"),
    ("Various Artists - Untitled", None, None, None, None, "other", "original"),
]  # fmt: skip

# (title, channel, title_parts, title_part_keys)
TITLE_PART_ROWS = [
    ("Adele - Hello (Official Video)", None, ["adele", "hello"], ["adele", "hello"]),
    ("Hello || Adele lyrics HD", None, ["hello", "adele"], ["hello", "adele"]),
    ("Queen - Bohemian Rhapsody - Live Aid 1985", None,
     ["queen", "bohemian rhapsody", "live aid"], ["queen", "bohemianrhapsody", "liveaid"]),
    ("Blueberry Hill by The Fats", None,
     ["blueberry hill", "the fats"], ["blueberryhill", "fats"]),
    ("The Beatles 'Let It Be'", None, ["the beatles", "let it be"], ["beatles", "letitbe"]),
    ("YOASOBI「夜に駆ける」MV", None, ["yoasobi", "夜に駆ける"], ["yoasobi", "夜に駆ける"]),
    ("Кино: Кукушка", None, ["kino", "kukushka"], ["kino", "kukushka"]),
    ("Stand by Me", None, ["stand by me"], ["standbyme"]),
    ("Hello | Official Video", None, ["hello"], ["hello"]),
    (None, None, [], None),
]  # fmt: skip

# (title, channel, artists_norm, artist_keys, primary_artist, primary_artist_key, featured_artists)
ARTIST_ROWS = [
    ("Beyoncé ft. Jay-Z - Crazy in Love", None,
     ["beyonce", "jay z"], ["beyonce", "jayz"], "beyonce", "beyonce", ["jay z"]),
    ("Sia - Cheap Thrills (feat. Sean Paul) [Official Video]", None,
     ["sia", "sean paul"], ["sia", "seanpaul"], "sia", "sia", ["sean paul"]),
    ("Calvin Harris x Dua Lipa - One Kiss", None, ["calvin harris", "dua lipa"],
     ["calvinharris", "dualipa"], "calvin harris", "calvinharris", ["dua lipa"]),
    ("The Weeknd - Blinding Lights (Official Audio)", "TheWeekndVEVO",
     ["weeknd"], ["weeknd"], "weeknd", "weeknd", []),
    ("Земфира - Хочешь? (Official Video)", None,
     ["zemfira"], ["zemfira"], "zemfira", "zemfira", []),
    ("Various Artists - Summer Song ft. Jane Roe", None,
     ["jane roe"], ["janeroe"], None, None, ["jane roe"]),
    ("Hello (Official Audio)", "Adele - Topic", [], None, None, None, []),
    (None, None, [], None, None, None, []),
]  # fmt: skip

# Whole VIDEO_INPUT rows for the contract test.
CONTRACT_ROWS = [
    ("contract-1", "yt", "Beyoncé - Crazy in Love ft. JAY Z (Official Video)", "BeyonceVEVO",
     "desc", 236000, dt.datetime(2009, 10, 2, 12, 0), "us-sm1-03-06563"),
    ("contract-2", "yt", None, None, None, 0, dt.datetime(1, 1, 1), "not an isrc"),
    ("contract-3", "yt", "Кино - Группа крови", "Кино - Topic", None, None, None, None),
]  # fmt: skip


@pytest.fixture(scope="module")
def built(spark):
    """build_video_features over every row of this module, run once: its plan is large.

    Returns the output schema and collected rows; ids are '<group>-<index>'.
    """
    groups = {"shape": TITLE_SHAPES, "parts": TITLE_PART_ROWS, "artists": ARTIST_ROWS}
    rows = [
        (f"{group}-{i}", "yt", row[0], row[1], None, None, None, None)
        for group, table in groups.items()
        for i, row in enumerate(table)
    ]
    videos = spark.createDataFrame(rows + CONTRACT_ROWS, VIDEO_INPUT)
    out = build_video_features(videos, generic_values=GENERIC)
    return {"schema": out.schema, "rows": out.collect()}


def test_parser_reads_real_world_title_shapes(spark, built):
    assert len(TITLE_SHAPES) >= 45
    _check_features(
        spark,
        built,
        "shape",
        TITLE_SHAPES,
        ["parsed_artist", "parsed_title", "core_title", "video_kind", "version_type"],
        "parsed_artist string, parsed_title string, core_title string, video_kind string, "
        "version_type string",
    )


def test_title_parts_are_every_part_the_separators_cut(spark, built):
    _check_features(
        spark,
        built,
        "parts",
        TITLE_PART_ROWS,
        ["title_parts", "title_part_keys"],
        "title_parts array<string>, title_part_keys array<string>",
    )


def test_artists_from_the_parsed_credit_and_featured_artists(spark, built):
    _check_features(
        spark,
        built,
        "artists",
        ARTIST_ROWS,
        ["artists_norm", "artist_keys", "primary_artist", "primary_artist_key", "featured_artists"],
        "artists_norm array<string>, artist_keys array<string>, primary_artist string, "
        "primary_artist_key string, featured_artists array<string>",
    )


def test_clean_video_title_drops_platform_noise_only(spark):
    check_column_function(
        spark,
        clean_video_title,
        [
            (None, None),
            ("", None),
            ("(Official Music Video) [4K]", None),
            ("Queen - Bohemian Rhapsody (Official Video Remastered) [4K]", "queen - bohemian rhapsody"),
            ("Title || Artist lyrics HD", "title || artist"),
            ("Artist - Title | Official Video | VEVO", "artist - title"),
            ("Artist - Title (Live at Wembley 1986) [HD]", "artist - title (live at wembley 1986)"),
            ("Artist - Title (Karaoke Version) (2016)", "artist - title (karaoke version)"),
            ("Artist - Title (with lyrics) ♥ ★ 🎵", "artist - title"),
            ("Title (feat. X) [Explicit]", "title (feat. x)"),
            ("Hello (Acoustic Cover by Jane Roe)", "hello"),
            ("Jane Roe covers Hello by Adele", "hello by adele"),
            ("LUCKY STAR....Title. ( 1963 )", "lucky star....title."),
            ("Song by Someone 1961", "song by someone"),
            ("Prince - 1999", "prince - 1999"),
            ("Группа Кино - Кукушка (Official Video)", "gruppa kino - kukushka"),
            ("米津玄師「Lemon」【公式】", "米津玄師「lemon」"),
        ],
    )  # fmt: skip


def test_video_kind_precedence(spark):
    check_column_function(
        spark,
        video_kind,
        [
            ("Hello (Live)", "Adele - Topic", "topic"),
            ("Hello (Live Cover by Jane Roe)", None, "cover"),
            ("Adele - Hello (Live at the BBC) [Official Video]", None, "live"),
            ("Queen - Live Aid 1985 (Full Set)", None, "live"),
            ("Adele - Hello (Official Lyric Video)", "AdeleVEVO", "lyric_video"),
            ("Adele - Hello (Official Audio)", "AdeleVEVO", "audio"),
            ("Adele - Hello (Art Track)", None, "audio"),
            ("Adele - Hello", "AdeleVEVO", "official_video"),
            ("Adele - Hello [Official]", None, "official_video"),
            ("Björk - Jóga (Vídeo Oficial)", None, "official_video"),
            ("「夜に駆ける」MV", None, "official_video"),
            ("Земфира - Хочешь? [Live]", None, "live"),
            ("Oasis - Live Forever", None, "other"),
            ("Portugal. The Man - Live in the Moment", None, "other"),
            ("Bruce Springsteen - Cover Me", None, "other"),
            ("Adele - Hello", "Adele Fans", "other"),
            ("Hello - Adele | Piano Tutorial", None, "non_music"),
            ("Adele - Hello (Behind the Scenes)", "Adele", "non_music"),
            ("FIRST TIME HEARING Adele - Hello | REACTION", None, "non_music"),
            ("Reacting to Adele - Hello (Live at the BBC)", None, "non_music"),
            ("Hello (Reaction)", "Adele - Topic", "topic"),
            ("Diana Ross - Chain Reaction (Official Video)", None, "official_video"),
            ("Diana Ross | Chain Reaction", None, "other"),
            (None, None, "other"),
        ],
        "title string, channel string, expected string",
    )


def test_channel_artist_strips_platform_words(spark):
    check_column_function(
        spark,
        channel_artist,
        [
            (None, None),
            ("", None),
            ("VEVO", None),
            ("TaylorSwiftVEVO", "taylor swift"),
            ("ABBAVEVO", "abba"),
            ("Adele - Topic", "adele"),
            ("The Beatles - Topic", "beatles"),
            ("EminemMusic", "eminem"),
            ("Coldplay Official", "coldplay"),
            ("Lady Gaga Official Artist Channel", "lady gaga"),
            ("Concord Records", "concord"),
            ("Tomo's TV", "tomos"),
            ("Paul McCartney", "paul mccartney"),
            ("BeyoncéVEVO", "beyonce"),
            ("Земфира - Topic", "zemfira"),
            ("Sing King Karaoke", "sing king karaoke"),
        ],
    )


def test_cover_artist(spark):
    check_column_function(
        spark,
        cover_artist,
        [
            (None, None),
            ("Adele - Hello", None),
            ("Hello (Cover by Boyce Avenue)", "boyce avenue"),
            ("Hello (Boyce Avenue acoustic cover)", "boyce avenue"),
            ("Boyce Avenue covers Hello by Adele", "boyce avenue"),
            ("Let It Go - covered by Jane Roe", "jane roe"),
            ("Hello - Adele (Cover)", None),
            ("Hello (Acoustic Piano Cover)", None),
            ("Bruce Springsteen - Cover Me", None),
            ("Кукушка (cover by Сергей)", "sergei"),
        ],
    )


def test_build_video_features_matches_contract(built):
    assert_schema_equality(built["schema"], VIDEO_FEATURES, ignore_nullable=True)
    by_id = {r["video_id"]: r for r in built["rows"]}
    v1 = by_id["contract-1"]
    assert (v1.isrc, v1.duration_s, v1.published_year) == ("USSM10306563", 236.0, 2009)
    assert (v1.channel_artist, v1.channel_artist_key) == ("beyonce", "beyonce")
    assert (v1.core_title_key, v1.primary_artist_key, v1.featured_artists) == (
        "crazyinlove",
        "beyonce",
        ["jay z"],
    )
    assert v1.title_norm == "beyonce crazy in love ft jay z official video"
    v2 = by_id["contract-2"]
    assert (v2.isrc, v2.duration_s, v2.published_year, v2.title_norm) == (None, None, None, None)
    v3 = by_id["contract-3"]
    assert (v3.video_kind, v3.channel_artist, v3.core_title_key) == ("topic", "kino", "gruppakrovi")

"""Work titles and ISWCs, table-driven, with None, non-ASCII and real-world tricky rows."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from features.identifiers import (
    InvalidIswcError,
    format_iswc,
    iswc_check_digit,
    iswc_check_digit_ok,
    iswc_shape_ok,
    normalize_iswc,
)
from features.work_titles import core_work_title, work_title_variants
from tests._helpers import check_column_function

# Published ISWCs: the ISO 15707 worked example; ABBA's "Dancing Queen", the
# first ISWC ever assigned; a JASRAC work ("YOUTHFUL"); two from public work pages.
REAL_ISWCS = (
    "T-034.524.680-1",
    "T-000.000.001-0",
    "T-102.054.195-9",
    "T-309.024.105-3",
    "T-914.170.206-9",
)


def _has_variant(title, variant):
    return F.array_contains(work_title_variants(title), variant)


def _share_a_variant(title_l, title_r):
    return F.arrays_overlap(work_title_variants(title_l), work_title_variants(title_r))


# --- titles -----------------------------------------------------------------------


def test_work_title_variants_of_real_titles_hold_the_work_title(spark):
    check_column_function(
        spark,
        _has_variant,
        [
            # a parenthesised prefix: with and without it
            ("(I Can't Get No) Satisfaction", "i cant get no satisfaction", True),
            ("(I Can't Get No) Satisfaction", "satisfaction", True),
            ("(Sittin' On) The Dock of the Bay", "the dock of the bay", True),
            ("(Sittin' On) The Dock of the Bay", "sitting on the dock of the bay", True),
            ("(Everything I Do) I Do It for You", "i do it for you", True),
            # "Theme from X" and friends
            ("Theme from New York, New York", "new york new york", True),
            ("Theme from New York, New York", "theme from new york new york", True),
            ("Theme from Shaft", "shaft", True),
            ('"Theme from Shaft"', "shaft", True),
            ("Main Title from Star Wars", "star wars", True),
            ("Love Theme from Romeo and Juliet (A Time for Us)", "a time for us", True),
            ("Love Theme from Romeo and Juliet (A Time for Us)", "romeo and juliet", True),
            ("My Heart Will Go On (Love Theme from 'Titanic')", "my heart will go on", True),
            ("My Heart Will Go On (Love Theme from 'Titanic')", "titanic", True),
            (
                "Also sprach Zarathustra (Theme from 2001: A Space Odyssey)",
                "2001 a space odyssey",
                True,
            ),
            ("Goldfinger (Main Title)", "goldfinger", True),
            # soundtrack notes
            ('Let It Go (From "Frozen")', "let it go", True),
            ('Unchained Melody (From the Motion Picture "Ghost")', "unchained melody", True),
            ("Shallow (From A Star Is Born Soundtrack)", "shallow", True),
            ('City of Stars - From "La La Land" Soundtrack', "city of stars", True),
            ("Nessun dorma (from Turandot)", "nessun dorma", True),
            ("Summertime (From the film Porgy and Bess)", "summertime", True),
            # medleys
            ("Yesterday / Michelle", "yesterday", True),
            ("Yesterday / Michelle", "michelle", True),
            ("Medley: Golden Slumbers/Carry That Weight/The End", "carry that weight", True),
            ("Golden Slumbers / Carry That Weight (Medley)", "golden slumbers", True),
            # version, feature and noise tags
            ("Hallelujah - Live", "hallelujah", True),
            ("Let It Be (Remastered 2009)", "let it be", True),
            ("Bohemian Rhapsody - Live Aid", "bohemian rhapsody", True),
            ("Hurt [Nine Inch Nails cover]", "hurt", True),
            ("Hey Jude - Remastered 2015", "hey jude", True),
            (
                "Bridge over Troubled Water (Live at Madison Square Garden)",
                "bridge over troubled water",
                True,
            ),
            ("Smells Like Teen Spirit (Official Music Video)", "smells like teen spirit", True),
            ("99 Luftballons (Official Video) [HD]", "99 luftballons", True),
            ("Crazy in Love (feat. Jay-Z)", "crazy in love", True),
            ("Déjà Vu (Karaoke Version) [Originally Performed by Beyoncé]", "deja vu", True),
            ("Stand by Me - 2005 Remaster", "stand by me", True),
            ("Layla - Unplugged", "layla", True),
            ("Amazing Grace (1965)", "amazing grace", True),
            ("The Sound of Silence (Acoustic Version)", "sound of silence", True),
            # alternative titles, quotes, spelling
            ("Fly Me to the Moon (In Other Words)", "in other words", True),
            ("Fly Me to the Moon (In Other Words)", "fly me to the moon", True),
            ("Theme (Love Me Tender)", "love me tender", True),
            ('"Heroes"', "heroes", True),
            ("Walkin' After Midnight", "walking after midnight", True),
            (
                "Sgt. Pepper's Lonely Hearts Club Band (Reprise)",
                "sgt peppers lonely hearts club band",
                True,
            ),
            # non-ASCII
            ("Ещё раз (Live)", "eshche raz", True),
            ("Je t'aime... moi non plus (Version originale)", "je taime moi non plus", True),
            # what must not become a variant
            ("Theme (Love Me Tender)", "theme", False),
            ("Goldfinger (Main Title)", "main title", False),
            ("(I Can't Get No) Satisfaction", "i cant get no", False),
            ("Love Theme (From Romeo and Juliet)", "love theme", False),
            ("Part 2 (Intro)", "intro", False),
            ("Shout (Ya)", "ya", False),  # too short to be a title of its own
            ("Either/Or", "either", False),  # a bare slash is no medley
            ("Symphony No. 5 - Allegro con brio", "allegro con brio", False),  # nor is a dash
            ("AC/DC", "dc", False),
            (None, "anything", False),
        ],
        "title string, variant string, expected boolean",
    )


def test_core_work_title_is_the_tagless_title_with_its_brackets_as_words(spark):
    check_column_function(
        spark,
        core_work_title,
        [
            (None, None),
            ("", None),
            ("   ", None),
            ("(Live)", None),
            ("(I Can't Get No) Satisfaction", "i cant get no satisfaction"),
            ("Theme from New York, New York", "theme from new york new york"),
            ("Love Theme (From Romeo and Juliet)", "love theme from romeo and juliet"),
            ("My Heart Will Go On (Love Theme from 'Titanic')", "my heart will go on"),
            ("Yesterday / Michelle", "yesterday michelle"),
            ("Medley: Yesterday / Michelle", "yesterday michelle"),
            ("Hurt [Nine Inch Nails cover]", "hurt"),
            ("(Theme from Shaft)", "shaft"),
            ("Amazing Grace (1965)", "amazing grace"),
            ("Levels (Skrillex Remix) [Radio Edit]", "levels"),
            ("Ещё раз (Live)", "eshche raz"),
            ("Ça plane pour moi - Remastered", "ca plane pour moi"),
        ],
    )


def test_work_title_variants_are_distinct_and_start_with_the_core(spark):
    check_column_function(
        spark,
        work_title_variants,
        [
            (None, []),
            ("", []),
            ("(I Can't Get No) Satisfaction", ["i cant get no satisfaction", "satisfaction"]),
            ("Theme (Love Me Tender)", ["theme love me tender", "love me tender"]),
            ("Yesterday / Michelle", ["yesterday michelle", "yesterday", "michelle"]),
            ("Yesterday (Live) / Yesterday", ["yesterday yesterday", "yesterday"]),
            ("Part 2 (Intro)", ["part 2 intro"]),
            ("Hallelujah", ["hallelujah"]),
        ],
        "title string, expected array<string>",
    )


def test_versions_of_one_song_share_a_variant_and_unrelated_songs_do_not(spark):
    check_column_function(
        spark,
        _share_a_variant,
        [
            ("Satisfaction", "(I Can't Get No) Satisfaction", True),
            ("New York, New York", "Theme from New York, New York", True),
            ("Michelle", "Yesterday / Michelle", True),
            ("Hallelujah", "Hallelujah - Live", True),
            ("Hurt", "Hurt [Nine Inch Nails cover]", True),
            ("Dock of the Bay", "(Sittin' On) The Dock of the Bay", True),
            ("Walking After Midnight", "Walkin' After Midnight", True),
            ("A Time for Us", "Love Theme from Romeo and Juliet (A Time for Us)", True),
            (
                "Love Theme from Romeo and Juliet",
                "A Time for Us (Love Theme from Romeo and Juliet)",
                True,
            ),
            ("Déjà vu", "Deja Vu (Karaoke Version)", True),
            ("Love", "Love Me Do", False),
            ("Yesterday", "Yesterdays", False),
            ("Hey Jude", "Hey Joe", False),
            ("Live and Let Die", "Let It Die (Live)", False),
            ('Let It Go (From "Frozen")', 'Do You Want to Build a Snowman? (From "Frozen")', False),
            ("Theme from Shaft", "Theme from Rocky", False),
            ("Love Theme (From Romeo and Juliet)", "Love Theme (From The Godfather)", False),
            ("Theme (Love Me Tender)", "Theme (Can't Help Falling in Love)", False),
            ("Part 1 (Intro)", "Part 1 (Reprise)", False),
            ("Goldfinger (Main Title)", "Thunderball (Main Title)", False),
            (None, None, False),
        ],
        "title_l string, title_r string, expected boolean",
    )


# --- ISWC -------------------------------------------------------------------------


def test_normalize_iswc(spark):
    check_column_function(
        spark,
        normalize_iswc,
        [
            (None, None),
            ("", None),
            ("T-034.524.680-1", "T0345246801"),
            ("t 034 524 680 1", "T0345246801"),
            (" T-000000001-0 ", "T0000000010"),
            ("T0345246801", "T0345246801"),
            ("T-034.524.680", None),
            ("T-034.524.680-12", None),
            ("X-034.524.680-1", None),
            ("T-O34.524.680-1", None),
            ("Т-034.524.680-1", None),  # a Cyrillic Т
        ],
    )


def test_iswc_shape_ok(spark):
    check_column_function(
        spark,
        iswc_shape_ok,
        [
            (None, False),
            ("", False),
            ("   ", False),
            ("T-034.524.680-1", True),
            ("T-345246800-1", True),  # the right shape, a wrong check digit: shape only
            ("ISWC T-034.524.680-1", False),
            ("034.524.680-1", False),
        ],
        "value string, expected boolean",
    )


def test_iswc_check_digit_ok(spark):
    flipped = "T-034.524.681-1"  # one digit of the real T-034.524.680-1 changed
    swapped = "T-034.524.608-1"  # two digits transposed
    rows = [(code, True) for code in REAL_ISWCS]
    rows += [
        (flipped, False),
        (swapped, False),
        ("T-345246800-1", False),  # a long-quoted misprint of the ISO example
        ("T-000.000.001-1", False),
        ("not an iswc", None),
        (None, None),
    ]
    check_column_function(
        spark,
        lambda raw: iswc_check_digit_ok(normalize_iswc(raw)),
        rows,
        "value string, expected boolean",
    )


@pytest.mark.parametrize("code", REAL_ISWCS)
def test_iswc_check_digit_of_real_codes(code):
    digits = "".join(ch for ch in code if ch.isdigit())
    assert iswc_check_digit(digits[:9]) == int(digits[9])
    assert format_iswc(code.replace("-", "").replace(".", "")) == code


def test_iswc_check_digit_worked_example():
    # 1*0 + 2*3 + 3*4 + 4*5 + 5*2 + 6*4 + 7*6 + 8*8 + 9*0 = 178; (10 - 179 % 10) % 10 = 1
    assert iswc_check_digit("034524680") == 1
    assert iswc_check_digit("000000000") == 9


def test_format_iswc():
    assert format_iswc("T0345246801") == "T-034.524.680-1"
    assert format_iswc("t-034524680-1") == "T-034.524.680-1"


@pytest.mark.parametrize("bad", ["03452468", "0345246801", "03452468O", ""])
def test_iswc_check_digit_rejects_what_is_not_nine_digits(bad):
    with pytest.raises(InvalidIswcError, match="nine digits"):
        iswc_check_digit(bad)


@pytest.mark.parametrize("bad", ["T034524680", "0345246801", "ISWC T-034.524.680-1", ""])
def test_format_iswc_rejects_what_is_not_an_iswc(bad):
    with pytest.raises(InvalidIswcError, match="not an ISWC"):
        format_iswc(bad)

"""Segment counting: GSM-7 (basic table and its two-septet extension), UCS-2 (and emoji,
two UTF-16 units), the 160/153 and 70/67 boundaries, 10-segment messages, and that the
count is exactly what splitting gives, never splitting an escape or a surrogate pair."""

import itertools
import math

from hypothesis import given
from hypothesis import strategies as st

from parley.channels.sms.rules import body_problem
from parley.channels.sms.segments import (
    GSM7,
    GSM_BASIC,
    GSM_EXTENSION,
    MULTI,
    SINGLE,
    UCS2,
    segments_split,
    sms_segments,
)

BASIC = sorted(GSM_BASIC)
EXTENSION = sorted(GSM_EXTENSION)
# Letters outside GSM-7 that stay in the Basic Multilingual Plane (one UTF-16 unit each).
BMP_ONLY = [chr(c) for c in range(0x0400, 0x0450)] + ["“", "”", "ł", "ç", "õ"]
EMOJI = ["😀", "🎉", "👍", "🇫"]


def units(part: str, encoding: str) -> int:
    if encoding == GSM7:
        return sum(2 if ch in GSM_EXTENSION else 1 for ch in part)
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in part)


def test_finnish_and_german_letters_are_gsm7_but_an_emoji_is_ucs2():
    assert sms_segments("Hyvää päivää, Jörg! Grüße aus Åbo").encoding == GSM7
    assert sms_segments("Kiitos 🙏").encoding == UCS2
    assert sms_segments("Spasibo, Привет").encoding == UCS2
    # a curly quote (what phones type) is not GSM-7 either
    assert sms_segments("“quoted”").encoding == UCS2


def test_the_boundaries_of_one_and_two_segments():
    assert sms_segments("").segments == 0
    assert sms_segments("a" * 160).segments == 1
    assert sms_segments("a" * 161).segments == 2
    assert sms_segments("a" * 306).segments == 2
    assert sms_segments("a" * 307).segments == 3
    assert sms_segments("ä" * 160).segments == 1  # ä is one septet
    assert sms_segments("ж" * 70).segments == 1
    assert sms_segments("ж" * 71).segments == 2
    assert sms_segments("😀" * 35).segments == 1  # 70 units
    assert sms_segments("😀" * 36).segments == 2


def test_extension_characters_cost_two_and_are_never_split():
    assert sms_segments("€" * 80).segments == 1  # 160 septets
    assert sms_segments("€" * 81).segments == 2
    # 152 plain septets, then a euro: it does not fit the first segment's last septet
    parts = segments_split("a" * 152 + "€" + "b" * 10)
    assert parts[0] == "a" * 152 and parts[1].startswith("€")


def test_an_emoji_is_never_cut_in_half():
    text = "a" * 66 + "😀" + "b" * 10  # the emoji would straddle units 67 and 68
    parts = segments_split(text)
    assert parts[0] == "a" * 66 and parts[1].startswith("😀")


def test_ten_segments_and_the_cap():
    ten = "x" * (153 * 10)
    assert sms_segments(ten).segments == 10
    assert body_problem(ten) == ""
    eleven = ten + "x"
    assert sms_segments(eleven).segments == 11
    assert "11 segments" in body_problem(eleven)
    assert sms_segments("ж" * (67 * 10)).segments == 10
    assert sms_segments("ж" * (67 * 10 + 1)).segments == 11


@given(st.lists(st.sampled_from(BASIC), min_size=0, max_size=2000))
def test_plain_gsm7_follows_the_arithmetic(chars):
    text = "".join(chars)
    count = sms_segments(text)
    n = len(text)
    expected = 0 if n == 0 else 1 if n <= 160 else math.ceil(n / 153)
    assert (count.encoding, count.segments, count.units) == (GSM7, expected, n)


@given(st.lists(st.sampled_from(BMP_ONLY + BASIC), min_size=1, max_size=900))
def test_ucs2_in_the_bmp_follows_the_arithmetic(chars):
    text = "".join(chars) + "ж"  # at least one character that needs UCS-2
    n = len(text)
    expected = 1 if n <= 70 else math.ceil(n / 67)
    assert (sms_segments(text).encoding, sms_segments(text).segments) == (UCS2, expected)


@given(st.lists(st.sampled_from(BASIC + EXTENSION + BMP_ONLY + EMOJI), min_size=0, max_size=1700))
def test_the_count_is_the_split_and_every_part_fits(chars):
    text = "".join(chars)
    count = sms_segments(text)
    parts = segments_split(text)
    assert "".join(parts) == text
    assert count.segments == len(parts)
    assert count.units == sum(units(p, count.encoding) for p in parts)
    limit = SINGLE[count.encoding] if len(parts) <= 1 else MULTI[count.encoding]
    assert all(units(p, count.encoding) <= limit for p in parts)
    # no part could have taken the next part's first character
    for part, following in itertools.pairwise(parts):
        assert units(part + following[0], count.encoding) > limit
    # an emoji anywhere makes it UCS-2; a text of GSM-7 alone never is
    assert (count.encoding == UCS2) == any(ch not in GSM_BASIC | GSM_EXTENSION for ch in text)


@given(st.integers(min_value=1, max_value=10), st.sampled_from([GSM7, UCS2]))
def test_a_text_filling_exactly_n_segments_is_n(n, encoding):
    char = "a" if encoding == GSM7 else "ж"
    size = SINGLE[encoding] if n == 1 else MULTI[encoding] * n
    assert sms_segments(char * size).segments == n
    assert sms_segments(char * (size + 1)).segments == n + 1

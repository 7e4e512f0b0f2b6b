"""How many SMS segments a text takes, as the network counts them (3GPP TS 23.038).

A text of only GSM-7 characters (the basic table, which has Finnish, German and Nordic
letters such as ä, ö, å, ü and ß) is sent 7 bits a character: one segment holds 160; a longer
text is split into segments of 153 (each carries a header saying which part it is). The
extension table (€ [ ] { } \\ ^ ~ | and form feed) costs two characters each, and the pair
is never split across segments. Any other character (an emoji, a Cyrillic letter, a curly
quote) sends the whole text as UCS-2: 70 UTF-16 units in one segment, 67 a segment beyond
that; a character outside the Basic Multilingual Plane (most emoji) is two units, never split.

`segments_split` does the splitting and `sms_segments` counts it, so the count is exactly
what a split gives (the property tests check both against the arithmetic).
"""

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The basic table, without the escape (0x1B) that introduces the extension table.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {GSM7: 160, UCS2: 70}
MULTI = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # GSM7 or UCS2
    segments: int
    # Septets (GSM-7) or UTF-16 units (UCS-2) the text takes.
    units: int
    characters: int
    # What one segment holds at this length (160/153, or 70/67).
    per_segment: int

    @property
    def remaining(self) -> int:
        """Units left in the last segment before another one starts."""
        if self.segments == 0:
            return SINGLE[self.encoding]
        return self.segments * self.per_segment - self.units


def encoding_of(text: str) -> str:
    allowed = GSM_BASIC | GSM_EXTENSION
    return GSM7 if all(ch in allowed for ch in text) else UCS2


def _units(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in GSM_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def segments_split(text: str) -> list[str]:
    """The text cut into the parts the network sends (none for an empty text)."""
    if not text:
        return []
    encoding = encoding_of(text)
    if sum(_units(ch, encoding) for ch in text) <= SINGLE[encoding]:
        return [text]
    limit = MULTI[encoding]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        cost = _units(ch, encoding)
        if used + cost > limit:  # an escape pair or a surrogate pair is never split
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    parts.append("".join(current))
    return parts


def sms_segments(text: str) -> SegmentCount:
    encoding = encoding_of(text)
    units = sum(_units(ch, encoding) for ch in text)
    segments = len(segments_split(text))
    per_segment = SINGLE[encoding] if segments <= 1 else MULTI[encoding]
    return SegmentCount(
        encoding=encoding,
        segments=segments,
        units=units,
        characters=len(text),
        per_segment=per_segment,
    )

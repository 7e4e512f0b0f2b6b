"""CSV in and out of the creators database: what a file may be, the columns Parley knows,
how a cell becomes a value and back.

One set of rules for the import (pages, API, worker) and the export, so an exported file
imports unchanged:

- A file is UTF-8 text (with or without a byte-order mark), its columns separated by `,`
  or `;` (or a tab), whichever its header line has most of. No NUL byte.
- Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
  or a carriage return) are written with a leading `'` (OWASP's advice against CSV
  injection); so is a cell that already starts with `'`, so that reading a file strips
  exactly one `'` from a cell that starts with `'` and one of those characters, and an
  exported value comes back as it was.
- Several values in one cell (emails, phones, handles, tags) are separated by `,` `;` or
  `|` (and, for emails and handles, spaces); the export writes them joined by ", ".
"""

import csv
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

from parley.creators.models import Creator, Identity

# csv's own limit is 128 KiB a cell; a cell longer than any field takes is reported on its
# row, and a cell beyond this (1 MiB) stops the import with the line it is on.
csv.field_size_limit(1 << 20)

MAX_COLUMNS = 200
MAX_TAGS_PER_ROW = 50
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")

SOCIAL_KINDS = [k.value for k in Identity.SOCIAL]  # instagram, tiktok, youtube, twitter, other
PLATFORMS = [k for k in SOCIAL_KINDS if k != Identity.Kind.OTHER]
CUSTOM_PREFIX = "custom:"

TARGETS = [
    "",
    "name",
    "first_name",
    "email",
    "phone",
    *SOCIAL_KINDS,
    "followers",
    *[f"{k}_followers" for k in PLATFORMS],
    "tags",
    "preferred_channel",
    "custom",
]


def target_choices() -> list[tuple[str, str]]:
    """What a column can become, labelled for the mapping form."""
    labels: dict[str, str] = {
        "": _("Don't import"),
        "name": _("Name"),
        "first_name": _("First name"),
        "email": _("Emails"),
        "phone": _("Phones"),
        "followers": _("Followers"),
        "tags": _("Tags"),
        "preferred_channel": _("Preferred channel"),
        "custom": _("Custom field (name below)"),
    }
    for kind in SOCIAL_KINDS:
        labels[kind] = _("%(platform)s handles") % {"platform": Identity.Kind(kind).label}
    for kind in PLATFORMS:
        labels[f"{kind}_followers"] = _("%(platform)s followers") % {
            "platform": Identity.Kind(kind).label
        }
    return [(t, labels[t]) for t in TARGETS]


# Targets one column at most may have (others, like emails, may come from several).
SINGLE_TARGETS = {"name", "first_name", "followers", "preferred_channel"} | {
    f"{k}_followers" for k in PLATFORMS
}

# The export's columns, in order; custom fields follow, then campaigns and the date added.
EXPORT_COLUMNS = [
    "name",
    "first_name",
    "emails",
    "phones",
    *[c for k in PLATFORMS for c in (k, f"{k}_followers")],
    "other",
    "followers",
    "tags",
    "preferred_channel",
]
EXPORT_ONLY = ["campaigns", "added"]

_HEADER_TARGETS: dict[str, str] = {
    **{h: "name" for h in ("name", "fullname", "creator", "creatorname", "displayname")},
    **{h: "first_name" for h in ("firstname", "first", "givenname")},
    **{h: "email" for h in ("email", "emails", "emailaddress", "emailaddresses", "mail")},
    **{h: "phone" for h in ("phone", "phones", "phonenumber", "mobile", "tel", "telephone")},
    **{h: "instagram" for h in ("instagram", "ig", "instagramhandle", "insta")},
    **{h: "tiktok" for h in ("tiktok", "tiktokhandle")},
    **{h: "youtube" for h in ("youtube", "yt", "youtubechannel", "youtubehandle")},
    **{h: "twitter" for h in ("twitter", "x", "xtwitter", "twitterhandle")},
    **{h: "other" for h in ("other", "otherhandle")},
    **{h: "followers" for h in ("followers", "followercount", "audience")},
    **{f"{k}followers": f"{k}_followers" for k in PLATFORMS},
    "igfollowers": "instagram_followers",
    "ytsubscribers": "youtube_followers",
    "youtubesubscribers": "youtube_followers",
    "xfollowers": "twitter_followers",
    **{h: "tags" for h in ("tags", "tag", "labels")},
    "preferredchannel": "preferred_channel",
    # Written by the export and the failed-rows file, not read back.
    "campaigns": "",
    "added": "",
    "line": "",
    "error": "",
}


def header_key(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.lower())


def guess_target(header: str) -> str:
    """The target a column with this header most likely is: a known column, `field:X` or
    any other header as a custom field of that name, nothing for an empty header."""
    clean = header.strip()
    if clean.lower().startswith("field:"):
        name = clean[6:].strip()[:60]
        return CUSTOM_PREFIX + name if name else ""
    key = header_key(clean)
    if key in _HEADER_TARGETS:
        return _HEADER_TARGETS[key]
    return CUSTOM_PREFIX + clean[:60] if clean else ""


def custom_header(name: str) -> str:
    """The export's header for a custom field: its name, or `field:name` when the name
    would read back as one of Parley's own columns."""
    return f"field:{name}" if header_key(name) in _HEADER_TARGETS else name


# Cells ---------------------------------------------------------------------------------


def defuse(value: str) -> str:
    """A cell safe to open in a spreadsheet (see the module docstring)."""
    if value and (value.startswith(DANGEROUS_START) or value[0] == "'"):
        return "'" + value
    return value


def undefuse(value: str) -> str:
    """The value an exported (defused) cell held."""
    if len(value) > 1 and value[0] == "'" and (value[1] in DANGEROUS_START or value[1] == "'"):
        return value[1:]
    return value


_SPLIT_LOOSE = re.compile(r"[,;|\s]+")
_SPLIT_TIGHT = re.compile(r"[,;|\n]+")


_LOOSE_CHARS = re.compile(r"[,;|\s]")
_TIGHT_CHARS = re.compile(r"[,;|\n]")


def split_loose(cell: str) -> list[str]:
    """Emails and handles: separated by , ; | or spaces. (`cell` is stripped.)"""
    if _LOOSE_CHARS.search(cell) is None:
        return [cell] if cell else []
    return [v for v in _SPLIT_LOOSE.split(cell) if v]


def split_tight(cell: str) -> list[str]:
    """Phones and tags, which may hold spaces: separated by , ; | or line breaks."""
    if _TIGHT_CHARS.search(cell) is None:
        return [cell.strip()] if cell.strip() else []
    return [v.strip() for v in _SPLIT_TIGHT.split(cell) if v.strip()]


_COUNT = re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*([kKmM]?)$")
MAX_FOLLOWERS = 10**12


def parse_count(cell: str) -> int | None:
    """A follower count: `12345`, `12,345`, `12 345`, `12.5k`, `1.2M`. None when it is not one."""
    text = cell.strip().replace("\u00a0", " ").replace("\u202f", " ")
    match = _COUNT.match(text.replace(" ", "")) if text[-1:] in "kKmM" else None
    if match:
        number = float(match.group(1).replace(",", "."))
        value = round(number * (1000 if match.group(2) in "kK" else 1_000_000))
    else:
        digits = re.sub(r"[ ,.'_]", "", text)
        if not digits.isascii() or not digits.isdigit():
            return None
        value = int(digits[:15])
    return value if 0 <= value <= MAX_FOLLOWERS else None


_PROFILE_HOSTS = {
    Identity.Kind.INSTAGRAM: ("instagram.com",),
    Identity.Kind.TIKTOK: ("tiktok.com",),
    Identity.Kind.YOUTUBE: ("youtube.com",),
    Identity.Kind.TWITTER: ("twitter.com", "x.com"),
}
_URL = re.compile(r"^https?://(?:www\.|m\.)?([^/?#]+)/+@?([A-Za-z0-9._-]{1,64})/?(?:[?#].*)?$")


def handle_from(kind: str, value: str) -> str:
    """A handle as written, or the handle in a link to the profile on that platform."""
    match = _URL.match(value.strip())
    if match and match.group(1).lower() in _PROFILE_HOSTS.get(kind, ()):  # type: ignore[call-overload]
        return match.group(2)
    return value


CHANNELS = {c.value: c.value for c in Creator.Channel} | {
    str(c.label).lower(): c.value for c in Creator.Channel
}


# Files ---------------------------------------------------------------------------------


@dataclass
class Sniffed:
    delimiter: str
    headers: list[str]


def sniff_delimiter(header_line: str) -> str:
    """`,`, `;` or a tab: whichever the header line has most of outside quotes."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def reader(stream: IO[str], delimiter: str) -> Iterator[list[str]]:
    return csv.reader(stream, delimiter=delimiter, quotechar='"', strict=False)


# A quoted cell may hold line breaks; an opening quote not closed within this many lines is
# taken as a mistake in its line, not as a cell that swallows the rows after it.
MAX_QUOTED_LINES = 100


class BrokenLine(list[str]):
    """A line whose quotes could not be read (an opening quote never closed, a quote in the
    wrong place): its text as its one cell, and why. The import fails it alone."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__([text.rstrip("\r\n")])
        self.reason = reason


class _TooLong(Exception):
    pass


def records(stream: IO[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each record of the file, read strictly: a record whose
    quotes are broken is a BrokenLine of its first line, and reading goes on from the line
    after it, so that one stray quote loses no other row. (csv's lenient mode reads an
    unclosed quote to the end of the file as one cell, silently.)"""
    pending: deque[str] = deque()  # lines read ahead and given back
    taken: list[str] = []  # the lines of the record being read
    number = 1

    def lines() -> Iterator[str]:
        while True:
            line = pending.popleft() if pending else stream.readline()
            if not line:
                return
            taken.append(line)
            if len(taken) > MAX_QUOTED_LINES:
                raise _TooLong
            yield line

    rows = csv.reader(lines(), delimiter=delimiter, strict=True)
    while True:
        try:
            cells = next(rows, None)
        except (csv.Error, _TooLong):
            if not taken:
                return
            pending.extendleft(reversed(taken[1:]))
            yield (
                number,
                BrokenLine(
                    taken[0],
                    _(
                        "This line's quotes (\") do not pair up: a cell opens a quote that is "
                        "never closed, or has one in its middle. The line was left out."
                    ),
                ),
            )
            number += 1
            taken.clear()
            rows = csv.reader(lines(), delimiter=delimiter, strict=True)  # (a new source)
            continue
        if cells is None:
            return
        yield number, cells
        number += len(taken)
        taken.clear()


class Echo:
    """A file-like object whose write returns what it was given (Django's streaming CSV
    recipe): csv.writer formats a row and the generator yields it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]], *, bom: bool = True) -> Iterator[str]:
    """Each row as one CSV line (defused), a byte-order mark first so spreadsheets read
    UTF-8."""
    writer = csv.writer(Echo(), lineterminator="\r\n")
    if bom:
        yield "\ufeff"
    for row in rows:
        yield writer.writerow([defuse(c) for c in row])


def invalid_file_message() -> str:
    return _(
        "This is not a CSV file Parley can read: save it from your spreadsheet as "
        "“CSV UTF-8 (comma delimited)” and upload that."
    )

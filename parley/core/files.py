"""File names from outside (an email's MIME part, an upload): what we store, what we show.

A name from outside may be a path (`../../x`, `C:\\x`, `/etc/x`), carry control or
bidirectional characters, be 10,000 characters long or be a reserved device name. The
storage name is made safe here; the original (cleaned of invisible characters) is kept
for display.
"""

import re
import unicodedata

# Room for Django's upload_to prefix ("attachments/2026/11/") and the suffix its storage
# appends when the name is taken ("_AbC1234"), inside FileField's 100 characters.
STORED_NAME_MAX = 60
# File systems count bytes (255 a name): a stored name of four-byte characters stays under.
STORED_NAME_MAX_BYTES = 180
DISPLAY_NAME_MAX = 255
EXTENSION_MAX = 10

_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d|conin\$|conout\$)$", re.I)
_UNSAFE = re.compile(r'[<>:"|?*\\/;\x00-\x1f\x7f]')
_EXTENSION = re.compile(rf"^[A-Za-z0-9]{{1,{EXTENSION_MAX}}}$")


def _visible(text: str) -> str:
    """Without control, format (bidi overrides, zero-width) and surrogate characters."""
    return "".join(
        ch if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") else " "
        for ch in unicodedata.normalize("NFC", text)
    )


def filename_display(name: str, *, default: str = "attachment") -> str:
    """The name as the sender gave it, for showing: visible characters, one line, capped."""
    shown = " ".join(_visible(name or "").split())[:DISPLAY_NAME_MAX]
    return shown or default


def filename_safe(name: str, *, default: str = "attachment") -> str:
    """A storage name: the last path segment only, no reserved or unsafe characters, no
    leading dots, at most STORED_NAME_MAX characters, the extension kept when it is sane."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _UNSAFE.sub("_", " ".join(_visible(base).split())).strip(" ._")
    stem, dot, ext = base.rpartition(".")
    if not dot or not _EXTENSION.match(ext) or not stem.strip(" ._"):
        stem, ext = base, ""
    stem = stem.strip(" ._")
    if not stem or _RESERVED.match(stem.split(".")[0]):
        stem = f"{default}_{stem}" if stem else default
    ext = ext.lower()
    room = STORED_NAME_MAX - (len(ext) + 1 if ext else 0)
    stem = stem[:room]
    while len(stem.encode()) > STORED_NAME_MAX_BYTES - room_bytes(ext):
        stem = stem[:-1]
    stem = stem.rstrip(" ._") or default
    return f"{stem}.{ext}" if ext else stem


def room_bytes(ext: str) -> int:
    return len(ext.encode()) + 1 if ext else 0

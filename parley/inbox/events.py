"""A system event's words, kept as what was said rather than as text in one language.

A thread's events ("Spring: payment of 250.00 EUR", "Spring: Content approved") are caused
by a teammate, a creator in the portal, or the worker, each in a language of their own; a
team reads them in theirs. So an event is stored twice over: its text as written then
(`Message.body_text`: search, the API, exports) and a `Said` (`Message.event`): the English
source of its words (the catalogue's message id) and the values put into them, which may be
said words themselves ("%(campaign)s: %(event)s" around "Invitation sent"). Pages show the
Said in the reader's language (`Message.shown_text`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext


@dataclass(frozen=True)
class Said:
    """Words to show in the reader's language: `text`, a message id of the catalogue
    (marked with gettext_noop, or a lazy string), with `values` put in (name, value pairs:
    equal words are equal, and hash alike, so a writer says each only once)."""

    text: str
    values: tuple[tuple[str, "str | int | Said"], ...] = ()
    # Shown in lower case: a label inside a sentence ("payment of 250 EUR marked paid").
    lower: bool = False

    def __str__(self) -> str:
        return said_text(self.stored())

    def stored(self) -> dict[str, Any]:
        """As Message.event keeps it (JSON)."""
        out: dict[str, Any] = {"t": self.text}
        if self.lower:
            out["l"] = True
        if self.values:
            out["v"] = {k: v.stored() if isinstance(v, Said) else v for k, v in self.values}
        return out


def said(text: str | Promise, **values: "str | int | Said | Promise") -> Said:
    """`text` with `values`; a lazy string (a status's event, "Invitation sent") is kept as
    its message id, to be translated when shown."""
    return Said(
        _message_id(text),
        tuple((k, said(v) if isinstance(v, Promise) else v) for k, v in values.items()),
    )


def said_lower(text: str | Promise) -> Said:
    """A label said inside a sentence, in lower case in every language."""
    return Said(_message_id(text), lower=True)


def _message_id(text: str | Promise) -> str:
    if isinstance(text, Promise):
        with translation.override(None):  # no catalogue: the message id itself
            return str(text)
    return text


def said_text(stored: Mapping[str, Any]) -> str:
    """A stored Said in the active language. Unknown words (a message id the catalogue no
    longer has) show as written; a value missing from them leaves the words as they are."""
    values = stored.get("v") or {}
    shown = {
        k: said_text(v) if isinstance(v, Mapping) else v
        for k, v in values.items()
        if isinstance(k, str)
    }
    text = str(stored.get("t", ""))
    words = gettext(text)
    if shown:
        # The translation with the values; else the English words with them (a translation
        # that does not take them); else the English words as they are.
        for candidate in (words, text):
            try:
                words = candidate % shown
                break
            except (KeyError, TypeError, ValueError):
                words = text
    return words.lower() if stored.get("l") else words

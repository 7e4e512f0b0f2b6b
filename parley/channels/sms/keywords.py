"""Opt-out and opt-in keywords in an inbound SMS, as Twilio's standard handling reads them.

The whole message must be the keyword: case, spaces around and between its letters,
full-width forms and a closing full stop or exclamation mark do not matter ("Stop", " STOP ",
"stop!", "Stop all", STOP in full-width letters); "Please stop texting me" is a message,
not a keyword.
"""

import unicodedata

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})

# Longer than any keyword with spaces between every letter: not one.
_MAX_LENGTH = 40


def keyword_of(body: str) -> str:
    """The keyword the message is ("STOP", "START", …), or "" when it is none."""
    text = body.strip()
    if len(text) > _MAX_LENGTH:
        return ""
    text = unicodedata.normalize("NFKC", text).strip().rstrip(".!").upper()
    word = "".join(text.split())
    if word in OPT_OUT or word in OPT_IN:
        return word
    return ""


def opts_out(keyword: str) -> bool:
    return keyword in OPT_OUT


def opts_in(keyword: str) -> bool:
    return keyword in OPT_IN

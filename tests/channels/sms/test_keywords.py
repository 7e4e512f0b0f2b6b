import pytest

from parley.channels.sms.keywords import keyword_of, opts_in, opts_out


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("STOP", "STOP"),
        ("stop", "STOP"),
        ("Stop", "STOP"),
        ("  sToP  ", "STOP"),
        ("\tSTOP\n", "STOP"),
        ("Stop.", "STOP"),
        ("STOP!", "STOP"),
        ("s t o p", "STOP"),
        ("\uff33\uff34\uff2f\uff30", "STOP"),  # full-width, as some keyboards type it
        ("stopall", "STOPALL"),
        ("Stop all", "STOPALL"),
        ("STOP  ALL", "STOPALL"),
        ("unsubscribe", "UNSUBSCRIBE"),
        ("Unsubscribe ", "UNSUBSCRIBE"),
        ("cancel", "CANCEL"),
        (" End", "END"),
        ("QUIT", "QUIT"),
        ("quit!", "QUIT"),
        ("start", "START"),
        (" Start ", "START"),
        ("UNSTOP", "UNSTOP"),
        ("un stop", "UNSTOP"),
        ("yes", "YES"),
        ("Yes!", "YES"),
    ],
)
def test_keywords_in_any_case_and_spacing(body, word):
    assert keyword_of(body) == word


@pytest.mark.parametrize(
    "body",
    [
        "Please stop texting me",
        "stop it",
        "Yes please, send the contract",
        "I will quit tomorrow",
        "stopp",
        "",
        "   ",
        "S" + " " * 40 + "TOP",  # too long to be a keyword with spaces
        "¿STOP?",
    ],
)
def test_messages_that_are_no_keyword(body):
    assert keyword_of(body) == ""


def test_out_and_in():
    assert all(opts_out(w) for w in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"))
    assert all(opts_in(w) for w in ("START", "UNSTOP", "YES"))
    assert not opts_out("START") and not opts_in("STOP")

"""The shared form pieces (parley/core/forms.py)."""

import re

from django import forms

from parley.core.forms import LongSelect

CHOICES = [
    ("Europe/Helsinki", "Europe/Helsinki"),
    ("America/Port-au-Prince", "America/Port-au-Prince"),
    ('"><script>alert(1)</script>', "\u202eevil & <b>bold</b>"),
]


class _Form(forms.Form):
    fast = forms.ChoiceField(choices=CHOICES, widget=LongSelect, help_text="Pick one.")
    plain = forms.ChoiceField(choices=CHOICES, help_text="Pick one.")


def _options(html: str) -> list[str]:
    return re.findall(r"<option[^>]*>[^<]*</option>", html)


def test_a_long_select_renders_what_djangos_select_does():
    form = _Form(initial={"fast": "America/Port-au-Prince", "plain": "America/Port-au-Prince"})
    fast, plain = str(form["fast"]), str(form["plain"])
    assert _options(fast) == _options(plain)
    assert len(_options(fast)) == 3
    assert '<option value="America/Port-au-Prince" selected>' in fast
    assert fast.startswith('<select name="fast" aria-describedby="id_fast_helptext" id="id_fast">')


def test_a_long_select_escapes_its_options_and_keeps_a_posted_value():
    form = _Form(data={"fast": '"><script>alert(1)</script>', "plain": "Europe/Helsinki"})
    assert form.is_valid()
    html = str(form["fast"])
    assert "<script>" not in html and "<b>" not in html
    assert '<option value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" selected>' in html
    assert "\u202eevil &amp; &lt;b&gt;bold&lt;/b&gt;</option>" in html


def test_a_long_select_keeps_attributes_given_it():
    widget = LongSelect(attrs={"disabled": True, "class": "wide"}, choices=CHOICES)
    html = widget.render("zone", None, attrs={"id": "z"})
    assert html.startswith('<select name="zone" class="wide" id="z" disabled>')
    assert " selected" not in html

"""German and Finnish: the pages speak the visitor's language, and the catalogues are complete.

The catalogue checks read the committed .po files with a small stdlib parser and the compiled
.mo files with gettext, so a string added without a translation (or translated but not
compiled) fails here. Refresh the catalogues with `make messages`, translate what is new,
and commit parley/locale."""

import ast
import gettext
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation

pytestmark = pytest.mark.django_db

TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalogue(code: str, suffix: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / code / "LC_MESSAGES" / f"django.{suffix}"


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file: its fields (msgid, msgid_plural, msgstr, msgstr[0], ...)
    and its flags. Obsolete entries (#~) are left out."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = [line.strip() for line in block.strip().splitlines()]
        fields: dict[str, str] = {}
        flags: set[str] = set()
        key = None
        for line in lines:
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                assert key is not None, f"{path}: continuation without a field: {line}"
                fields[key] += ast.literal_eval(line)
            elif line:
                key, _, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
        if "msgid" in fields:
            entries.append({"fields": fields, "flags": flags})
    return entries


def translations(entry: dict) -> list[str]:
    fields = entry["fields"]
    if "msgid_plural" in fields:
        return [v for k, v in sorted(fields.items()) if k.startswith("msgstr[")]
    return [fields.get("msgstr", "")]


# --- pages ---------------------------------------------------------------------------------


def test_login_page_in_german(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in html
    assert "Bei Parley anmelden" in html
    assert "Passwort vergessen?" in html
    assert ">Passwort " in html
    assert "Log in to Parley" not in html


def test_login_page_in_finnish(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fi-FI,fi;q=0.9").content.decode()
    assert '<html lang="fi">' in html
    assert "Kirjaudu Parleyhin" in html
    assert "Unohditko salasanasi?" in html
    assert "Salasana" in html
    assert "Log in to Parley" not in html


def test_login_page_stays_english_by_default(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Log in to Parley" in html


def test_failed_login_message_in_german(client, member):
    response = client.post(
        reverse("login"),
        {"username": member.user.email, "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert "E-Mail und Passwort passen nicht zusammen." in response.content.decode()


def test_inbox_in_german(logged_in, make_conversation):
    make_conversation(name="Ulla Unread", inbound=1)
    html = logged_in.get(reverse("inbox:list"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in html
    assert "Posteingang" in html
    # The campaign picker and the filter menu.
    assert "Alle meine Creator" in html
    assert 'data-testid="filter-button">Filter <span' in html
    for german in ("Kampagnen", "Nur ungelesene", "Mir zugewiesen", "Zurücksetzen"):
        assert german in html
    assert "Seit über 24 h ohne unsere Antwort" in html
    # The bulk bar, a row and the unread badge (a plural).
    assert "Zur Kampagne hinzufügen" in html
    assert "Ulla Unread auswählen" in html
    assert "1 ungelesene Unterhaltung" in html
    for english in ("All my creators", "Unread only", "Assigned to me", "Add to Campaign"):
        assert english not in html


def test_inbox_in_finnish(logged_in, make_conversation):
    make_conversation(inbound=1)
    html = logged_in.get(reverse("inbox:list"), HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert "Kaikki sisällöntuottajani" in html
    assert 'data-testid="filter-button">Suodata <span' in html
    assert "Vain lukemattomat" in html
    assert "1 lukematon keskustelu" in html


def test_language_switcher_sets_finnish(logged_in):
    response = logged_in.post(reverse("set_language"), {"language": "fi", "next": "/"})
    assert response.status_code == 302
    html = logged_in.get(reverse("inbox:list")).content.decode()
    assert '<html lang="fi">' in html
    assert "Kirjaudu ulos" in html


@pytest.mark.parametrize(
    ("code", "one", "many"),
    [
        ("de", "1 ungelesene Unterhaltung", "3 ungelesene Unterhaltungen"),
        ("fi", "1 lukematon keskustelu", "3 lukematonta keskustelua"),
    ],
)
def test_plural_forms(code, one, many):
    with translation.override(code):
        forms = [
            translation.ngettext("%(n)s unread conversation", "%(n)s unread conversations", n)
            % {"n": n}
            for n in (1, 3)
        ]
    assert forms == [one, many]


# --- catalogues ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_header(code):
    header = parse_po(catalogue(code, "po"))[0]
    assert header["fields"]["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    meta = header["fields"]["msgstr"]
    assert f"Language: {code}\n" in meta
    assert "Content-Type: text/plain; charset=UTF-8\n" in meta
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in meta


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_string_is_translated(code):
    entries = parse_po(catalogue(code, "po"))[1:]
    assert len(entries) > 100
    fuzzy = [e["fields"]["msgid"] for e in entries if "fuzzy" in e["flags"]]
    untranslated = [e["fields"]["msgid"] for e in entries if not all(translations(e))]
    assert not fuzzy, f"{code}: fuzzy entries: {fuzzy}"
    assert not untranslated, f"{code}: untranslated (run `make messages`): {untranslated}"
    plurals = [e for e in entries if "msgid_plural" in e["fields"]]
    assert plurals and all(len(translations(e)) == 2 for e in plurals)


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_are_kept(code):
    for entry in parse_po(catalogue(code, "po"))[1:]:
        fields = entry["fields"]
        source = set(PLACEHOLDER.findall(fields["msgid"] + fields.get("msgid_plural", "")))
        for text in translations(entry):
            assert set(PLACEHOLDER.findall(text)) <= source, (fields["msgid"], text)
        assert set(PLACEHOLDER.findall(translations(entry)[-1])) == source, fields["msgid"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_compiled_catalogue_matches_po(code):
    """The committed .mo is compiled from the current .po (run compilemessages)."""
    with catalogue(code, "mo").open("rb") as fp:
        mo = gettext.GNUTranslations(fp)
    for entry in parse_po(catalogue(code, "po"))[1:]:
        fields = entry["fields"]
        msgid, context = fields["msgid"], fields.get("msgctxt")
        if "msgid_plural" in fields:
            for n, expected in zip((1, 2), translations(entry), strict=True):
                got = (
                    mo.npgettext(context, msgid, fields["msgid_plural"], n)
                    if context
                    else mo.ngettext(msgid, fields["msgid_plural"], n)
                )
                assert got == expected, (msgid, n)
        else:
            got = mo.pgettext(context, msgid) if context else mo.gettext(msgid)
            assert got == fields["msgstr"], msgid


@pytest.mark.parametrize(
    ("code", "names"),
    [
        # English writes a day one way everywhere: the short forms are the long ones.
        ("en", {"Nov 28, 2026", "Nov 28, 2026 15:04", "Nov 28", "15:04"}),
        ("de", {"28.11.2026", "28.11.2026 15:04", "28. Nov", "15:04"}),
        ("fi", {"28.11.2026", "28.11.2026 15.04", "28.11.", "15.04"}),
    ],
)
def test_short_and_long_date_formats_agree(code, names):
    at = datetime(2026, 11, 28, 15, 4, tzinfo=UTC)
    with translation.override(code):
        shown = {
            formats.date_format(at, name)
            for name in (
                "SHORT_DATE_FORMAT",
                "SHORT_DATETIME_FORMAT",
                "MONTH_DAY_FORMAT",
                "TIME_FORMAT",
            )
        }
        if code == "en":
            shown |= {formats.date_format(at, "DATE_FORMAT")}
    assert shown == names

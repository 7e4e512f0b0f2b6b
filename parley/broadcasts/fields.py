"""Personal fields of a mass message: `{{ first_name }}`, `{{ custom.shoe_size }}`, …

Templates are Jinja2 in its SandboxedEnvironment (no attribute tricks, no imports), with
undefined names an error. The field list is a registry: a field is a name, a label, and how
to get its value for one recipient from the data loaded once for the whole send
(`Recipient`). Campaign actions add their own (coupon code, tracking link) with
`field_register`, and the compose page, the check and the preview pick them up. A field
whose values must be looked up, or made, for a whole send has a `load` (`fields_load`):
called once per chunk of recipients with the templates, it fills their `extra`.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

MAX_TEMPLATE = 50_000


@dataclass
class Recipient:
    """What a template may read of one creator (loaded in bulk for a whole send)."""

    creator_id: int
    name: str
    first_name: str
    email: str = ""
    # The phone a bulk SMS goes to (E.164, the primary phone identity).
    phone: str = ""
    handle: str = ""
    custom: dict[str, Any] = field(default_factory=dict)
    campaign: str = ""
    # Values other apps add for their fields (coupon codes, tracking links, …).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FieldsLoad:
    """What a field's `load` gets: the recipients whose `extra` it fills, for one send."""

    workspace_id: int
    campaign_id: int | None
    author_id: int | None
    recipients: list["Recipient"]
    sources: list[str]
    # PREVIEW: what there is, and a stand-in for what the send will make (the check, the
    # preview); STRICT: what there is, nothing made (an agreement frozen now); WRITE: the
    # send itself: make what is missing (assign codes, create links).
    mode: str


PREVIEW, STRICT, WRITE = "preview", "strict", "write"
# Fills the recipients' extra; returns the problems to show (an empty pool, …).
Loader = Callable[[FieldsLoad], list[str]]


@dataclass(frozen=True)
class PersonalField:
    name: str
    label: str | Promise
    value: Callable[[Recipient], Any]
    example: str = ""
    load: Loader | None = None
    # Whether it has a value only in a mass message sent for a campaign: left out of the
    # compose page's list without one, and refused by the check (a field with a `load`
    # refuses it there).
    needs_campaign: bool = False


class _Custom(dict[str, Any]):
    """Custom fields: a field a creator does not have is empty, not an error."""

    def __missing__(self, key: str) -> str:
        return ""


_FIELDS: dict[str, PersonalField] = {}


def field_register(personal: PersonalField) -> None:
    _FIELDS[personal.name] = personal


def fields() -> list[PersonalField]:
    return list(_FIELDS.values())


for _field in (
    PersonalField("first_name", _("First name"), lambda r: r.first_name, "{{ first_name }}"),
    PersonalField("name", _("Full name"), lambda r: r.name, "{{ name }}"),
    PersonalField("handle", _("Social handle"), lambda r: r.handle, "{{ handle }}"),
    PersonalField("email", _("Email address"), lambda r: r.email, "{{ email }}"),
    PersonalField(
        "campaign",
        _("Campaign name"),
        lambda r: r.campaign,
        "{{ campaign }}",
        needs_campaign=True,
    ),
    PersonalField(
        "custom", _("A custom field"), lambda r: _Custom(r.custom), "{{ custom.shoe_size }}"
    ),
):
    field_register(_field)

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def fields_used(sources: list[str]) -> set[str]:
    """The field names the templates use (a template that does not parse uses none)."""
    used: set[str] = set()
    for source in sources:
        try:
            used |= meta.find_undeclared_variables(_env.parse(source))
        except TemplateSyntaxError:
            continue
    return used


def custom_fields_used(source: str) -> set[str]:
    """The custom fields a template names (`custom.city`, `custom["Shirt size"]`); none for
    a template that does not parse."""
    try:
        tree = _env.parse(source)
    except TemplateSyntaxError:
        return set()
    used = {
        node.attr
        for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == "custom"
    }
    used |= {
        str(node.arg.value)
        for node in tree.find_all(nodes.Getitem)
        if isinstance(node.node, nodes.Name)
        and node.node.name == "custom"
        and isinstance(node.arg, nodes.Const)
    }
    return used


NO_CAMPAIGN = _(
    "{{ %(field)s }} needs a campaign: start the mass message from the inbox filtered by "
    "one campaign."
)


def fields_needing_campaign(sources: list[str]) -> list[str]:
    """The fields the templates use that have a value only for a campaign's mass message
    (but for those with a `load`, which say so themselves)."""
    used = fields_used(sources)
    return [
        p.name for p in _FIELDS.values() if p.needs_campaign and p.load is None and p.name in used
    ]


def custom_examples(custom: list[dict[str, Any]], *, most: int = 6) -> list[str]:
    """How the templates name the custom fields these creators have (the first `most`
    names, sorted): `{{ custom.city }}`, or in brackets a name that is not a plain word or
    is a dictionary's method (`{{ custom["Shirt size"] }}`, `{{ custom["items"] }}`)."""
    names = sorted({str(k) for fields in custom for k in fields})[:most]
    return [
        f"{{{{ custom.{n} }}}}"
        if n.isidentifier() and n.isascii() and not hasattr(dict, n)
        else f"{{{{ custom[{json.dumps(n, ensure_ascii=False)}] }}}}"
        for n in names
    ]


def fields_offered(*, campaign: bool) -> list[PersonalField]:
    """The fields a mass message may use: all of them for a campaign's, else those that do
    not need one."""
    return [p for p in _FIELDS.values() if campaign or not p.needs_campaign]


def fields_made(sources: list[str]) -> bool:
    """Whether the templates use a field whose values are looked up or made for the send
    (a `load`: coupon codes, tracking links)."""
    used = fields_used(sources)
    return any(p.load is not None and p.name in used for p in _FIELDS.values())


def fields_load(
    *,
    workspace_id: int,
    campaign_id: int | None,
    author_id: int | None,
    recipients: list[Recipient],
    sources: list[str],
    mode: str,
) -> list[str]:
    """Run the `load` of every field the templates use, for these recipients; the problems
    they report."""
    used = fields_used(sources)
    problems: list[str] = []
    for personal in _FIELDS.values():
        if personal.load is not None and personal.name in used and recipients:
            problems += personal.load(
                FieldsLoad(
                    workspace_id=workspace_id,
                    campaign_id=campaign_id,
                    author_id=author_id,
                    recipients=recipients,
                    sources=sources,
                    mode=mode,
                )
            )
    return problems


def parse(source: str) -> Any:
    """The template's syntax tree (for fields that read how they are used)."""
    return _env.parse(source)


@dataclass
class TemplateProblem:
    field: str  # "subject" or "body"
    message: str


def templates_check(*, subject: str, body: str) -> list[TemplateProblem]:
    """Every problem of the two templates at once: syntax errors with their line, unknown
    fields, length."""
    problems: list[TemplateProblem] = []
    for name, source in (("subject", subject), ("body", body)):
        if len(source) > MAX_TEMPLATE:
            problems.append(TemplateProblem(name, str(_("This text is too long."))))
            continue
        try:
            parsed = _env.parse(source)
        except TemplateSyntaxError as exc:
            problems.append(
                TemplateProblem(
                    name,
                    str(_("Line %(line)d: %(error)s")) % {"line": exc.lineno, "error": exc.message},
                )
            )
            continue
        for unknown in sorted(meta.find_undeclared_variables(parsed) - set(_FIELDS)):
            problems.append(
                TemplateProblem(
                    name,
                    str(_("Unknown field “%(name)s”. Fields: %(known)s."))
                    % {"name": unknown, "known": ", ".join(sorted(_FIELDS))},
                )
            )
    return problems


class RenderError(ValueError):
    pass


Renderer = Callable[[Recipient], str]


def renderer(source: str) -> Renderer:
    """The template compiled once, to render for many recipients. Call templates_check
    first: a syntax error here raises. RenderError says what went wrong for one recipient."""
    template = _env.from_string(source)
    # Only the fields the template reads are looked up for each recipient.
    names = fields_used([source])
    used = [personal for name, personal in _FIELDS.items() if name in names]
    # The template's globals as one plain dict, copied for each recipient (Template.render
    # makes it again from a ChainMap each time: most of the time of a short template).
    base = dict(template.globals)

    def render(recipient: Recipient) -> str:
        context = base.copy()
        for personal in used:
            context[personal.name] = personal.value(recipient)
        context.update(recipient.extra)
        try:
            return _env.concat(
                template.root_render_func(template.new_context(context, shared=True))
            )
        except (UndefinedError, SecurityError, ArithmeticError, TypeError, ValueError) as exc:
            raise RenderError(str(exc)) from exc

    return render

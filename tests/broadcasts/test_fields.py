"""The renderer of a mass message's templates: each recipient's fields, the template
globals, and the sandbox, for every recipient of a send."""

import pytest

from parley.broadcasts.fields import Recipient, RenderError, custom_examples, renderer


def _ann(**extra: object) -> Recipient:
    return Recipient(
        creator_id=1, name="Ann Berg", first_name="Ann", custom={"size": "M"}, extra=extra
    )


def test_each_recipient_gets_their_own_fields_and_the_globals_stay() -> None:
    render = renderer(
        "{{ first_name }} {{ custom.size }}{% for i in range(2) %}.{{ i }}{% endfor %}"
    )
    bob = Recipient(creator_id=2, name="Bob", first_name="Bob")
    assert [render(_ann()), render(bob), render(_ann())] == ["Ann M.0.1", "Bob .0.1", "Ann M.0.1"]


def test_values_loaded_for_the_send_are_read() -> None:
    assert renderer("{{ coupon_code }}")(_ann(coupon_code="SPRING-7")) == "SPRING-7"


@pytest.mark.parametrize(
    "source",
    [
        "{{ name.__class__.__mro__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ range.__globals__ }}",
        "{{ nobody }}",
        "{{ 1 / 0 }}",
    ],
)
def test_what_the_sandbox_refuses_is_a_render_error(source: str) -> None:
    with pytest.raises(RenderError):
        renderer(source)(_ann())


def test_the_custom_field_examples_name_the_creators_fields_so_that_they_render() -> None:
    custom = [
        {"city": "Oulu", "Shirt size": "M", "items": "3"},
        {"city": "Turku", 'Quote "q"': "x", "päivä": "ma"},
    ]
    examples = custom_examples(custom)

    assert examples == [
        '{{ custom["Quote \\"q\\""] }}',
        '{{ custom["Shirt size"] }}',
        "{{ custom.city }}",
        '{{ custom["items"] }}',  # custom.items would be the dictionary's method
        '{{ custom["päivä"] }}',
    ]
    ann = Recipient(creator_id=1, name="Ann", first_name="Ann", custom=custom[0] | custom[1])
    assert [renderer(e)(ann) for e in examples] == ["x", "M", "Turku", "3", "ma"]
    assert custom_examples([{f"f{i}": 1 for i in range(9)}]) == [
        f"{{{{ custom.f{i} }}}}" for i in range(6)
    ]

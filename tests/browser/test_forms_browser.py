"""The shared form template: a radio sits beside its label on one line, in a form card too
(Settings → General had "Brand" and "Agency" broken one letter a line: the card's rule that
stretches inputs to the column's width took the radios as well)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("url", ["/settings/general/", "/campaigns/new/"])
def test_radios_sit_beside_their_labels_on_one_line(login, url):
    page = login()
    page.goto(url)
    labels = page.locator(".form-choices label:has(input[type=radio])")
    assert labels.count() >= 2
    for i in range(labels.count()):
        label = labels.nth(i)
        radio = label.locator("input[type=radio]").bounding_box()
        box = label.bounding_box()
        assert radio is not None and box is not None
        assert radio["width"] < 30  # the radio's own size, not the label's
        assert box["height"] < 30  # the label's text on one line
        assert box["width"] > radio["width"] + 20  # the text beside the radio

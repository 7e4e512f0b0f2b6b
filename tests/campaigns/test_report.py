"""The creator PDF report: it opens (read back with pypdf), names the creator in German and
Finnish letters, and its statistics are right (messages each way, the median response time,
the last contact) from a few aggregate queries."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader

from parley.campaigns.report import creator_report_data, creator_report_pdf, message_stats
from parley.creators.models import AudienceReport, Identity
from parley.inbox.models import Attachment, Message
from parley.inbox.services import conversation_get_or_create, message_record
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    ClientFactory,
    CreatorFactory,
    IdentityFactory,
)

pytestmark = pytest.mark.django_db

NAME = "Åsa Håkansson-Weiß Jääskeläinen Müller Öberg"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def say(conversation, direction, at, campaign=None):  # type: ignore[no-untyped-def]
    return message_record(
        conversation=conversation,
        channel="email",
        direction=direction,
        status=Message.Status.RECEIVED if direction == "in" else Message.Status.SENT,
        body_text="hei",
        campaign_id=campaign.id if campaign else None,
        created_at=at,
    )


@pytest.fixture
def creator(member):  # type: ignore[no-untyped-def]
    creator = CreatorFactory(
        workspace=member.workspace,
        name=NAME,
        first_name="Åsa",
        custom_fields={"Größe": "M", "kaupunki": "Jyväskylä"},
    )
    IdentityFactory(
        creator=creator,
        kind=Identity.Kind.EMAIL,
        value="asa@example.fi",
        normalized="asa@example.fi",
        source=Identity.Source.ENRICHMENT,
    )
    IdentityFactory(
        creator=creator,
        kind=Identity.Kind.TIKTOK,
        value="asa.dances",
        normalized="asa.dances",
        url="https://www.tiktok.com/@asa.dances",
        followers=254_300,
    )
    return creator


def conversation_with_replies(creator, campaign=None):  # type: ignore[no-untyped-def]
    """Waits of 10 min, 30 min (from the first of two messages) and 60 min; an event and an
    unanswered last message do not count."""
    conversation = conversation_get_or_create(creator=creator, at=T0)
    say(conversation, "in", T0)
    say(conversation, "out", T0 + timedelta(minutes=10), campaign)
    say(conversation, "out", T0 + timedelta(minutes=11))
    say(conversation, "in", T0 + timedelta(hours=2))
    say(conversation, "in", T0 + timedelta(hours=2, minutes=5), campaign)
    say(conversation, "out", T0 + timedelta(hours=2, minutes=30), campaign)
    say(conversation, "event", T0 + timedelta(hours=3))
    say(conversation, "in", T0 + timedelta(days=1))
    say(conversation, "out", T0 + timedelta(days=1, hours=1))
    say(conversation, "in", T0 + timedelta(days=2))
    return conversation


def test_message_statistics(creator, django_assert_max_num_queries):
    conversation = conversation_with_replies(creator)

    with django_assert_max_num_queries(2):
        stats = message_stats(conversation=conversation)

    assert (stats.inbound, stats.outbound) == (5, 4)
    assert stats.replies_measured == 3
    assert stats.median_response == timedelta(minutes=30)
    assert stats.last_contact == T0 + timedelta(days=2)
    assert stats.last_inbound == T0 + timedelta(days=2)
    assert stats.last_outbound == T0 + timedelta(days=1, hours=1)


def test_no_conversation_no_statistics(creator):
    stats = message_stats(conversation=None)
    assert (stats.inbound, stats.outbound, stats.median_response, stats.last_contact) == (
        0,
        0,
        None,
        None,
    )


def test_report_data_is_a_few_queries(member, creator, django_assert_max_num_queries):
    client = ClientFactory(workspace=member.workspace, name="Sauna Oy")
    campaign = CampaignFactory(workspace=member.workspace, name="Kevät 2026", client=client)
    CampaignMemberFactory(campaign=campaign, creator=creator, status="active")
    conversation = conversation_with_replies(creator, campaign)
    message = Message.objects.filter(conversation=conversation, campaign=campaign).first()
    Attachment.objects.create(
        message=message,
        file=ContentFile(b"x", name="brief.pdf"),
        filename="brief.pdf",
        content_type="application/pdf",
        size=1,
    )

    with django_assert_max_num_queries(11):
        data = creator_report_data(workspace=member.workspace, creator=creator)

    [line] = data.campaigns
    assert (line.name, line.client, line.status) == ("Kevät 2026", "Sauna Oy", "Active")
    assert (line.messages, line.files) == (3, 1)
    assert data.stats.median_response == timedelta(minutes=30)
    assert [i.normalized for i in data.socials] == ["asa.dances"]


def test_the_pdf_opens_and_names_the_creator_in_german_and_finnish_letters(member, creator):
    AudienceReport.objects.create(
        workspace=member.workspace,
        creator=creator,
        handle="asa.dances",
        provider="influencers_club",
        status=AudienceReport.Status.READY,
        genders=[{"code": "FEMALE", "share": 0.62}, {"code": "MALE", "share": 0.38}],
        ages=[{"code": "18-24", "share": 0.49}, {"code": "13-17", "share": 0.12}],
        countries=[{"code": "FI", "name": "Suomi", "share": 0.31}],
        followers=254_300,
        fetched_at=T0,
    )
    campaign = CampaignFactory(workspace=member.workspace, name="Jäätelö Sommer")
    CampaignMemberFactory(campaign=campaign, creator=creator, status="completed")
    conversation_with_replies(creator, campaign)

    pdf = creator_report_pdf(workspace=member.workspace, creator=creator)

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == NAME
    text = text_of(pdf)
    assert NAME in text
    for letters in ("ä", "ö", "ü", "ß", "å", "Å", "Ö"):
        assert letters in text
    for expected in (
        "asa@example.fi (from enrichment)",
        "@asa.dances",
        "TikTok audience",
        "Women",
        "62%",
        "18\u201324",  # an en dash
        "Suomi",
        "Jäätelö Sommer",
        "Completed",
        "Median response time",
        "30 min",
        "Jyväskylä",
    ):
        assert expected in text, expected
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].get_object().values()
    }
    assert all("DejaVuSans" in f for f in fonts), fonts  # embedded, not a core font


def test_a_bare_creator_and_hostile_text_still_make_a_pdf(member):
    creator = CreatorFactory(
        workspace=member.workspace,
        name="Zoë 🎉 李小龍 " + "x" * 150,
        custom_fields={"notes": "a\u202eb " * 300},
    )

    pdf = creator_report_pdf(workspace=member.workspace, creator=creator)

    text = text_of(pdf)
    assert "No audience figures on file." in text
    assert "Not in a campaign." in text


def test_a_creator_of_another_workspace_is_refused(member, other_member):
    stranger = CreatorFactory(workspace=other_member.workspace)
    with pytest.raises(ValueError):
        creator_report_data(workspace=member.workspace, creator=stranger)

"""The campaign workflow: every allowed status change (its event in the thread, last
activity), every other one refused with a clear message, the emails that go with an
invitation, an approval and a rejection (outbox priority per kind), one at a time and in
bulk through the mass-message writer (skipped and refused creators listed), archived
campaigns, and campaign emails to a creator who was never invited."""

from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone

from parley.broadcasts.campaign_mail import (
    campaign_member_transition,
    campaign_members_transition,
)
from parley.broadcasts.models import Broadcast
from parley.broadcasts.services import broadcast_queue
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.services import campaign_archive, campaign_create, campaign_update
from parley.campaigns.workflow import (
    TRANSITIONS,
    member_status_set,
    members_status_set,
    transitions_from,
)
from parley.channels.email.models import Mailbox
from parley.core.errors import Conflict, ValidationFailed
from parley.inbox.models import Message
from parley.outbox.models import OutboxItem
from tests.factories import CampaignMemberFactory, CreatorFactory, IdentityFactory

pytestmark = pytest.mark.django_db

S = CampaignMember.Status
ALLOWED = {(t.source, t.target) for t in TRANSITIONS}


@pytest.fixture
def campaign(member):  # type: ignore[no-untyped-def]
    return campaign_create(workspace=member.workspace, name="Summer Launch")


@pytest.fixture
def team_mailbox(member):  # type: ignore[no-untyped-def]
    return Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address="team@brand.test",
        connected_at=timezone.now(),
        is_default=True,
        smtp_host="127.0.0.1",
        secret="encrypted",
    )


def _member(campaign, status, *, email=True, name="Ann Example"):  # type: ignore[no-untyped-def]
    creator = CreatorFactory(workspace=campaign.workspace, name=name, first_name=name.split()[0])
    if email:
        IdentityFactory(creator=creator, value=f"{creator.id}@creators.test")
    return CampaignMemberFactory(
        campaign=campaign,
        creator=creator,
        status=status,
        last_activity_at=timezone.now() - timedelta(days=3),
    )


def _events(creator):  # type: ignore[no-untyped-def]
    return list(
        Message.objects.filter(conversation__creator=creator, direction="event")
        .order_by("id")
        .values_list("body_text", flat=True)
    )


def test_the_table_is_the_issue_s():
    assert {
        (S.ADDED, S.INVITED),
        (S.ADDED, S.APPROVED),
        (S.INVITED, S.ACCEPTED),
        (S.INVITED, S.DECLINED),
        (S.APPLIED, S.APPROVED),
        (S.APPLIED, S.REJECTED),
        (S.ACCEPTED, S.ACTIVE),
        (S.APPROVED, S.ACTIVE),
        (S.ACTIVE, S.CONTENT_SUBMITTED),
        (S.CONTENT_SUBMITTED, S.CONTENT_APPROVED),
        (S.CONTENT_SUBMITTED, S.ACTIVE),
        (S.CONTENT_APPROVED, S.COMPLETED),
        (S.ACTIVE, S.COMPLETED),
    } == ALLOWED
    assert [t.target for t in transitions_from(S.ADDED)] == [S.INVITED, S.APPROVED]
    assert transitions_from(S.DECLINED) == [] and transitions_from(S.COMPLETED) == []


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: f"{t.source}->{t.target}")
def test_every_allowed_change_moves_posts_its_event_and_touches_activity(
    member, campaign, transition
):
    # Given a creator at the transition's start
    cm = _member(campaign, transition.source)
    before = cm.last_activity_at
    # When the change is made (without its email: that is campaign_mail's, below)
    member_status_set(campaign_member=cm, status=transition.target, actor=member)
    # Then the status, the last activity and one event in the thread, apart from messages
    cm.refresh_from_db()
    assert cm.status == transition.target
    assert cm.last_activity_at > before
    event = Message.objects.get(conversation__creator=cm.creator)
    assert event.direction == Message.Direction.EVENT and event.channel == "event"
    assert event.body_text == f"Summer Launch: {transition.event}"
    assert event.campaign_id == campaign.id and event.author_member == member


def test_every_other_change_is_refused_with_what_is_possible(member, campaign):
    # every pair of statuses the table has no change for (108 of them), one member each
    refused = [pair for pair in product(S.values, S.values) if pair not in ALLOWED]
    assert len(refused) == 11 * 11 - len(ALLOWED)
    for i, (source, target) in enumerate(refused):
        cm = _member(campaign, source, name=f"Creator {i}")
        with pytest.raises(Conflict) as error:
            member_status_set(campaign_member=cm, status=target, actor=member)
        message = " ".join(error.value.errors["status"])
        offered = transitions_from(source)
        if offered:
            assert "cannot become" in message, (source, target)
            assert all(str(dict(S.choices)[t.target]) in message for t in offered)
        else:
            assert "final" in message, (source, target)
        assert CampaignMember.objects.get(pk=cm.pk).status == source
    assert not Message.objects.exists()


def test_an_unknown_status_is_invalid(member, campaign):
    cm = _member(campaign, S.ADDED)
    with pytest.raises(ValidationFailed) as bad:
        member_status_set(campaign_member=cm, status="famous", actor=member)
    assert not isinstance(bad.value, Conflict)


def test_a_change_reads_the_stored_status_not_a_stale_copy(member, campaign):
    # Given two copies of one member; one of them accepts
    cm = _member(campaign, S.INVITED)
    stale = CampaignMember.objects.get(pk=cm.pk)
    member_status_set(campaign_member=cm, status=S.ACCEPTED, actor=member)
    # When the stale copy tries to decline, it is refused: the stored status is accepted
    with pytest.raises(Conflict):
        member_status_set(campaign_member=stale, status=S.DECLINED, actor=member)
    cm.refresh_from_db()
    assert cm.status == S.ACCEPTED


def test_portal_actions_post_their_own_event(member, campaign):
    cm = _member(campaign, S.APPROVED)
    member_status_set(campaign_member=cm, status=S.ACTIVE, event="Agreement signed")
    assert _events(cm.creator) == ["Summer Launch: Agreement signed"]


def test_archived_campaign_refuses_changes(member, campaign):
    cm = _member(campaign, S.INVITED)
    campaign_archive(campaign=campaign)
    with pytest.raises(Conflict, match="archived"):
        member_status_set(campaign_member=cm, status=S.ACCEPTED, actor=member)
    with pytest.raises(Conflict, match="archived"):
        members_status_set(
            campaign=campaign, creator_ids=[cm.creator_id], status=S.ACCEPTED, actor=member
        )


# --- With the email --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "priority", "subject"),
    [
        (S.ADDED, S.INVITED, OutboxItem.Priority.INVITATION, "Invitation: Summer Launch"),
        (S.ADDED, S.APPROVED, OutboxItem.Priority.APPROVAL, "You are in: Summer Launch"),
        (S.APPLIED, S.APPROVED, OutboxItem.Priority.APPROVAL, "You are in: Summer Launch"),
        (S.APPLIED, S.REJECTED, OutboxItem.Priority.REJECTION, "About Summer Launch"),
    ],
)
def test_one_creator_gets_the_kind_s_email_with_its_priority_then_the_event(
    member, campaign, team_mailbox, source, target, priority, subject
):
    cm = _member(campaign, source)
    campaign_member_transition(member=member, campaign_member=cm, status=target)
    cm.refresh_from_db()
    assert cm.status == target
    email, event = Message.objects.filter(conversation__creator=cm.creator).order_by("id")
    assert email.channel == "email" and email.subject == subject
    assert email.body_text.startswith("Hi Ann,") and "Summer Launch" in email.body_text
    assert email.campaign_id == campaign.id and email.status == Message.Status.QUEUED
    assert OutboxItem.objects.get(message=email).priority == priority
    assert event.direction == "event" and event.body_text.startswith("Summer Launch: ")


def test_the_campaign_s_own_template_is_used_with_personal_fields(member, campaign, team_mailbox):
    campaign_update(
        campaign=campaign,
        templates={
            "invitation": ("{{ first_name }}, join {{ campaign }}", "Size {{ custom.size }}")
        },
    )
    cm = _member(campaign, S.ADDED)
    cm.creator.custom_fields = {"size": "M"}
    cm.creator.save()
    campaign_member_transition(member=member, campaign_member=cm, status=S.INVITED)
    email = Message.objects.get(channel="email")
    assert (email.subject, email.body_text) == ("Ann, join Summer Launch", "Size M")


def test_without_an_address_or_a_mailbox_nothing_changes(member, campaign, team_mailbox):
    cm = _member(campaign, S.ADDED, email=False)
    with pytest.raises(ValidationFailed, match="no email address"):
        campaign_member_transition(member=member, campaign_member=cm, status=S.INVITED)
    team_mailbox.delete()
    other = _member(campaign, S.ADDED, name="Bo Example")
    with pytest.raises(ValidationFailed) as no_mailbox:
        campaign_member_transition(member=member, campaign_member=other, status=S.INVITED)
    assert "mailbox" in no_mailbox.value.errors
    assert set(CampaignMember.objects.values_list("status", flat=True)) == {S.ADDED}
    assert not Message.objects.exists() and not OutboxItem.objects.exists()


def test_a_bouncing_address_is_asked_about_first(member, campaign, team_mailbox):
    cm = _member(campaign, S.ADDED)
    cm.creator.identities.update(bounced_at=timezone.now(), bounce_status="5.1.1")
    with pytest.raises(ValidationFailed) as bounced:
        campaign_member_transition(member=member, campaign_member=cm, status=S.INVITED)
    assert "confirm_bouncing" in bounced.value.errors
    assert CampaignMember.objects.get(pk=cm.pk).status == S.ADDED
    campaign_member_transition(
        member=member, campaign_member=cm, status=S.INVITED, confirm_bouncing=True
    )
    assert CampaignMember.objects.get(pk=cm.pk).status == S.INVITED


def test_the_status_can_change_without_the_email(member, campaign):
    # no mailbox at all: the team invited by DM, say
    cm = _member(campaign, S.ADDED, email=False)
    campaign_member_transition(
        member=member, campaign_member=cm, status=S.INVITED, send_email=False
    )
    assert CampaignMember.objects.get(pk=cm.pk).status == S.INVITED
    assert _events(cm.creator) == ["Summer Launch: Invited (no email sent)"]
    assert not OutboxItem.objects.exists()


def test_a_refused_change_sends_nothing(member, campaign, team_mailbox):
    cm = _member(campaign, S.ACCEPTED)
    with pytest.raises(Conflict):
        campaign_member_transition(member=member, campaign_member=cm, status=S.INVITED)
    assert not Message.objects.exists() and not OutboxItem.objects.exists()


def test_email_first_invitation_later(member, campaign, team_mailbox, make_conversation):
    # Given a creator added to the campaign who was emailed about it straight away
    from parley.outbox.email_send import email_message_send

    cm = _member(campaign, S.ADDED)
    from parley.inbox.services import conversation_get_or_create

    conversation = conversation_get_or_create(creator=cm.creator)
    email_message_send(
        member=member,
        conversation=conversation,
        mailbox=team_mailbox,
        subject="Quick question",
        body="Would you be up for it?",
        campaign_id=campaign.id,
    )
    assert CampaignMember.objects.get(pk=cm.pk).status == S.ADDED
    # When the invitation is sent later, it goes out as any invitation
    campaign_member_transition(member=member, campaign_member=cm, status=S.INVITED)
    assert CampaignMember.objects.get(pk=cm.pk).status == S.INVITED
    assert list(OutboxItem.objects.order_by("id").values_list("priority", flat=True)) == [
        OutboxItem.Priority.PERSONAL,
        OutboxItem.Priority.INVITATION,
    ]


# --- In bulk ---------------------------------------------------------------------------


def test_bulk_invite_lists_the_skipped_and_refused_and_the_writer_sends_with_events(
    member, campaign, team_mailbox
):
    # Given three added creators with an address, one without, one bouncing, one accepted
    ready = [_member(campaign, S.ADDED, name=f"Creator {i}") for i in range(3)]
    no_email = _member(campaign, S.ADDED, email=False, name="No Mail")
    bouncing = _member(campaign, S.ADDED, name="Bounce Back")
    bouncing.creator.identities.update(bounced_at=timezone.now(), bounce_status="5.1.1")
    accepted = _member(campaign, S.ACCEPTED, name="Already In")
    outsider = CreatorFactory(workspace=member.workspace, name="Not A Member")
    everyone = [*ready, no_email, bouncing, accepted]
    # When all of them are invited in bulk
    outcome = campaign_members_transition(
        member=member,
        campaign=campaign,
        creator_ids=[cm.creator_id for cm in everyone] + [outsider.id],
        status=S.INVITED,
    )
    # Then the ready ones are invited at once; the others are listed with why
    assert sorted(outcome.moved) == sorted(cm.creator_id for cm in ready)
    assert {s.name: s.reason for s in outcome.skipped} == {
        "No Mail": "No email address",
        "Bounce Back": "Their address bounced (5.1.1)",
    }
    refused = {r.creator_id: r.reason for r in outcome.refused}
    assert set(refused) == {accepted.creator_id, outsider.id}
    assert "cannot become" in refused[accepted.creator_id]
    statuses = dict(CampaignMember.objects.values_list("creator_id", "status"))
    assert [statuses[cm.creator_id] for cm in everyone] == [S.INVITED] * 3 + [
        S.ADDED,
        S.ADDED,
        S.ACCEPTED,
    ]
    # and a mass message of invitations waits for the worker, nothing written yet
    broadcast = outcome.broadcast
    assert broadcast is not None and broadcast.state == Broadcast.State.PREPARING
    assert broadcast.priority == OutboxItem.Priority.INVITATION
    assert broadcast.campaign_id == campaign.id and broadcast.mailbox_id == team_mailbox.id
    assert len(broadcast.skipped) == 2
    assert not Message.objects.exists()
    # When the worker writes it: each email, its outbox row, and the event beside it
    assert broadcast_queue(broadcast_id=broadcast.id) == 3
    for cm in ready:
        email, event = Message.objects.filter(conversation__creator=cm.creator).order_by("id")
        assert email.channel == "email" and email.subject == "Invitation: Summer Launch"
        assert event.body_text == "Summer Launch: Invitation sent"
        assert OutboxItem.objects.get(message=email).priority == OutboxItem.Priority.INVITATION
    assert OutboxItem.objects.count() == 3
    assert not Message.objects.filter(conversation__creator=no_email.creator).exists()


def test_bulk_changes_without_email_post_events_at_once(member, campaign):
    members = [_member(campaign, s) for s in (S.ACCEPTED, S.APPROVED, S.CONTENT_SUBMITTED)]
    stuck = _member(campaign, S.DECLINED)
    outcome = campaign_members_transition(
        member=member,
        campaign=campaign,
        creator_ids=[cm.creator_id for cm in [*members, stuck]],
        status=S.ACTIVE,
    )
    assert sorted(outcome.moved) == sorted(cm.creator_id for cm in members)
    assert [r.creator_id for r in outcome.refused] == [stuck.creator_id]
    assert outcome.broadcast is None
    assert [_events(cm.creator) for cm in members] == [
        ["Summer Launch: Active in the campaign"],
        ["Summer Launch: Active in the campaign"],
        ["Summer Launch: Changes requested"],
    ]
    assert _events(stuck.creator) == []


def test_bulk_email_problems_stop_everything(member, campaign, team_mailbox):
    cm = _member(campaign, S.APPLIED)
    # a template that cannot be written for anyone (saved before fields were checked)
    campaign.templates.filter(kind="rejection").update(body="{{ nope }}")
    with pytest.raises(ValidationFailed) as bad:
        campaign_members_transition(
            member=member, campaign=campaign, creator_ids=[cm.creator_id], status=S.REJECTED
        )
    assert "rejection email" in " ".join(bad.value.errors["template"])
    assert CampaignMember.objects.get(pk=cm.pk).status == S.APPLIED
    assert not Broadcast.objects.exists()


def test_bulk_in_another_workspace_s_campaign_is_refused(member, other_member):
    theirs = campaign_create(workspace=other_member.workspace, name="Theirs")
    with pytest.raises(ValidationFailed):
        campaign_members_transition(
            member=member, campaign=theirs, creator_ids=[1], status=S.INVITED
        )
    assert Campaign.objects.get(pk=theirs.pk).status == Campaign.Status.ACTIVE


def test_a_bulk_change_leaves_out_who_changed_meanwhile(member, campaign):
    # Given two invited creators, read as movable; then one declines before the update
    from parley.campaigns.workflow import members_status_check

    first, second = (_member(campaign, S.INVITED, name=f"Creator {i}") for i in range(2))
    checked = members_status_check(
        campaign=campaign, creator_ids=[first.creator_id, second.creator_id], status=S.ACCEPTED
    )
    member_status_set(campaign_member=second, status=S.DECLINED, actor=member)
    # When the bulk change goes on with what it read
    outcome = members_status_set(
        campaign=campaign, status=S.ACCEPTED, actor=member, checked=checked
    )
    # Then only the first moved; the second stays declined, listed with why
    assert outcome.moved == [first.creator_id]
    assert [(r.creator_id, r.name) for r in outcome.refused] == [(second.creator_id, "Creator 1")]
    assert "final" in outcome.refused[0].reason
    assert CampaignMember.objects.get(pk=second.pk).status == S.DECLINED
    assert _events(second.creator) == ["Summer Launch: Declined the invitation"]

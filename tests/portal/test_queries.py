"""Pinned query counts: the portal's home and thread read a fixed number of queries however
many brands, campaigns and messages a creator has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.campaigns.models import CampaignMember
from parley.inbox.models import Message
from parley.inbox.services import conversation_get_or_create, message_record
from parley.outbox.services import message_send
from tests.factories import CampaignFactory

# home: session, accesses, campaigns, agreements, gifts, changes, unread, delivered update
HOME_QUERIES = 8
# thread: session, access, messages, attachments, the campaigns (tabs), read update
THREAD_QUERIES = 6


def _more(ann, n):
    s = ann.setup
    conversation = conversation_get_or_create(creator=s.creator)
    for i in range(n):
        campaign = CampaignFactory(workspace=s.member.workspace, name=f"Drop {i}")
        CampaignMember.objects.create(
            workspace=s.member.workspace, campaign=campaign, creator=s.creator, status="invited"
        )
        message_send(member=s.member, conversation=conversation, channel="inapp", body=f"hi {i}")
        message_record(
            conversation=conversation,
            channel="email",
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body_text=f"reply {i}",
            author_creator=s.creator,
        )


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["home", "thread"])
def test_portal_pages_have_pinned_query_counts(ann, path, django_assert_max_num_queries):
    url = "/portal/" if path == "home" else f"/portal/c/{ann.setup.creator.id}/"
    pinned = HOME_QUERIES if path == "home" else THREAD_QUERIES
    _more(ann, 2)
    few = _count(ann.client, url)
    _more(ann, 20)
    with django_assert_max_num_queries(pinned):
        ann.client.get(url)
    assert _count(ann.client, url) == few

"""`parley worker` as a real process: it runs queued tasks and the periodic outbox dispatch."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from parley.inbox.models import Message
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send
from tests.conftest import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_sends_a_scheduled_message_once_it_is_due(member, make_conversation):
    message = message_send(
        member=member,
        conversation=make_conversation(),
        channel="inapp",
        body="good morning",
        send_at=timezone.now() + timedelta(hours=1),
    )
    OutboxItem.objects.filter(message=message).update(not_before=timezone.now())
    worker = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "worker", "--interval", "0.2"],
        env={**os.environ, "DATABASE_URL": database_url()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            message.refresh_from_db()
            if message.status == Message.Status.SENT:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        _out, err = worker.communicate(timeout=10)
    assert message.status == Message.Status.SENT, err.decode()[-2000:]
    assert OutboxItem.objects.get(message=message).state == "done"

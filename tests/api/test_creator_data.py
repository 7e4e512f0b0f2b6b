"""API: open a creator's conversation (so a first message can go to a creator who has
none), import a CSV file (upload, status, failed rows), export creators as CSV."""

import csv
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parley.creators.imports import creator_import_run
from parley.creators.models import Creator, CreatorImport
from parley.creators.services import creator_add
from parley.inbox.models import Conversation, Message
from tests.api.conftest import PREFIX, ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def _upload(api: ApiClient, data: bytes, **fields: Any) -> Any:
    return api.client.post(
        PREFIX + "/creators/imports",
        {"file": SimpleUploadedFile("creators.csv", data, content_type="text/csv"), **fields},
        headers=api._headers(),
    )


def test_open_a_conversation_then_send_the_first_message(api, member):
    creator = creator_add(
        workspace=member.workspace, name="Ann", identities=[("email", "ann@example.com")]
    )
    first = api.post(f"/creators/{creator.id}/conversation")
    assert first.status_code == 201
    conversation_id = first.json()["id"]
    assert first.json()["creator"] == {"id": creator.id, "name": "Ann"}
    again = api.post(f"/creators/{creator.id}/conversation")
    assert again.status_code == 200 and again.json()["id"] == conversation_id
    sent = api.post(f"/conversations/{conversation_id}/messages", {"body": "Hello Ann"})
    assert sent.status_code == 201, sent.content
    assert Message.objects.filter(conversation_id=conversation_id).count() == 1
    assert Conversation.objects.count() == 1


def test_import_upload_status_and_failures(api, member):
    data = b"Name;Email;Size\r\nGood;good@example.com;M\r\nBad;nope;L\r\n"
    response = _upload(api, data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "queued"
    assert body["mapping"] == {"0": "name", "1": "email", "2": "custom:Size"}
    creator_import_run(import_id=body["id"])
    status = api.get(f"/creators/imports/{body['id']}").json()
    assert (status["state"], status["created"], status["failed"]) == ("done", 1, 1)
    assert status["failures"] == [{"line": 3, "reason": "“nope” is not a valid email address."}]
    failures = api.get(f"/creators/imports/{body['id']}/failures")
    assert failures["Content-Type"].startswith("text/csv")
    text = b"".join(failures.streaming_content).decode().lstrip("\ufeff")
    assert list(csv.reader(io.StringIO(text)))[1] == [
        "Bad",
        "nope",
        "L",
        "3",
        "“nope” is not a valid email address.",
    ]


def test_import_with_a_mapping_or_without_starting(api, member):
    data = b"Who,Mail\r\nJo,jo@example.com\r\n"
    response = _upload(api, data, mapping=json.dumps({"0": "name", "1": "email"}))
    assert response.status_code == 201 and response.json()["state"] == "queued"
    creator_import_run(import_id=response.json()["id"])
    assert Creator.objects.get().identities.get().normalized == "jo@example.com"
    waiting = _upload(api, data, start="false")
    assert waiting.status_code == 201 and waiting.json()["state"] == "mapping"


@pytest.mark.parametrize(
    ("data", "fields", "field"),
    [
        (b"", {}, "file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", {}, "file"),
        (b"Name\r\n", {}, "file"),
        (b"A,B\r\n1,2\r\n", {}, "mapping"),  # no column is the name
        (b"Name\r\nx\r\n", {"mapping": "[1]"}, "mapping"),
        (b"Name\r\nx\r\n", {"phone_region": "XX"}, "phone_region"),
    ],
)
def test_import_errors_are_422_and_keep_nothing(api, tmp_path, data, fields, field):
    response = _upload(api, data, **fields)
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"]
    assert not CreatorImport.objects.exists()
    assert not list(tmp_path.rglob("*.csv"))


def test_export_streams_the_filter_as_csv(api, member):
    creator_add(workspace=member.workspace, name="=Formula", tags=["vip"])
    creator_add(workspace=member.workspace, name="Plain")
    response = api.get("/creators/export", q="formula")
    assert response.status_code == 200 and response.streaming
    rows = list(
        csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff")))
    )
    assert [r[0] for r in rows[1:]] == ["'=Formula"]
    assert api.get("/creators/export", sort="sideways").status_code == 422

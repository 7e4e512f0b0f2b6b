import pytest

from parley.accounts.models import Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_me(api, member):
    response = api.get("/me")

    assert response.status_code == 200
    assert response.json() == {
        "member": {
            "id": member.id,
            "name": str(member.user),
            "email": member.user.email,
            "role": "owner",
        },
        "workspace": {
            "id": member.workspace.id,
            "name": member.workspace.name,
            "kind": "brand",
        },
    }


def test_members_list_for_assignment(api, member, teammate):
    response = api.get("/members")

    assert response.status_code == 200
    assert [(m["id"], m["role"]) for m in response.json()] == [
        (member.id, "owner"),
        (teammate.id, "member"),
    ]
    assert response.json()[1]["email"] == teammate.user.email


def test_clients_list(api, member):
    ClientFactory(workspace=member.workspace, name="Zeta")
    ClientFactory(workspace=member.workspace, name="Acme")

    response = api.get("/clients")

    assert response.status_code == 200
    assert [c["name"] for c in response.json()] == ["Acme", "Zeta"]


def test_create_client(api, member):
    response = api.post("/clients", {"name": " Acme "})

    assert response.status_code == 201
    client = Client.objects.get(workspace=member.workspace)
    assert response.json() == {"id": client.id, "name": "Acme"}


@pytest.mark.parametrize(
    ("payload", "message", "status"),
    [
        ({"name": ""}, "This field cannot be blank.", 422),
        ({"name": "x" * 121}, "Ensure this is at most 120 characters.", 422),
        ({"name": "Acme"}, "A client with this name already exists.", 409),
        ({}, "This field is required.", 422),
        ({"name": None}, "Enter text.", 422),
    ],
)
def test_create_client_rejects_bad_names(api, member, payload, message, status):
    ClientFactory(workspace=member.workspace, name="Acme")

    response = api.post("/clients", payload)

    assert response.status_code == status
    assert response.json() == {"detail": {"name": [message]}}
    assert Client.objects.filter(workspace=member.workspace).count() == 1

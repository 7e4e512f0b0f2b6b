"""An unhandled error in the API is a JSON 500, never a traceback, whatever DEBUG says
(issue 11, finding 5)."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_an_error_in_the_api_is_json_whatever_debug_says(api, settings, monkeypatch, debug):  # type: ignore[no-untyped-def]
    import parley.api.routers.workspace as workspace_router

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret detail")

    settings.DEBUG = debug
    monkeypatch.setattr(workspace_router, "member_list", broken)
    api.client.raise_request_exception = False
    response = api.get("/members")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Something went wrong on our side."}
    assert "secret detail" not in response.content.decode()

"""The member's notifications: the header drop-down."""

from django.http import HttpRequest
from ninja import Query, Router

from parley.api.auth import acting_member
from parley.api.schemas import CountOut, FieldErrorsOut, NotificationOut, NotificationQuery
from parley.inbox.models import Notification
from parley.inbox.selectors import notification_list
from parley.inbox.services import notifications_mark_read

router = Router(tags=["notifications"])


@router.get("", response={200: list[NotificationOut], 422: FieldErrorsOut})
def notifications_list(
    request: HttpRequest, params: Query[NotificationQuery]
) -> list[Notification]:
    """The latest notifications of the token's member, newest first."""
    return notification_list(member=acting_member(request), limit=params.limit)


@router.post("/read", response=CountOut)
def notifications_read(request: HttpRequest) -> CountOut:
    """Mark every notification read; `count` is how many were unread."""
    return CountOut(count=notifications_mark_read(member=acting_member(request)))

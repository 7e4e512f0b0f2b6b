from django.urls import path

from parley.inbox.views import bulk, listing, scheduled, sidebar, thread

app_name = "inbox"

urlpatterns = [
    path("", listing.inbox, name="list"),
    path("rows/", listing.rows, name="rows"),
    path("pulse/", listing.pulse, name="pulse"),
    path("search/messages/", listing.message_hits, name="message_hits"),
    path("notifications/", listing.notifications, name="notifications"),
    path("notifications/read/", listing.notifications_read, name="notifications_read"),
    path("bulk/", bulk.bulk, name="bulk"),
    path("bulk/count/", listing.match_count, name="match_count"),
    path("c/<id:conversation_id>/", listing.inbox, name="conversation"),
    path("c/<id:conversation_id>/thread/", thread.thread, name="thread"),
    path("c/<id:conversation_id>/messages/", thread.messages, name="messages"),
    path("c/<id:conversation_id>/send/", thread.send, name="send"),
    path(
        "c/<id:conversation_id>/messages/<id:message_id>/unread/",
        thread.mark_unread,
        name="mark_unread",
    ),
    path(
        "c/<id:conversation_id>/messages/<id:message_id>/retry/",
        thread.message_fix,
        {"fix": "retry"},
        name="message_retry",
    ),
    path(
        "c/<id:conversation_id>/messages/<id:message_id>/mark-sent/",
        thread.message_fix,
        {"fix": "mark-sent"},
        name="message_mark_sent",
    ),
    path(
        "c/<id:conversation_id>/messages/<id:message_id>/cancel/",
        thread.message_fix,
        {"fix": "cancel"},
        name="message_cancel",
    ),
    path(
        "c/<id:conversation_id>/messages/<id:message_id>/edit/",
        scheduled.scheduled_edit,
        name="message_edit",
    ),
    path("c/<id:conversation_id>/tags/", sidebar.tag_add, name="tag_add"),
    path("c/<id:conversation_id>/tags/<id:tag_id>/remove/", sidebar.tag_delete, name="tag_remove"),
    path("c/<id:conversation_id>/fields/", sidebar.fields, name="fields"),
    path("c/<id:conversation_id>/notes/", sidebar.note, name="note"),
    path("c/<id:conversation_id>/campaigns/", sidebar.campaign_add, name="campaign_add"),
    path("c/<id:conversation_id>/assign/", sidebar.assign, name="assign"),
    path("c/<id:conversation_id>/profile/", sidebar.profile, name="profile"),
]

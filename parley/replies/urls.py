from django.urls import path

from parley.replies import views

app_name = "replies"

urlpatterns = [
    path("settings/replies/", views.settings_replies, name="settings"),
    path("settings/replies/<id:reply_id>/", views.settings_reply_edit, name="edit"),
    path("settings/replies/<id:reply_id>/delete/", views.settings_reply_delete, name="delete"),
    path("inbox/replies/", views.replies_for_box, name="box"),
    path(
        "inbox/replies/<id:reply_id>/c/<id:conversation_id>/",
        views.reply_for_conversation,
        name="render",
    ),
]

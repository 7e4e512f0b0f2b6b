from django.urls import path

from parley.channels.email import views

app_name = "email"

urlpatterns = [
    path("settings/integrations/email/", views.settings_page, name="settings"),
    path("settings/integrations/email/connect/", views.connect_imap, name="connect"),
    path(
        "settings/integrations/email/<id:mailbox_id>/reconnect/",
        views.connect_imap,
        name="reconnect",
    ),
    path(
        "settings/integrations/email/<id:mailbox_id>/limit/",
        views.daily_limit,
        name="daily_limit",
    ),
    path(
        "settings/integrations/email/<id:mailbox_id>/default/",
        views.make_default,
        name="make_default",
    ),
    path(
        "settings/integrations/email/<id:mailbox_id>/disconnect/",
        views.disconnect,
        name="disconnect",
    ),
    path(
        "settings/integrations/email/oauth/<str:provider>/start/",
        views.oauth_start,
        name="oauth_start",
    ),
    path(
        "settings/integrations/email/oauth/callback/", views.oauth_callback, name="oauth_callback"
    ),
    path("email/attachments/<id:attachment_id>/", views.attachment_download, name="attachment"),
    path("email/messages/<id:message_id>/html/", views.message_html, name="message_html"),
]

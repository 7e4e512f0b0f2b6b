from django.urls import path
from django.views.generic import RedirectView

from parley.accounts import views

app_name = "accounts"

urlpatterns = [
    path(
        "settings/", RedirectView.as_view(pattern_name="accounts:settings_general"), name="settings"
    ),
    path("settings/general/", views.settings_general, name="settings_general"),
    path("settings/team/", views.settings_team, name="settings_team"),
    path("settings/team/<id:member_id>/role/", views.settings_team_role, name="settings_team_role"),
    path(
        "settings/team/<id:member_id>/remove/",
        views.settings_team_remove,
        name="settings_team_remove",
    ),
    path(
        "settings/team/<id:member_id>/pending/cancel/",
        views.settings_team_pending_cancel,
        name="settings_team_pending_cancel",
    ),
    path(
        "settings/team/<id:member_id>/invitation/",
        views.settings_team_invitation,
        name="settings_team_invitation",
    ),
    path("settings/notifications/", views.settings_notifications, name="settings_notifications"),
    path("settings/tokens/", views.settings_tokens, name="settings_tokens"),
    path(
        "settings/tokens/<id:token_id>/revoke/",
        views.settings_token_revoke,
        name="settings_token_revoke",
    ),
    path("workspaces/switch/", views.workspace_switch, name="workspace_switch"),
]

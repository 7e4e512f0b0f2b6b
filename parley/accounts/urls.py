from django.urls import path
from django.views.generic import RedirectView

from parley.accounts import views

app_name = "accounts"

urlpatterns = [
    path(
        "settings/", RedirectView.as_view(pattern_name="accounts:settings_general"), name="settings"
    ),
    path("settings/general/", views.settings_general, name="settings_general"),
    path("workspaces/switch/", views.workspace_switch, name="workspace_switch"),
]

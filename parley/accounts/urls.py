from django.urls import path

from parley.accounts import views

app_name = "accounts"

urlpatterns = [
    path("workspaces/switch/", views.workspace_switch, name="workspace_switch"),
]

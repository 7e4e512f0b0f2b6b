from django.urls import path

from parley.broadcasts import views

app_name = "broadcasts"

urlpatterns = [
    path("", views.broadcasts, name="list"),
    path("<id:broadcast_id>/", views.detail, name="detail"),
    path("<id:broadcast_id>/edit/", views.edit, name="edit"),
    path("<id:broadcast_id>/cancel/", views.cancel, name="cancel"),
]

from django.urls import path

from parley.campaigns.views import campaigns, members

app_name = "campaigns"

urlpatterns = [
    path("", campaigns.campaigns, name="list"),
    path("new/", campaigns.new, name="new"),
    path("<id:campaign_id>/", members.detail, name="detail"),
    path("<id:campaign_id>/members/", members.member_rows, name="member_rows"),
    path("<id:campaign_id>/members/bulk/", members.members_bulk, name="members_bulk"),
    path(
        "<id:campaign_id>/members/<id:creator_id>/status/",
        members.member_status,
        name="member_status",
    ),
    path("<id:campaign_id>/members/<id:creator_id>/bar/", members.member_bar, name="member_bar"),
    path("<id:campaign_id>/content/", campaigns.content, name="content"),
    path("<id:campaign_id>/settings/", campaigns.settings_tab, name="settings"),
    path("<id:campaign_id>/archive/", campaigns.archive, name="archive"),
]

"""The brand's pages of the creator portal, mounted at the site's root (namespace
"portal_team"); the Content Approval tab itself is the campaigns app's page."""

from django.urls import path

from parley.portal import views_team as views

app_name = "portal_team"

urlpatterns = [
    path("creators/<id:creator_id>/portal/", views.creator_status, name="status"),
    path("creators/<id:creator_id>/portal/invite/", views.creator_invite, name="invite"),
    path("campaigns/<id:campaign_id>/applications/", views.applications, name="applications"),
    path("campaigns/content/<id:submission_id>/review/", views.review, name="review"),
    path("campaigns/content/<id:submission_id>/file/", views.submission_file, name="file"),
]

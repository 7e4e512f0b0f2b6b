"""Page routes of enrichment, under /creators/<id>/: the panel, its actions, the report."""

from django.urls import path

from parley.creators.enrichment import views

app_name = "enrichment"

urlpatterns = [
    path("<id:creator_id>/enrichment/", views.panel, name="panel"),
    path("<id:creator_id>/enrichment/fetch-email/", views.fetch_email, name="fetch_email"),
    path("<id:creator_id>/enrichment/demographics/", views.demographics, name="demographics"),
    path("<id:creator_id>/report.pdf", views.report, name="report"),
]

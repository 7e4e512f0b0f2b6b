from django.urls import path

from parley.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.responses, name="responses"),
]

from django.urls import path

from parley.api.api import api

# Mounted at "api/v1/" by parley/urls.py; the API's URL namespace is "api".
urlpatterns = [path("", api.urls)]

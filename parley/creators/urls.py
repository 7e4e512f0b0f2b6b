from django.urls import path

from parley.creators import views

app_name = "creators"

urlpatterns = [
    path("", views.creators, name="list"),
    path("rows/", views.rows, name="rows"),
    path("new/", views.new, name="new"),
    path("bulk/", views.bulk, name="bulk"),
    path("export/", views.export, name="export"),
    path("import/", views.import_upload, name="import"),
    path("import/<id:import_id>/", views.import_detail, name="import_detail"),
    path("import/<id:import_id>/failed-rows.csv", views.import_failures, name="import_failures"),
    path("<id:creator_id>/", views.detail, name="detail"),
    path("<id:creator_id>/conversation/", views.start_conversation, name="conversation"),
]

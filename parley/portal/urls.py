"""The creator portal, mounted at "portal/" (namespace "portal")."""

from django.urls import path

from parley.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("link/<str:token>/", views.link, name="link"),
    path("apply/<str:code>/", views.apply, name="apply"),
    path("c/<id:creator_id>/", views.thread, name="thread"),
    path("c/<id:creator_id>/reply/", views.reply, name="reply"),
    path("c/<id:creator_id>/files/<id:attachment_id>/", views.attachment, name="attachment"),
    path("c/<id:creator_id>/campaigns/<id:campaign_id>/", views.campaign, name="campaign"),
    path("c/<id:creator_id>/campaigns/<id:campaign_id>/answer/", views.answer, name="answer"),
    path(
        "c/<id:creator_id>/campaigns/<id:campaign_id>/agreements/<id:agreement_id>/",
        views.agreement_answer,
        name="agreement_answer",
    ),
    path(
        "c/<id:creator_id>/agreements/<id:agreement_id>/pdf/",
        views.agreement_download,
        name="agreement_pdf",
    ),
    path("c/<id:creator_id>/campaigns/<id:campaign_id>/gifts/", views.gifts_pick, name="gifts"),
    path("c/<id:creator_id>/campaigns/<id:campaign_id>/content/", views.content, name="content"),
    path(
        "c/<id:creator_id>/content/<id:submission_id>/file/",
        views.submission_file,
        name="submission_file",
    ),
]

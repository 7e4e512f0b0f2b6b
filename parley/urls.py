from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from parley.accounts.views import PasswordResetView
from parley.campaigns.views_links import link_follow
from parley.core.converters import IdConverter

# `<id:…>`: a database id, 1 to 2**63-1 (anything else is a 404, not an OverflowError).
register_converter(IdConverter, "id")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inbox:list", permanent=False)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("parley.accounts.urls")),
    path("inbox/broadcasts/", include("parley.broadcasts.urls")),
    path("inbox/", include("parley.inbox.urls")),
    path("creators/", include("parley.creators.urls")),
    path("campaigns/", include("parley.campaigns.urls")),
    path("reports/", include("parley.reports.urls")),
    path("", include("parley.replies.urls")),
    path("creators/", include("parley.creators.enrichment.urls")),
    path("api/v1/", include("parley.api.urls")),
    # The public tracking-link redirect (campaign actions).
    path("l/<str:code>", link_follow, name="link_follow"),
    # Campaign actions: the action panel, the assets section, settings and bulk actions.
    path("campaigns/", include("parley.campaigns.urls_assets")),
    path("", include("parley.channels.email.urls")),
    path("", include("parley.channels.sms.urls")),
    # The creator portal (its own sessions) and the brand's side of it.
    path("portal/", include("parley.portal.urls")),
    path("", include("parley.portal.urls_team")),
]

# Parley's own pages, JSON under /api/ (parley.core.errorpages).
handler404 = "parley.core.errorpages.page_not_found"
handler500 = "parley.core.errorpages.server_error"

"""The campaign actions' pages, mounted at "campaigns/" (namespace "assets"). The public
tracking-link redirect `/l/<code>` is in parley/urls.py."""

from django.urls import path

from parley.campaigns import views_assets as views

app_name = "assets"

urlpatterns = [
    path("assets/creator/<id:creator_id>/", views.section, name="section"),
    path(
        "<id:campaign_id>/creators/<id:creator_id>/actions/<slug:kind>/",
        views.action,
        name="action",
    ),
    path("assets/payments/<id:payment_id>/status/", views.payment_status, name="payment_status"),
    path("assets/payments/<id:payment_id>/history/", views.payment_history, name="payment_history"),
    path("assets/gifts/<id:gift_id>/ship/", views.gift_ship, name="gift_ship"),
    path("assets/gifts/<id:gift_id>/selection/", views.gift_selection, name="gift_selection"),
    path("assets/agreements/<id:agreement_id>/pdf/", views.agreement_pdf, name="agreement_pdf"),
    path("assets/products/<id:product_id>/image/", views.product_image, name="product_image"),
    path("<id:campaign_id>/assets/bulk/", views.bulk, name="bulk"),
    path("<id:campaign_id>/settings/products/", views.products, name="products"),
    path(
        "<id:campaign_id>/settings/products/<id:product_id>/delete/",
        views.product_delete,
        name="product_delete",
    ),
    path("<id:campaign_id>/settings/coupons/", views.coupon_pool, name="coupon_pool"),
]

from django.urls import path

from parley.channels.sms import views

app_name = "sms"

urlpatterns = [
    path("settings/integrations/sms/", views.settings_page, name="settings"),
    path("settings/integrations/sms/connect/", views.connect, name="connect"),
    path("settings/integrations/sms/senders/", views.pick, name="pick"),
    path("settings/integrations/sms/test/", views.test, name="test"),
    path("settings/integrations/sms/disconnect/", views.disconnect, name="disconnect"),
    path("settings/integrations/sms/<id:number_id>/rate/", views.rate, name="rate"),
    path("settings/integrations/sms/<id:number_id>/default/", views.make_default, name="default"),
    path("settings/integrations/sms/<id:number_id>/remove/", views.remove, name="remove"),
    path("sms/segments/", views.segments, name="segments"),
    path("sms/contact/<id:conversation_id>/", views.contact, name="contact"),
    # Twilio's webhooks: the key names the account (its signature is checked with it).
    path("sms/twilio/<str:key>/inbound/", views.inbound, name="inbound"),
    path("sms/twilio/<str:key>/status/", views.status, name="status"),
]

from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.PortalView.as_view(), name="home"),
    path("e-mail/", views.PreferenceView.as_view(), name="preference"),
    path("unsubscribe/<str:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
]

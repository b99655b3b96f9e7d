from django.contrib import admin
from django.urls import include, path

from accounts.views import HomeView
from outsidein.api import api

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("o/<slug:org>/", include("org.urls")),
    path("o/<slug:org>/", include("improvements.urls")),
    path("o/<slug:org>/research/", include("research.urls")),
    path("o/<slug:org>/insights/", include("insights.urls")),
    path("o/<slug:org>/arena/", include("arena.urls")),
    path("o/<slug:org>/cascade/", include("cascade.urls")),
    path("o/<slug:org>/safari/", include("safari.urls")),
    path("o/<slug:org>/journeys/", include("journeys.urls")),
    path("o/<slug:org>/groups/", include("cocreation.urls")),
    path("o/<slug:org>/privacy/", include("privacy.urls")),
    path("o/<slug:org>/audit/", include("audit.urls")),
    path("survey/", include("research.urls_survey")),
    path("arena/", include("arena.urls_customer")),
    path("groups/", include("cocreation.urls_delegate")),
    path("portal/", include("portal.urls")),
    path("calendar/", include("safari.urls_feed")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

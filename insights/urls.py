from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("strategic/", views.StrategicView.as_view(), name="strategic"),
    path("units/<int:pk>/", views.UnitView.as_view(), name="unit"),
    path("teams/<int:pk>/", views.TeamView.as_view(), name="team"),
    path("my-customers/", views.MyCustomersView.as_view(), name="my_customers"),
    path("verbatims/", views.VerbatimListView.as_view(), name="verbatims"),
    path("verbatims/<int:pk>/voice/", views.VerbatimVoiceView.as_view(), name="verbatim_voice"),
    path("taxonomy/", views.TaxonomyView.as_view(), name="taxonomy"),
    path("export/", views.ExportView.as_view(), name="export"),
]

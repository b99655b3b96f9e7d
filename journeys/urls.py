from django.urls import path

from journeys import views

app_name = "journeys"
urlpatterns = [
    path("", views.JourneyListView.as_view(), name="list"),
    path("new/", views.JourneyCreateView.as_view(), name="create"),
    path("<int:pk>/", views.JourneyDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.JourneyUpdateView.as_view(), name="update"),
    path("<int:pk>/delete/", views.JourneyDeleteView.as_view(), name="delete"),
    path("<int:pk>/stages/", views.StageAddView.as_view(), name="stage_add"),
    path("<int:pk>/journey.pdf", views.JourneyExportView.as_view(kind="pdf"), name="export_pdf"),
    path("<int:pk>/journey.png", views.JourneyExportView.as_view(kind="png"), name="export_png"),
    path("stages/<int:pk>/rename/", views.StageRenameView.as_view(), name="stage_rename"),
    path("stages/<int:pk>/move/", views.StageMoveView.as_view(), name="stage_move"),
    path("stages/<int:pk>/delete/", views.StageDeleteView.as_view(), name="stage_delete"),
    path("stages/<int:pk>/touchpoints/", views.TouchpointAddView.as_view(), name="touchpoint_add"),
    path("touchpoints/<int:pk>/", views.TouchpointDetailView.as_view(), name="touchpoint"),
    path("touchpoints/<int:pk>/edit/", views.TouchpointUpdateView.as_view(), name="touchpoint_update"),
    path("touchpoints/<int:pk>/move/", views.TouchpointMoveView.as_view(), name="touchpoint_move"),
    path("touchpoints/<int:pk>/delete/", views.TouchpointDeleteView.as_view(),
         name="touchpoint_delete"),
    path("touchpoints/<int:pk>/point/", views.TouchpointPointView.as_view(), name="touchpoint_point"),
]

from django.urls import path

from improvements import views

app_name = "improvements"

urlpatterns = [
    path("points/", views.BoardView.as_view(), name="board"),
    path("points/new/", views.PointCreateView.as_view(), name="point_create"),
    path("points/<int:pk>/", views.PointDetailView.as_view(), name="point_detail"),
    path("points/<int:pk>/edit/", views.PointUpdateView.as_view(), name="point_update"),
    path("points/<int:pk>/status/", views.PointStatusView.as_view(), name="point_status"),
    path("points/<int:pk>/actions/new/", views.ActionCreateView.as_view(),
         name="action_create"),
    path("points/<int:pk>/evidence/new/", views.EvidenceCreateView.as_view(),
         name="evidence_create"),
    path("evidence/<int:pk>/delete/", views.EvidenceDeleteView.as_view(),
         name="evidence_delete"),
    path("actions/<int:pk>/edit/", views.ActionUpdateView.as_view(), name="action_update"),
    path("actions/<int:pk>/status/", views.ActionStatusView.as_view(), name="action_status"),
    path("actions/<int:pk>/notes/new/", views.ActionNoteCreateView.as_view(),
         name="action_note_create"),
    path("my-actions/", views.MyActionsView.as_view(), name="my_actions"),
    path("routes/", views.RouteListView.as_view(), name="route_list"),
    path("routes/new/", views.RouteCreateView.as_view(), name="route_create"),
    path("routes/<int:pk>/", views.RouteDetailView.as_view(), name="route_detail"),
    path("routes/<int:pk>/edit/", views.RouteUpdateView.as_view(), name="route_update"),
    path("routes/<int:pk>/points/add/", views.RoutePointAddView.as_view(),
         name="route_add_point"),
    path("routes/<int:pk>/points/remove/", views.RoutePointRemoveView.as_view(),
         name="route_remove_point"),
    path("routes/<int:pk>/points/move/", views.RoutePointMoveView.as_view(),
         name="route_move_point"),
]

from django.urls import path

from safari import views

app_name = "safari"

urlpatterns = [
    path("", views.RoundListView.as_view(), name="round_list"),
    path("new/", views.RoundCreateView.as_view(), name="round_create"),
    path("lessons/", views.LessonsView.as_view(), name="lessons"),
    path("my-visits/", views.MyVisitsView.as_view(), name="my_visits"),
    path("my-visits/calendar/", views.CalendarTokenView.as_view(), name="calendar_token"),
    path("rounds/<int:pk>/", views.RoundDetailView.as_view(), name="round"),
    path("rounds/<int:pk>/edit/", views.RoundUpdateView.as_view(), name="round_update"),
    path("rounds/<int:pk>/assign/", views.VisitAssignView.as_view(), name="visit_assign"),
    path("visits/<int:pk>/", views.VisitDetailView.as_view(), name="visit"),
    path("visits/<int:pk>/plan/", views.VisitPlanView.as_view(), name="visit_plan"),
    path("visits/<int:pk>/cancel/", views.VisitCancelView.as_view(), name="visit_cancel"),
    path("visits/<int:pk>/report/", views.VisitReportView.as_view(), name="visit_report"),
    path("visits/<int:pk>/photo.jpg", views.VisitPhotoView.as_view(), name="visit_photo"),
    path("visits/<int:pk>/advice/", views.AdvicePointView.as_view(), name="advice_point"),
]

"""Customer-facing survey pages, included at ``/survey/`` (no account needed)."""

from django.urls import path

from research import survey_views

app_name = "survey"

urlpatterns = [
    path("", survey_views.SurveyStartView.as_view(), name="start"),
    path("<int:pk>/", survey_views.SurveyFormView.as_view(), name="form"),
    path("<int:pk>/save/", survey_views.SurveySaveView.as_view(), name="save"),
    path("<int:pk>/thanks/", survey_views.SurveyThanksView.as_view(), name="thanks"),
    path("p/<str:token>/", survey_views.PublicSurveyView.as_view(), name="public"),
]

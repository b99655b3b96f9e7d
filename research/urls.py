from django.urls import path

from research import views

app_name = "research"

urlpatterns: list = []

# Waves, questionnaires, survey settings, imports and responses (research/views.py).
urlpatterns += [
    path("waves/", views.WaveListView.as_view(), name="wave_list"),
    path("waves/new/", views.WaveCreateView.as_view(), name="wave_create"),
    path("waves/<int:pk>/", views.WaveDetailView.as_view(), name="wave_detail"),
    path("waves/<int:pk>/edit/", views.WaveUpdateView.as_view(), name="wave_update"),
    path("waves/<int:pk>/status/", views.WaveStatusView.as_view(), name="wave_status"),
    path("waves/<int:pk>/questionnaire/", views.QuestionnaireEditView.as_view(),
         name="questionnaire_edit"),
    path("waves/<int:pk>/questionnaire/export/", views.QuestionnaireExportView.as_view(),
         name="questionnaire_export"),
    path("waves/<int:pk>/questionnaire/import/", views.QuestionnaireImportView.as_view(),
         name="questionnaire_import"),
    path("waves/<int:pk>/questionnaire/copy/", views.QuestionnaireCopyView.as_view(),
         name="questionnaire_copy"),
    path("waves/<int:pk>/responses/", views.ResponseListView.as_view(), name="response_list"),
    path("settings/", views.SurveySettingsView.as_view(), name="survey_settings"),
    path("settings/drivers/new/", views.DriverCreateView.as_view(), name="driver_create"),
    path("settings/drivers/<int:pk>/", views.DriverUpdateView.as_view(), name="driver_update"),
    path("settings/core-values/new/", views.CoreValueCreateView.as_view(),
         name="core_value_create"),
    path("settings/core-values/<int:pk>/delete/", views.CoreValueDeleteView.as_view(),
         name="core_value_delete"),
    path("settings/competitors/new/", views.CompetitorCreateView.as_view(),
         name="competitor_create"),
    path("settings/competitors/<int:pk>/delete/", views.CompetitorDeleteView.as_view(),
         name="competitor_delete"),
]

# Own survey: invitations, reminders, public link, response rates, follow-ups
# (research/survey_views.py, research/followup_views.py).
from research import followup_views, survey_views  # noqa: E402

urlpatterns += [
    path("waves/<int:pk>/invitations/", survey_views.WaveInvitationsView.as_view(),
         name="wave_invitations"),
    path("waves/<int:pk>/invitations/create/", survey_views.InvitationsCreateView.as_view(),
         name="invitations_create"),
    path("waves/<int:pk>/invitations/send/", survey_views.InvitationsSendView.as_view(),
         name="invitations_send"),
    path("waves/<int:pk>/invitations/remind/", survey_views.InvitationsRemindView.as_view(),
         name="invitations_remind"),
    path("waves/<int:pk>/public-link/", survey_views.WavePublicLinkView.as_view(),
         name="wave_public_link"),
    path("waves/<int:pk>/response-rates/", survey_views.ResponseRatesView.as_view(),
         name="response_rates"),
    path("follow-ups/", followup_views.FollowUpListView.as_view(), name="followup_list"),
    path("follow-ups/<int:pk>/", followup_views.FollowUpDetailView.as_view(),
         name="followup_detail"),
    path("follow-ups/<int:pk>/update/", followup_views.FollowUpUpdateView.as_view(),
         name="followup_update"),
]

# API tokens (research/token_views.py).
from research import token_views  # noqa: E402

urlpatterns += [
    path("api-tokens/", token_views.ApiTokensView.as_view(), name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", token_views.ApiTokenRevokeView.as_view(),
         name="api_token_revoke"),
]

# The import wizard and downloads (research/views.py): pk is the wave, then the ImportJob.
urlpatterns += [
    path("waves/<int:pk>/import/", views.ImportUploadView.as_view(), name="import_upload"),
    path("waves/<int:pk>/responses/export/", views.ResponseExportView.as_view(),
         name="response_export"),
    path("imports/<int:pk>/mapping/", views.ImportMappingView.as_view(), name="import_mapping"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/run/", views.ImportRunView.as_view(), name="import_run"),
    path("imports/<int:pk>/progress/", views.ImportProgressView.as_view(),
         name="import_progress"),
    path("imports/<int:pk>/rejected/", views.ImportRejectedView.as_view(),
         name="import_rejected"),
]

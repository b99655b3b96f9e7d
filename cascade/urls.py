from django.urls import path

from cascade import views, views_kits, views_spel

app_name = "cascade"

urlpatterns = [
    path("", views.CascadeListView.as_view(), name="list"),
    path("new/", views.CascadeCreateView.as_view(), name="create"),
    path("<int:pk>/", views.CascadeDetailView.as_view(), name="detail"),
    path("<int:pk>/review/", views.ReviewView.as_view(), name="review"),
    path("<int:pk>/targets/", views.TargetSetView.as_view(), name="target_set"),
    path("<int:pk>/reviews/", views.ReviewAddView.as_view(), name="review_add"),
    path("<int:pk>/kits/", views_kits.KitsView.as_view(), name="kits"),
    path("<int:pk>/kits.zip", views_kits.KitsDownloadView.as_view(), name="kits_download"),
    path("sessions/<int:pk>/", views.SessionDetailView.as_view(), name="session"),
    path("sessions/<int:pk>/plan/", views.SessionPlanView.as_view(), name="session_plan"),
    path("sessions/<int:pk>/start/", views.SessionStartView.as_view(), name="session_start"),
    path("sessions/<int:pk>/route/", views.SessionRouteView.as_view(), name="session_route"),
    path("sessions/<int:pk>/finish/", views.SessionFinishView.as_view(), name="session_finish"),
    path("sessions/<int:pk>/kit.pptx", views_kits.SessionKitView.as_view(kind="pptx"),
         name="session_kit_pptx"),
    path("sessions/<int:pk>/kit.pdf", views_kits.SessionKitView.as_view(kind="pdf"),
         name="session_kit_pdf"),
    path("conversations/", views.MyConversationsView.as_view(), name="my_conversations"),
    path("conversations/<int:pk>/", views.ConversationLogView.as_view(), name="conversation_log"),
    # The live session (the "spel") on the room engine.
    path("sessions/<int:pk>/spel/open/", views_spel.SpelOpenView.as_view(), name="spel_open"),
    path("sessions/<int:pk>/spel/", views_spel.SpelConsoleView.as_view(), name="spel_console"),
    path("sessions/<int:pk>/spel/screen/", views_spel.SpelScreenView.as_view(), name="spel_screen"),
    path("sessions/<int:pk>/spel/live/", views_spel.SpelPhoneView.as_view(), name="spel_phone"),
    path("sessions/<int:pk>/spel/reveal/", views_spel.SpelRevealView.as_view(), name="spel_reveal"),
]

from django.urls import path

from arena import views

app_name = "arena"

urlpatterns = [
    path("", views.ArenaListView.as_view(), name="list"),
    path("new/", views.ArenaCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ArenaDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ArenaUpdateView.as_view(), name="update"),
    path("<int:pk>/script/", views.ScriptUpdateView.as_view(), name="script"),
    path("<int:pk>/employees/", views.EmployeeAddView.as_view(), name="employee_add"),
    path("<int:pk>/employees/<int:member>/remove/", views.EmployeeRemoveView.as_view(),
         name="employee_remove"),
    path("<int:pk>/customers/", views.CustomerAddView.as_view(), name="customer_add"),
    path("<int:pk>/customers/<int:invitation>/remove/", views.CustomerRemoveView.as_view(),
         name="customer_remove"),
    path("<int:pk>/invite/", views.InvitationsSendView.as_view(), name="invite"),
    path("<int:pk>/finish/", views.FinishView.as_view(), name="finish"),
    path("<int:pk>/thank/", views.ThankView.as_view(), name="thank"),
    path("<int:pk>/report.pdf", views.ReportView.as_view(), name="report"),
    path("<int:pk>/console/", views.ConsoleView.as_view(), name="console"),
    path("<int:pk>/screen/", views.ScreenView.as_view(), name="screen"),
    path("<int:pk>/live/", views.PhoneView.as_view(), name="phone"),
]

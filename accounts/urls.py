from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.LoginCodeView.as_view(), name="login_code"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path("security/two-factor/", views.TwoFactorSetupView.as_view(), name="two_factor_setup"),
    path("security/two-factor/off/", views.TwoFactorDisableView.as_view(), name="two_factor_disable"),
    path("security/backup-codes/", views.BackupCodesView.as_view(), name="backup_codes"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("organisations/", views.ChooseOrganisationView.as_view(), name="choose_organisation"),
    path("m/<str:token>/", views.MagicLinkView.as_view(), name="magic_link"),
    path("customer/", views.CustomerHomeView.as_view(), name="customer_home"),
]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib import admin

        from accounts import middleware  # noqa: F401  (the login-time stamp of staff sessions)
        from accounts.forms import AdminLoginRefusedForm

        # Django admin's login page would log a site administrator in without the second
        # step: its form refuses everyone, and the regular login leads into the admin.
        admin.site.login_form = AdminLoginRefusedForm

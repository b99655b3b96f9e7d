from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # The login-time stamp of staff sessions (a user_logged_in receiver).
        from accounts import middleware  # noqa: F401

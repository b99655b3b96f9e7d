"""Logins and logouts reach the audit log through Django's authentication signals.

Django's ``login()``, ``logout()`` and ``authenticate()`` are the only places that know a
login happened, so this is the one part of the log that listens to signals rather than
being called by a service. ``client.force_login`` in tests sends ``user_logged_in`` too.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.models import AuditAction
from audit.services import login_failed_record, login_record


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender, request, user, **kwargs):
    login_record(user=user, action=AuditAction.LOGIN_SUCCEEDED)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        login_record(user=user, action=AuditAction.LOGOUT)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs):
    # ``credentials`` has the password masked by Django; only the e-mail's hash is kept.
    email = credentials.get("username") or credentials.get("email") or ""
    login_failed_record(email=str(email))

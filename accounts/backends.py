from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Authenticate by e-mail address, case-insensitively."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = (username or kwargs.get("email") or "").strip().lower()
        if not email or password is None:
            return None
        return super().authenticate(request, username=email, password=password)

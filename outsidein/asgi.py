"""ASGI entry point: HTTP through Django, WebSocket to the live rooms."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
# Set Django up before importing anything that touches models (the consumers).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.middleware import WebSocketSessionTimeout  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    # Staff sessions' time-outs apply to the sockets too (accounts.middleware).
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(
        WebSocketSessionTimeout(URLRouter(websocket_urlpatterns)))),
})

from django.conf import settings  # noqa: E402

if settings.SCHEDULER_ENABLED:
    # One daemon thread per worker; the daily run is claimed by one of them (privacy.scheduler).
    from privacy import scheduler  # noqa: E402

    scheduler.start()

"""``channels.testing.WebsocketCommunicator`` without importing ``channels.testing``.

``channels.testing/__init__`` imports its live-server test case, which needs daphne;
we serve with uvicorn and do not install daphne. This is the same small class, on
asgiref's ``ApplicationCommunicator``.
"""

import json
from urllib.parse import unquote, urlparse

from asgiref.testing import ApplicationCommunicator


class WebsocketCommunicator(ApplicationCommunicator):
    def __init__(self, application, path: str, headers=None):
        parsed = urlparse(path)
        super().__init__(application, {
            "type": "websocket", "path": unquote(parsed.path),
            "query_string": parsed.query.encode("utf-8"), "headers": headers or [],
            "subprotocols": [],
        })

    async def connect(self, timeout=1):
        """Return ``(True, subprotocol)`` when accepted, ``(False, close code)`` when not."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, response.get("subprotocol")

    async def send_to(self, text_data: str):
        await self.send_input({"type": "websocket.receive", "text": text_data})

    async def send_json_to(self, data):
        await self.send_to(json.dumps(data))

    async def disconnect(self, code=1000, timeout=1):
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)

from django.urls import path

from live.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/live/rooms/<int:room_id>/", RoomConsumer.as_asgi()),
]

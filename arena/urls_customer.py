from django.urls import path

from arena import views

app_name = "arena_customer"

urlpatterns = [
    path("", views.CustomerHomeView.as_view(), name="home"),
    path("<int:pk>/rsvp/", views.CustomerRsvpView.as_view(), name="rsvp"),
    path("<int:pk>/live/", views.CustomerRoomView.as_view(), name="room"),
]

from django.urls import path

from cocreation import views

app_name = "cocreation_delegate"

urlpatterns = [
    path("", views.DelegateHomeView.as_view(), name="home"),
    path("<int:pk>/", views.DelegateGroupView.as_view(), name="group"),
    path("meetings/<int:pk>/live/", views.DelegateRoomView.as_view(), name="room"),
]

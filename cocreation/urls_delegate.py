from django.urls import path  # noqa: F401

app_name = "cocreation_delegate"
urlpatterns: list = []

from django.urls import path  # noqa: F401

app_name = "safari_feed"
urlpatterns: list = []

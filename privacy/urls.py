"""Privacy (AVG/GDPR): access, portability and erasure of a person's data."""
from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.PersonView.as_view(), name="person"),
    path("export.<str:fmt>", views.ExportView.as_view(), name="export"),
    path("erase/", views.EraseView.as_view(), name="erase"),
]

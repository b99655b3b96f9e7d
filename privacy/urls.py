"""Privacy (AVG/GDPR): access, portability and erasure of a person's data."""
from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.PersonView.as_view(), name="person"),
    path("export.json", views.ExportView.as_view(), {"fmt": "json"}, name="export_json"),
    path("export.zip", views.ExportView.as_view(), {"fmt": "zip"}, name="export_zip"),
    path("erase/", views.EraseView.as_view(), name="erase"),
    path("retention/", views.RetentionView.as_view(), name="retention"),
]

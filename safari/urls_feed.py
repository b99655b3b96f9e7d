from django.urls import path

from safari import views

app_name = "safari_feed"

# No session here: a calendar app fetches the feed by the secret in its URL.
urlpatterns = [
    path("<slug:org>/<str:secret>.ics", views.FeedView.as_view(), name="feed"),
]

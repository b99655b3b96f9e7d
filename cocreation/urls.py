from django.urls import path

from cocreation import views

app_name = "cocreation"

urlpatterns = [
    path("", views.GroupListView.as_view(), name="list"),
    path("new/", views.GroupCreateView.as_view(), name="create"),
    path("<int:pk>/", views.GroupDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.GroupEditView.as_view(), name="edit"),
    path("<int:pk>/members/add/", views.MemberAddView.as_view(), name="member_add"),
    path("<int:pk>/delegates/add/", views.DelegateAddView.as_view(), name="delegate_add"),
    path("<int:pk>/comments/add/", views.CommentAddView.as_view(), name="comment_add"),
    path("<int:pk>/notes/add/", views.NoteAddView.as_view(), name="note_add"),
    path("<int:pk>/decisions/add/", views.DecisionAddView.as_view(), name="decision_add"),
    path("<int:pk>/actions/add/", views.ActionAddView.as_view(), name="action_add"),
    path("<int:pk>/meetings/add/", views.MeetingAddView.as_view(), name="meeting_add"),
    path("members/<int:pk>/chair/", views.MemberChairView.as_view(), name="member_chair"),
    path("members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path("delegates/<int:pk>/invite/", views.DelegateInviteView.as_view(), name="delegate_invite"),
    path("delegates/<int:pk>/revoke/", views.DelegateRevokeView.as_view(), name="delegate_revoke"),
    path("delegates/<int:pk>/remove/", views.DelegateRemoveView.as_view(), name="delegate_remove"),
    path("comments/<int:pk>/adopt/", views.ProposalAdoptView.as_view(), name="proposal_adopt"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting"),
    path("meetings/<int:pk>/minutes/", views.MeetingMinutesView.as_view(), name="meeting_minutes"),
    path("meetings/<int:pk>/live/open/", views.MeetingRoomOpenView.as_view(), name="meeting_room_open"),
    path("meetings/<int:pk>/live/close/", views.MeetingRoomCloseView.as_view(), name="meeting_room_close"),
    path("meetings/<int:pk>/live/", views.MeetingRoomView.as_view(), name="meeting_room"),
]

"""The cascade pages: the tree, starting in order from the page, the admin's override."""

from django.urls import reverse

from cascade import services
from cascade.models import CascadeSession, SessionState


def test_a_consultant_creates_the_cascade_and_sees_the_tree(client, cworld):
    client.force_login(cworld.consultant.user)
    response = client.post(reverse("cascade:create", args=[cworld.org.slug]), {"wave": cworld.wave.pk},
                           follow=True)
    page = response.content.decode()
    assert "Team Beilen" in page and "Strategisch" in page and "wacht op" in page


def test_an_employee_sees_the_tree_but_cannot_create_or_start(client, cworld):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    top = CascadeSession.objects.get(cascade=cascade, unit=cworld.root)
    client.force_login(cworld.employee.user)
    assert client.get(reverse("cascade:detail", args=[cworld.org.slug, cascade.pk])).status_code == 200
    assert client.post(reverse("cascade:session_start", args=[cworld.org.slug, top.pk])).status_code == 403
    top.refresh_from_db()
    assert top.state == SessionState.PLANNED


def test_starting_out_of_order_from_the_page_is_refused_with_the_reason(client, cworld):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    team = CascadeSession.objects.get(cascade=cascade, unit=cworld.team_a)
    client.force_login(cworld.consultant.user)
    page = client.post(reverse("cascade:session_start", args=[cworld.org.slug, team.pk]),
                       follow=True).content.decode()
    assert "De sessie van Noord moet eerst klaar zijn." in page
    team.refresh_from_db()
    assert team.state == SessionState.PLANNED


def test_an_admin_starts_out_of_order_with_a_reason_shown_in_the_tree(client, cworld):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    team = CascadeSession.objects.get(cascade=cascade, unit=cworld.team_a)
    client.force_login(cworld.admin.user)
    client.post(reverse("cascade:session_start", args=[cworld.org.slug, team.pk]),
                {"override_reason": "Team gaat reorganiseren"})
    team.refresh_from_db()
    assert team.state == SessionState.RUNNING
    tree = client.get(reverse("cascade:detail", args=[cworld.org.slug, cascade.pk])).content.decode()
    assert "buiten de volgorde gestart" in tree and "Team gaat reorganiseren" in tree

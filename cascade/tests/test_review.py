"""The progress review: route points per unit, and targets measured in the next wave."""

import io
from datetime import date, timedelta

from django.urls import reverse
from pypdf import PdfReader

from cascade import selectors, services
from cascade.models import CascadeSession
from improvements import services as improvements
from improvements.models import ActionStatus
from insights.services import responses_changed
from org.services import contact_create, customer_create
from research import services as research
from research.models import ResponseSource


def answer(wave, unit, scores):
    research.wave_set_status(wave=wave, status="open")
    for n, score in enumerate(scores):
        customer = customer_create(organisation=wave.organisation, name=f"{wave.name} {unit.name} {n}",
                                   customer_number=f"{wave.pk}-{unit.pk}-{n}", unit=unit)
        contact = contact_create(customer=customer, name=customer.name, email=f"k{wave.pk}{unit.pk}{n}@x.nl")
        research.response_record(wave=wave, answers=research.Answers(nps=score),
                                 source=ResponseSource.SURVEY, contact=contact)
    research.wave_set_status(wave=wave, status="closed")
    responses_changed(wave=wave)


def test_the_review_counts_actions_per_point_and_unit_and_measures_targets(client, cworld):
    cworld.org.anonymity_threshold = 1
    cworld.org.save(update_fields=["anonymity_threshold"])
    answer(cworld.wave, cworld.team_a, [0, 3, 6, 9] * 10)  # NPS −50
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    point = improvements.point_create(organisation=cworld.org, actor=cworld.admin, title="Terugbellen",
                                      unit=cworld.noord)
    done = improvements.action_create(point=point, actor=cworld.admin, title="Script", owner=cworld.manager)
    improvements.action_set_status(action=done, actor=cworld.admin, status=ActionStatus.DONE)
    improvements.action_create(point=point, actor=cworld.admin, title="Belrooster", owner=cworld.manager,
                               due_date=date.today() - timedelta(days=3))
    route = improvements.route_create(organisation=cworld.org, actor=cworld.admin, name="Route 2027",
                                      points=[point])
    top = CascadeSession.objects.get(cascade=cascade, level="strategic")
    services.session_route_set(session=top, route=route)
    services.target_set(cascade=cascade, unit=cworld.team_a, nps=-20)
    services.session_start(session=top, actor=cworld.consultant)
    services.session_finish(session=top)
    noord = CascadeSession.objects.get(cascade=cascade, unit=cworld.noord)
    services.session_start(session=noord, actor=cworld.consultant)
    services.session_finish(session=noord, notes="Noord belt elke detractor binnen een week terug.")

    review = selectors.progress_review(cascade)
    (progress,) = review.points
    assert (progress.done, progress.open, progress.overdue) == (1, 1, 1)
    assert progress.per_unit == [("Noord", 1, 1, 1)]
    (target,) = review.targets
    assert (target.baseline, target.target, target.measured) == (-50, -20, None)

    later = research.wave_create(organisation=cworld.org, actor=cworld.admin, name="Meting 2027",
                                 period_start=date(2027, 1, 1), period_end=date(2027, 3, 1))
    answer(later, cworld.team_a, [9, 10, 10, 7] * 10)  # NPS +75
    (target,) = selectors.progress_review(cascade).targets
    assert target.measured == 75 and target.change == 125 and target.reached and target.significant

    client.force_login(cworld.consultant.user)
    url = reverse("cascade:review", args=[cworld.org.slug, cascade.pk])
    page = client.get(url).content.decode()
    assert "Terugbellen" in page and "Meting 2027" in page
    assert "Noord belt elke detractor binnen een week terug." in page
    pdf = client.get(url + "?format=pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Route 2027" in text and "Terugbellen" in text and "+75" in text


def test_targets_are_set_by_consultants_and_stay_in_range(client, cworld):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    client.force_login(cworld.employee.user)
    url = reverse("cascade:target_set", args=[cworld.org.slug, cascade.pk])
    assert client.post(url, {"unit": cworld.noord.pk, "nps": 10}).status_code == 403
    client.force_login(cworld.consultant.user)
    client.post(url, {"unit": cworld.noord.pk, "nps": 150})
    assert not cascade.targets.exists()
    client.post(url, {"unit": cworld.noord.pk, "nps": 10})
    assert cascade.targets.get().nps == 10

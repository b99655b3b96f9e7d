"""Retention: personal data of responses older than the policy is stripped once, daily, with
per-wave exceptions, while every figure per unit and wave stays exactly as it was."""

import datetime
import io
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role
from improvements import services as improvements
from improvements.models import Evidence
from insights import selectors as insights
from insights.models import UnitWaveAggregate
from org.models import Contact, Customer, Level, UnitKind
from org.services import unit_create
from outsidein import cli
from privacy import scheduler, selectors, services
from privacy.models import RetentionPolicy, ScheduledRun, StrippedResponse, WaveRetention
from research import services as research
from research.models import FollowUp, Invitation, Response, WaveStatus
from research.survey import invitations_create, survey_answers_save

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 29, 4, 0, tzinfo=datetime.UTC)


def ago(months: int) -> datetime.datetime:
    return selectors.months_before(NOW, months)


class World:
    pass


@pytest.fixture
def rworld(org, make_member):
    w = World()
    w.org = org
    root = org.units.get(depth=1)
    w.unit = unit_create(organisation=org, parent=root, name="Team Zuid", kind=UnitKind.TEAM,
                         level=Level.OPERATIONAL)
    w.admin = make_member(org, Role.ADMIN, name="Anna Admin")
    w.manager = make_member(org, Role.MANAGER, unit=w.unit, name="Karel Klantmans",
                            email="karel@acme.example")
    w.customer = Customer.objects.create(organisation=org, name="Bakkerij Bos", unit=w.unit,
                                         email="info@bakkerijbos.example", customer_number="K-1")
    w.anna = Contact.objects.create(customer=w.customer, name="Anneke Bos",
                                    email="anneke@bakkerijbos.example", is_primary=True)
    w.kees = Contact.objects.create(customer=w.customer, name="Kees Bos",
                                    email="kees@bakkerijbos.example")

    def wave(name, months, **extra):
        wave = research.wave_create(organisation=org, actor=w.admin, name=name, **extra)
        research.wave_set_status(wave=wave, status=WaveStatus.OPEN)
        return wave

    w.old = wave("Meting 2024", 25)
    w.recent = wave("Meting 2025", 23)
    w.kept = wave("Meting 2023", 30)
    w.anonymous = wave("Anoniem 2024", 25, is_anonymous=True)

    def answer(wave, nps, comment, *, contact=None, months, **extra):
        response = research.response_record(
            wave=wave, source="api", contact=contact, answers=research.Answers(
                nps=nps, comment=comment, **extra), external_id=f"{wave.pk}-{nps}-{months}")
        Response.objects.filter(pk=response.pk).update(submitted_at=ago(months),
                                                       created_at=ago(months))
        return response

    # Anneke answered the old wave through a personal invitation, naming Kees and the manager.
    invitations_create(wave=w.old, contacts=[w.anna])
    invitation = Invitation.objects.get(wave=w.old, contact=w.anna)
    w.old_response = survey_answers_save(
        invitation=invitation, submit=True, answers=research.Answers(
            nps=4, comment="Kees Bos en Karel Klantmans bellen nooit terug; mail anneke@bakkerijbos.example",
            improvement="Bel 06-12345678 of 020 123 4567 in 2024-2025.",
            attributes={"segment": "MKB", "contactpersoon": "Anneke Bos"}))
    Response.objects.filter(pk=w.old_response.pk).update(submitted_at=ago(25) - datetime.timedelta(days=3),
                                                         created_at=ago(25) - datetime.timedelta(days=3))
    FollowUp.objects.filter(response=w.old_response).update(outcome="Anneke Bos gebeld, opgelost.")
    point = improvements.point_create(organisation=org, actor=w.admin, title="Terugbellen",
                                      unit=w.unit, raised_by=w.admin, description="")
    w.evidence = improvements.evidence_add(point=point, actor=w.admin, label="Enquête",
                                           quote="Anneke Bos: bellen nooit terug",
                                           source=w.old_response)
    w.old_plain = answer(w.old, 9, "Prima service.", contact=w.kees, months=26)
    w.recent_response = answer(w.recent, 7, "Anneke Bos is tevreden.", contact=w.anna, months=23)
    w.kept_response = answer(w.kept, 2, "Slecht, vraag naar Kees Bos.", contact=w.kees, months=30)
    w.anonymous_response = research.response_record(
        wave=w.anonymous, source="public", answers=research.Answers(
            nps=10, comment="Top! Mail me: iemand@voorbeeld.example"))
    Response.objects.filter(pk=w.anonymous_response.pk).update(submitted_at=ago(25), created_at=ago(25))
    from insights.services import responses_changed

    for wave_ in (w.old, w.recent, w.kept, w.anonymous):
        responses_changed(wave=wave_)
    services.retention_policy_save(
        organisation=org, actor=w.admin, months=24, is_active=True,
        exceptions=[{"wave": w.kept, "keep_until": None, "reason": "Lopende klachtprocedure"}])
    return w


def figures(wave):
    wave.organisation.anonymity_threshold = 1
    wave.organisation.save(update_fields=["anonymity_threshold"])
    cache.clear()
    per_unit = [(u.unit_id, u.suppressed, getattr(u, "nps", None), getattr(u, "responses", None))
                for u in insights.unit_insights(wave)]
    stored = sorted(repr({k: v for k, v in row.items() if k not in ("id", "updated_at")})
                     for row in UnitWaveAggregate.objects.filter(wave=wave).values())
    return per_unit, stored


def test_months_before_counts_calendar_months():
    dt = datetime.datetime
    assert selectors.months_before(dt(2026, 3, 31, 12), 1) == dt(2026, 2, 28, 12)
    assert selectors.months_before(dt(2026, 1, 15), 24) == dt(2024, 1, 15)
    assert selectors.months_before(dt(2026, 1, 15), 13) == dt(2024, 12, 15)


def test_a_25_month_old_response_is_stripped_and_its_figures_stay(rworld):
    w = rworld
    before = {wave.pk: figures(wave) for wave in (w.old, w.recent, w.kept, w.anonymous)}
    scores_before = sorted(Response.objects.values_list("pk", "unit_id", "wave_id", "nps", "scores"))

    summary = services.retention_run(organisation=w.org, now=NOW)

    assert {(c.wave, c.responses) for c in summary.waves} == {("Meting 2024", 2), ("Anoniem 2024", 1)}
    assert summary.total == 3 and not summary.dry_run
    r = Response.objects.get(pk=w.old_response.pk)
    assert r.customer_id is None and r.contact_id is None and r.external_id == ""
    assert r.nps == 4 and r.unit_id == w.unit.pk and r.wave_id == w.old.pk
    assert r.comment == "[verwijderd] en [verwijderd] bellen nooit terug; mail [verwijderd]"
    assert r.improvement == "Bel [verwijderd] of [verwijderd] in 2024-2025."
    assert r.attributes == {"segment": "MKB"}
    assert not Invitation.objects.filter(response=r).exists()
    assert FollowUp.objects.get(response=r).outcome == "[verwijderd] gebeld, opgelost."
    w.evidence.refresh_from_db()
    assert w.evidence.quote == "[verwijderd]: bellen nooit terug"
    plain = Response.objects.get(pk=w.old_plain.pk)
    assert plain.contact_id is None and plain.comment == "Prima service."
    anonymous = Response.objects.get(pk=w.anonymous_response.pk)
    assert anonymous.comment == "Top! Mail me: [verwijderd]"
    # 23 months old: untouched. The excepted wave: untouched.
    recent = Response.objects.get(pk=w.recent_response.pk)
    assert recent.contact_id == w.anna.pk and recent.comment == "Anneke Bos is tevreden."
    kept = Response.objects.get(pk=w.kept_response.pk)
    assert kept.contact_id == w.kees.pk and "Kees Bos" in kept.comment
    # Every figure per unit and wave is exactly as it was.
    assert sorted(Response.objects.values_list("pk", "unit_id", "wave_id", "nps", "scores")) == scores_before
    assert {wave.pk: figures(wave) for wave in (w.old, w.recent, w.kept, w.anonymous)} == before
    # The contacts themselves stay (they are still customers); only the link went.
    assert Contact.objects.filter(pk=w.anna.pk, name="Anneke Bos").exists()


def test_a_second_run_changes_nothing(rworld):
    services.retention_run(organisation=rworld.org, now=NOW)
    snapshot = list(Response.objects.order_by("pk").values())
    again = services.retention_run(organisation=rworld.org, now=NOW + datetime.timedelta(hours=1))
    assert again.total == 0 and again.waves == ()
    assert list(Response.objects.order_by("pk").values()) == snapshot
    assert StrippedResponse.objects.count() == 3


def test_a_dry_run_counts_and_writes_nothing(rworld):
    snapshot = list(Response.objects.order_by("pk").values())
    summary = services.retention_run(organisation=rworld.org, now=NOW, dry_run=True)
    assert summary.dry_run and summary.total == 3
    assert list(Response.objects.order_by("pk").values()) == snapshot
    assert not StrippedResponse.objects.exists()


def test_an_exception_until_a_date_keeps_the_wave_until_that_date_has_passed(rworld):
    w = rworld
    WaveRetention.objects.filter(wave=w.kept).update(keep_until=NOW.date())
    assert w.kept.pk not in {c.wave_id for c in services.retention_run(organisation=w.org, now=NOW).waves}
    later = services.retention_run(organisation=w.org, now=NOW + datetime.timedelta(days=1))
    assert [(c.wave, c.responses) for c in later.waves] == [("Meting 2023", 1)]
    assert Response.objects.get(pk=w.kept_response.pk).contact_id is None


def test_an_inactive_or_missing_policy_strips_nothing(rworld, other_org):
    RetentionPolicy.objects.filter(organisation=rworld.org).update(is_active=False)
    assert services.retention_run(organisation=rworld.org, now=NOW).total == 0
    assert not services.retention_run(organisation=other_org, now=NOW).active
    assert not StrippedResponse.objects.exists()


def test_a_shorter_policy_reaches_the_recent_wave(rworld):
    RetentionPolicy.objects.filter(organisation=rworld.org).update(months=12)
    summary = services.retention_run(organisation=rworld.org, now=NOW)
    assert "Meting 2025" in {c.wave for c in summary.waves}


def test_another_organisations_responses_are_never_touched(rworld, other_org, make_member):
    admin = make_member(other_org, Role.ADMIN)
    wave = research.wave_create(organisation=other_org, actor=admin, name="Rivaal")
    research.wave_set_status(wave=wave, status=WaveStatus.OPEN)
    customer = Customer.objects.create(organisation=other_org, name="Klant", customer_number="R-1")
    contact = Contact.objects.create(customer=customer, name="Anneke Bos", email="a@b.example")
    theirs = research.response_record(wave=wave, contact=contact,
                                      answers=research.Answers(nps=1, comment="Anneke Bos"))
    Response.objects.filter(pk=theirs.pk).update(submitted_at=ago(40))
    services.retention_run(organisation=rworld.org, now=NOW)
    theirs.refresh_from_db()
    assert theirs.contact_id == contact.pk and theirs.comment == "Anneke Bos"


# --- The daily schedule ----------------------------------------------------------------------

def test_the_daily_tick_runs_retention_once_a_day_with_the_clock_moved(rworld):
    w = rworld
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        assert scheduler.tick() == ["privacy.retention"]
        # A second tick the same day (another worker, or ten minutes later) does nothing.
        assert scheduler.tick() == []
    run = ScheduledRun.objects.get(name="privacy.retention")
    assert run.last_run_on == NOW.date() and run.succeeded and run.result == {"acme": 3}
    assert Response.objects.get(pk=w.old_response.pk).contact_id is None
    assert Response.objects.get(pk=w.recent_response.pk).contact_id == w.anna.pk
    assert Response.objects.get(pk=w.kept_response.pk).contact_id == w.kees.pk

    # Two months later the 23-month-old response is 25 months old: the next day's run takes it.
    later = NOW + datetime.timedelta(days=62)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert scheduler.tick() == ["privacy.retention"]
        assert scheduler.tick() == []
    assert Response.objects.get(pk=w.recent_response.pk).contact_id is None
    assert Response.objects.get(pk=w.kept_response.pk).contact_id == w.kees.pk
    assert ScheduledRun.objects.get(name="privacy.retention").result == {"acme": 1}


def test_the_tick_waits_for_the_scheduled_hour(rworld, settings):
    settings.SCHEDULER_HOUR = 5
    assert scheduler.tick(NOW) == []  # 04:00 UTC
    assert not ScheduledRun.objects.exists()
    assert scheduler.tick(NOW + datetime.timedelta(hours=1)) == ["privacy.retention"]


def test_a_failed_run_gives_the_day_back(rworld, monkeypatch):
    def boom(now):
        raise RuntimeError("database away")

    monkeypatch.setitem(scheduler.DAILY, "privacy.retention", boom)
    assert scheduler.tick(NOW) == []
    run = ScheduledRun.objects.get(name="privacy.retention")
    assert run.last_run_on is None and not run.succeeded
    monkeypatch.setitem(scheduler.DAILY, "privacy.retention", lambda now: {"ok": 1})
    assert scheduler.tick(NOW) == ["privacy.retention"]


def test_a_day_claimed_by_another_worker_is_not_run_again(rworld):
    ScheduledRun.objects.create(name="privacy.retention", last_run_on=NOW.date())
    assert scheduler.tick(NOW) == []
    assert not StrippedResponse.objects.exists()


def test_the_thread_starts_once_and_stops(settings, monkeypatch):
    ticks = []
    monkeypatch.setattr(scheduler, "tick", lambda: ticks.append(1))
    try:
        assert scheduler.start(interval=3600) is True
        assert scheduler.start(interval=3600) is False
    finally:
        scheduler.stop()
    assert ticks == [1]


# --- The command line --------------------------------------------------------------------

def test_the_command_strips_or_counts_per_organisation(rworld):
    out = io.StringIO()
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        call_command("privacy", "retention", "acme", "--dry-run", stdout=out)
        assert "acme: would strip 3 responses" in out.getvalue()
        assert not StrippedResponse.objects.exists()
        out = io.StringIO()
        call_command("privacy", "retention", stdout=out)
    assert "acme: stripped 3 responses" in out.getvalue() and "Meting 2024: 2" in out.getvalue()
    assert StrippedResponse.objects.count() == 3


def test_the_console_script_passes_retention_on(rworld, monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "_setup_django", lambda: None)
    monkeypatch.setattr(cli, "_call", lambda *args: calls.append(args) or 0)
    assert cli.main(["privacy", "retention", "acme", "--dry-run"]) == 0
    assert cli.main(["privacy", "retention"]) == 0
    assert calls == [("privacy", "retention", "acme", "--dry-run"), ("privacy", "retention")]


def test_only_an_admin_may_save_the_policy(rworld):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.retention_policy_save(organisation=rworld.org, actor=rworld.manager, months=6,
                                       is_active=True, exceptions=[])


def test_evidence_of_other_sources_is_left_alone(rworld):
    other = Evidence.objects.create(point=rworld.evidence.point, label="Safari",
                                    quote="Anneke Bos zei het ook")
    services.retention_run(organisation=rworld.org, now=NOW)
    other.refresh_from_db()
    assert other.quote == "Anneke Bos zei het ook"
    assert rworld.evidence.content_type == ContentType.objects.get_for_model(Response)
    assert timezone.is_aware(NOW)


def test_small_batches_strip_the_same_responses(rworld, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 1)
    summary = services.retention_run(organisation=rworld.org, now=NOW)
    assert {(c.wave, c.responses) for c in summary.waves} == {("Meting 2024", 2), ("Anoniem 2024", 1)}
    assert set(StrippedResponse.objects.values_list("response_id", flat=True)) == {
        rworld.old_response.pk, rworld.old_plain.pk, rworld.anonymous_response.pk}
    assert not Response.objects.filter(wave=rworld.old, contact__isnull=False).exists()


def test_the_run_and_the_policy_change_are_in_the_audit_log(rworld):
    from audit.models import AuditAction, AuditEntry

    changed = AuditEntry.objects.get(action=AuditAction.RETENTION_POLICY_CHANGED)
    assert changed.organisation == rworld.org and changed.actor == rworld.admin.user
    assert changed.details == {"months": 24, "active": True, "exceptions": 1}
    services.retention_run(organisation=rworld.org, now=NOW)
    services.retention_run(organisation=rworld.org, now=NOW)  # nothing more to record
    stripped = AuditEntry.objects.filter(action=AuditAction.RETENTION_STRIPPED)
    assert sorted((e.target_id, e.details["responses"]) for e in stripped) == [
        (rworld.old.pk, 2), (rworld.anonymous.pk, 1)]
    assert all(e.actor is None and e.organisation == rworld.org for e in stripped)

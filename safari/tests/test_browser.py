"""A manager files a safari visit on a phone and turns the advice into an improvement point."""

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from improvements.models import Evidence, ImprovementPoint
from portal.models import Contribution
from safari.models import Visit, VisitStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server, client):
    """Return a function that opens ``path`` as ``membership`` on a 390x844 page; collect script errors."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en", is_mobile=True,
                                  has_touch=True)
    errors = []

    def open_page(membership, path):
        client.force_login(membership.user, backend="accounts.backends.EmailBackend")
        context.add_cookies([{
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url,
        }, {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
        page = context.new_page()
        page.on("console", lambda msg: msg.type == "error" and "favicon" not in msg.location.get("url", "")
                and errors.append(msg.text))
        page.goto(live_server.url + path)
        return page

    open_page.errors = errors
    yield open_page
    context.close()


def test_manager_files_a_visit_on_a_phone_and_turns_the_advice_into_a_point(world, visit, phone):
    from playwright.sync_api import expect

    page = phone(world.manager, f"/o/{world.org.slug}/safari/my-visits/")
    page.get_by_test_id("my-visit").get_by_role("link", name="File the report").click()

    form = page.get_by_test_id("report-form")
    form.get_by_label("What went well").fill("De expert kwam snel langs.")
    form.get_by_label("What went wrong").fill("Het keuzemenu van de schadelijn heeft vijf lagen.")
    form.get_by_label("Concrete advice").fill("Zet schade melden als eerste keuze in het menu")
    form.get_by_label("Quotes").fill("Ik moest zes keer kiezen.\nDe garage was top.")
    form.get_by_label("Schade melden per telefoon").check()
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_test_id("report-save").click()

    expect(page.get_by_text("Your report is saved")).to_be_visible()
    advice = page.get_by_test_id("advice")
    advice.get_by_label("Title of the point").fill("Schade melden als eerste menukeuze")
    advice.get_by_test_id("make-point").click()

    expect(page.get_by_test_id("advice-point")).to_contain_text("Schade melden als eerste menukeuze")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    assert [t.name for t in visit.touchpoints.all()] == ["Schade melden per telefoon"]
    point = ImprovementPoint.objects.get(organisation=world.org, title="Schade melden als eerste menukeuze")
    evidence = Evidence.objects.filter(point=point, content_type=ContentType.objects.get_for_model(Visit),
                                       object_id=visit.pk)
    assert {e.quote for e in evidence} == {"Zet schade melden als eerste keuze in het menu",
                                           "Ik moest zes keer kiezen.", "De garage was top."}
    assert Contribution.objects.filter(point=point, contact=visit.contact).exists()
    assert phone.errors == []

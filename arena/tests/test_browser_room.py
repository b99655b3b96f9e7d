"""The live room in three browsers at once, through all three rounds to the report.

A moderator on a laptop (the console), a customer on a phone (in through a magic link,
with a clock an hour off) and an employee on a phone play a whole klantarena: the
employee's attempt to speak in round 1 is refused and seen by no one else, the
customer's phone drops off the network and catches up, statements are grouped by
ticking and by dragging, groups get votes and an owner, round 3 ends in an agreed
action, and the finished arena yields a PDF report.

The room needs WebSockets: ``tests.asgi_server`` serves the project's ASGI application
with uvicorn in a thread, over a file copy of the test database.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import MagicLinkPurpose
from accounts.services import magic_link_issue
from arena import room_labels, services
from arena.models import ArenaOutcome, ArenaStatus
from conftest import PASSWORD
from live.models import Room
from tests import asgi_server as serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
file_database = serving.file_database  # the shared fixtures, found here by their names
asgi_server = serving.asgi_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
HOUR_MS = 3_600_000


@pytest.fixture
def room(world):
    """The planned arena of ``world`` with two customers and a magic link for the first."""
    anja, piet = world.survey.contacts[0], world.survey.contacts[1]
    for contact in (anja, piet):
        services.arena_customer_add(arena=world.arena, contact=contact, actor=world.planner)
    token = magic_link_issue(contact=anja, purpose=MagicLinkPurpose.ARENA).token
    with translation.override("nl"):
        labels = room_labels.labels()
    return world, anja, piet, token, labels


# Wait for a promise of the page's client, at most ten seconds (evaluate itself waits forever).
AWAIT = """(expression) => Promise.race([
  (0, eval)(expression),
  new Promise((resolve) => setTimeout(() => resolve({ok: null, code: "no answer in 10 s"}), 10000)),
])"""


def open_page(browser, errors, name, **options):
    context = browser.new_context(locale="en-US", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)

    def console(message):
        # A failed handshake while the phone is offline is logged by the browser itself.
        if message.type == "error" and "WebSocket connection" not in message.text \
                and "ERR_INTERNET_DISCONNECTED" not in message.text:
            errors.append(f"{name}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def log_in(page, server, email):
    page.goto(server + reverse("accounts:login"))
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/o/acme/**")


def wait_live(page, phase):
    expect(page.locator(f"#live-room[data-state=live][data-phase={phase}]")).to_be_attached()


def statement(page, text):
    return page.locator("[data-testid=wall] [data-testid=statement]", has_text=text)


def assert_fits_phone(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def test_moderator_customer_and_employee_run_an_arena_to_the_report(room, asgi_server, browser):
    world, anja, piet, token, L = room
    arena, moderator, employee = world.arena, world.moderator, world.employee
    server = asgi_server
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    kwargs = {"org": world.org.slug, "pk": arena.pk}

    # Everyone comes in: the moderator to the console, the employee to the phone view,
    # the customer through the link in the invitation, on a phone whose clock is an hour behind.
    console = open_page(browser, errors, "moderator", viewport=LAPTOP)
    log_in(console, server, moderator.email)
    console.goto(server + reverse("arena:console", kwargs=kwargs))
    worker = open_page(browser, errors, "employee", viewport=PHONE)
    log_in(worker, server, employee.email)
    worker.goto(server + reverse("arena:phone", kwargs=kwargs))
    phone = open_page(browser, errors, "customer", viewport=PHONE, is_mobile=True, has_touch=True)
    phone.context.add_init_script(
        f"(() => {{ const real = Date.now.bind(Date); Date.now = () => real() - {HOUR_MS}; }})();")
    phone.goto(server + reverse("accounts:magic_link", kwargs={"token": token}))
    phone.goto(server + reverse("arena_customer:room", kwargs={"pk": arena.pk}))
    for page in (console, worker, phone):
        wait_live(page, "welcome")
        assert page.locator("html").get_attribute("lang") == "nl"
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.welcome"])
    expect(console.get_by_test_id("presence-inner").locator(".ring-count")).to_have_text("1")
    expect(console.get_by_test_id("presence-outer").locator(".ring-count")).to_have_text("1")
    expect(phone.get_by_test_id("role-banner")).to_have_text(L["role.customer"])

    # Welcome: the employee prepares a question only they can see.
    worker.locator("[data-testid=prepare-form] textarea").fill("Wat verwacht u van de monteur?")
    worker.locator("[data-testid=prepare-form] button").click()
    expect(worker.get_by_test_id("prepared-question")).to_contain_text(L["only_you_until_round_2"])
    assert console.evaluate("Object.keys(LiveRoom.state().questions).length") == 0

    # Round 1: only the customers speak.
    console.get_by_test_id("phase-next").click()
    for page in (console, worker, phone):
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.round_1"])
    console.get_by_test_id("timer-start").click()
    # 45 minutes by the server's clock, though the phone's own clock is an hour behind.
    expect(phone.get_by_test_id("timer")).to_have_text(re.compile(r"^4[45]:\d\d$"))
    assert abs(phone.evaluate("LiveRoom.offset()") - HOUR_MS) < 5_000

    phone.locator("[data-testid=statement-form] textarea").fill("De monteur kwam twee keer niet opdagen")
    phone.locator("[data-testid=statement-form] select[name=kind]").select_option("complaint")
    phone.locator("[data-testid=statement-form] label.seg-negative").click()
    phone.get_by_test_id("statement-submit").click()
    for page in (console, worker, phone):
        expect(statement(page, "De monteur kwam twee keer niet opdagen")).to_be_visible()
    expect(statement(console, "De monteur kwam")).to_contain_text(anja.name)

    # The moderator captures what Piet says: Enter adds it, who and what kind stay chosen.
    capture = console.get_by_test_id("statement-form")
    capture.locator("select[name=customer]").select_option(str(piet.pk))
    capture.locator("select[name=kind]").select_option("wish")
    capture.locator("textarea").fill("Ik wil 's avonds kunnen bellen")
    capture.locator("textarea").press("Enter")
    expect(statement(console, "Ik wil 's avonds kunnen bellen")).to_contain_text(piet.name)
    expect(capture.locator("textarea")).to_have_value("")
    expect(capture.locator("select[name=customer]")).to_have_value(str(piet.pk))
    expect(capture.locator("select[name=kind]")).to_have_value("wish")
    capture.locator("textarea").fill("Niemand belt terug na een storing")
    capture.locator("textarea").press("Enter")
    expect(statement(worker, "Niemand belt terug")).to_be_visible()

    # The employee has no way to speak in round 1; trying anyway through the page's own
    # client is refused, politely, and nobody else sees anything.
    expect(worker.get_by_test_id("statement-form")).to_be_hidden()
    expect(worker.get_by_test_id("round-1-rule")).to_be_visible()
    refused = worker.evaluate(
        AWAIT, "LiveRoom.send('statement_add', {text: 'Dat klopt niet, wij bellen altijd!'})")
    assert refused["ok"] is False and refused["code"] == "not_allowed"
    expect(worker.get_by_test_id("toast-text")).to_have_text(L["refused.round_1"])
    assert worker.get_by_test_id("toast").get_attribute("role") == "status"
    worker.screenshot(path=str(ARTIFACTS / "arena_employee_refused_phone.png"))

    # The customer's phone loses the network; what it sends meanwhile waits, and what
    # it missed arrives when it is back.
    phone.context.set_offline(True)
    phone.evaluate("LiveRoom.drop()")
    capture.locator("textarea").fill("Het contact met de binnendienst is prettig")
    capture.locator("textarea").press("Enter")
    phone.evaluate("() => { window.sentOffline = LiveRoom.send('statement_add', "
                   "{text: 'Ik kreeg nooit een bevestiging', sentiment: 'negative'}); }")
    expect(phone.get_by_test_id("connection")).to_contain_text(L["pending"] % {"count": 1})
    phone.context.set_offline(False)
    assert phone.evaluate(AWAIT, "window.sentOffline")["ok"] is True
    expect(statement(phone, "Het contact met de binnendienst is prettig")).to_be_visible()
    expect(statement(console, "Ik kreeg nooit een bevestiging")).to_be_visible()
    assert_fits_phone(phone)

    # Round 2: the employees ask; the prepared question is revealed.
    console.get_by_test_id("phase-next").click()
    for page in (console, worker, phone):
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.round_2"])
    for page in (console, phone):  # anything posted in round 1 would be here by now
        expect(statement(page, "Dat klopt niet")).to_have_count(0)
    texts = [s["text"] for s in Room.objects.get(pk=arena.room_id).state["statements"].values()]
    assert len(texts) == 5 and not any("Dat klopt niet" in text for text in texts)
    queue = console.get_by_test_id("question-queue")
    expect(queue).to_contain_text("Wat verwacht u van de monteur?")
    worker.locator("[data-testid=ask-form] textarea").fill("Hoe laat belt u het liefst?")
    worker.locator("[data-testid=ask-form] button").click()
    asked = queue.locator("[data-testid=question]", has_text="Hoe laat belt u het liefst?")
    asked.get_by_test_id("pick").click()
    expect(phone.get_by_test_id("current-question")).to_contain_text("Hoe laat belt u het liefst?")
    phone.locator("[data-testid=statement-form] textarea").fill("Na zessen, als ik thuis ben")
    phone.get_by_test_id("statement-submit").click()
    expect(statement(console, "Na zessen")).to_contain_text(
        L["answer_to"] % {"question": "Hoe laat belt u het liefst?"})

    # Grouping: tick two statements and group them, then drag the answer onto the group.
    for text in ("De monteur kwam", "Niemand belt terug"):
        statement(console, text).locator("input[type=checkbox]").check()
    console.locator("[data-testid=group-form] input[name=title]").fill("Bereikbaarheid")
    console.get_by_test_id("group-submit").click()
    group = console.locator("[data-testid=groups] [data-testid=group]", has_text="Bereikbaarheid")
    expect(group).to_contain_text("2 " + L["statements_count"])
    statement(console, "Na zessen, als ik thuis ben").drag_to(group)
    expect(group).to_contain_text("3 " + L["statements_count"])
    group.locator("select").select_option(str(employee.pk))
    expect(group.locator("select")).to_have_value(str(employee.pk))

    # Dot votes: the customer gives two and takes one back; the employee gives one.
    votes = phone.get_by_test_id("votes")
    expect(votes.get_by_test_id("votes-left")).to_have_text(L["votes_left"] % {"left": 3, "total": 3})
    row = votes.locator("[data-testid=vote-group]", has_text="Bereikbaarheid")
    row.get_by_test_id("cast").click()
    expect(votes.get_by_test_id("votes-left")).to_have_text(L["votes_left"] % {"left": 2, "total": 3})
    row.get_by_test_id("cast").click()
    expect(votes.get_by_test_id("votes-left")).to_have_text(L["votes_left"] % {"left": 1, "total": 3})
    row.get_by_test_id("retract").click()
    expect(row.get_by_test_id("my-votes")).to_have_text(L["your_votes"] % {"count": 1})
    worker.get_by_test_id("votes").locator("[data-testid=vote-group]", has_text="Bereikbaarheid") \
        .get_by_test_id("cast").click()
    expect(group.get_by_test_id("group-votes")).to_have_text("2 " + L["votes"])
    assert_fits_phone(phone)
    phone.screenshot(path=str(ARTIFACTS / "arena_customer_round_2_phone.png"), full_page=True)

    # Round 3: the employees evaluate and commit; the moderator confirms an action.
    console.get_by_test_id("phase-next").click()
    for page in (console, worker, phone):
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.round_3"])
    worker.locator("[data-testid=evaluation-form] textarea").fill("Eerlijke verhalen gehoord")
    worker.locator("[data-testid=evaluation-form] button").click()
    worker.locator("[data-testid=commitment-form] textarea").fill("Ik bel mijn klanten voortaan terug")
    worker.locator("[data-testid=commitment-form] button").click()
    expect(console.get_by_test_id("evaluations")).to_contain_text("Eerlijke verhalen gehoord")
    expect(console.get_by_test_id("commitments")).to_contain_text("Ik bel mijn klanten voortaan terug")
    action = console.get_by_test_id("action-form")
    action.locator("input[name=title]").fill("Terugbelservice na zessen")
    action.locator("select[name=owner]").select_option(str(employee.pk))
    action.locator("input[name=due]").fill("2031-03-01")
    action.locator("select[name=group]").select_option(label="Bereikbaarheid")
    action.get_by_test_id("action-submit").click()
    expect(console.get_by_test_id("actions")).to_contain_text("Terugbelservice na zessen")
    console.screenshot(path=str(ARTIFACTS / "arena_console_round_3.png"), full_page=True)

    # Finishing closes the room for everyone and fills the improvement spine.
    console.get_by_test_id("finish-form").locator("button").click()
    console.wait_for_url("**" + reverse("arena:detail", kwargs=kwargs))
    expect(phone.get_by_test_id("banner")).to_have_text(L["closed"])
    expect(phone.get_by_test_id("statement-form")).to_be_hidden()
    arena.refresh_from_db()
    assert arena.status == ArenaStatus.FINISHED
    kinds = sorted(ArenaOutcome.objects.filter(arena=arena).values_list("kind", flat=True))
    assert kinds == [ArenaOutcome.Kind.ACTION, ArenaOutcome.Kind.POINT]

    # The report is a PDF.
    report = console.context.request.get(server + reverse("arena:report", kwargs=kwargs))
    assert report.status == 200
    assert report.headers["content-type"] == "application/pdf"
    assert report.body()[:5] == b"%PDF-"
    assert errors == [], errors

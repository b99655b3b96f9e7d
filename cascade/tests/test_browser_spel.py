"""A live 1-2-3 session in four browsers: the consultant's console and big screen, two phones.

The consultant (Carla) leads a strategic session; Eva and Erik take part on their phones.
They guess the NPS, the share of promoters, what matters most and the biggest
complaint; neither sees the other's guess, and Eva changes hers. The reveal comes from
the server: the big screen shows the customer's answer next to the room's guesses, with
Eva (who guessed close) as the winner. A quote card, two proposals with dots, a
commitment and an agreed action follow, and every screen shows the same room.
"""

import math
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from cascade import selectors_spel
from cascade.tests.spel_world import build_spel_world
from cascade.views_spel import spel_labels
from conftest import PASSWORD, browser_totp_user, browser_type_code
from live.models import Room
from tests import asgi_server as serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
file_database = serving.file_database  # the shared fixtures, found here by their names
asgi_server = serving.asgi_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
MINUS = "\u2212"


@pytest.fixture
def spel(org, make_member):
    world = build_spel_world(org, make_member)
    with translation.override("nl"):
        labels = spel_labels()
    return world, labels


def open_page(context, errors, name):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: errors.append(f"{name}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
    return page


def log_in(page, server, email):
    totp_user = browser_totp_user(email)  # the consultant logs in with a second factor
    page.goto(server + reverse("accounts:login"))
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    if totp_user:
        browser_type_code(page, totp_user)
    page.wait_for_url("**/o/acme/**")


def wait_live(page, phase):
    expect(page.locator(f"#spel-room[data-state=live][data-phase={phase}]")).to_be_attached()


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else f"{MINUS}{-n}" if n < 0 else "0"


def guess(page, nps, promoters, driver, theme):
    form = page.get_by_test_id("guess-form")
    for name, value in (("nps", nps), ("promoters", promoters)):
        # A slider is set the way a finger leaves it: a value and an input event.
        form.locator(f"input[name={name}]").evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
            str(value))
    form.locator("select[name=driver]").select_option(driver)
    form.locator("select[name=theme]").select_option(theme)
    page.get_by_test_id("guess-submit").click()


def assert_fits_phone(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def test_two_participants_and_the_facilitator_play_through_guess_reveal_choose_and_commit(
        spel, asgi_server, browser):
    w, L = spel
    server = asgi_server
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    kwargs = {"org": w.org.slug, "pk": w.session.pk}
    actual = selectors_spel.session_answers(w.session)
    choices = w.room.state["choices"]
    label = {kind: {c["key"]: c["label"] for c in choices[kind]} for kind in ("drivers", "themes")}
    eva_key, erik_key = f"m:{w.eva.pk}", f"m:{w.erik.pk}"

    # The consultant opens the console and the big screen; Eva and Erik their phones.
    laptop = browser.new_context(locale="nl-NL", viewport=LAPTOP)
    console = open_page(laptop, errors, "console")
    log_in(console, server, w.consultant.email)
    console.goto(server + reverse("cascade:spel_console", kwargs=kwargs))
    screen = open_page(laptop, errors, "screen")
    screen.goto(server + reverse("cascade:spel_screen", kwargs=kwargs))
    phones = {}
    for who in ("eva", "erik"):
        context = browser.new_context(locale="nl-NL", viewport=PHONE, is_mobile=True, has_touch=True)
        phones[who] = open_page(context, errors, who)
        log_in(phones[who], server, getattr(w, who).email)
        phones[who].goto(server + reverse("cascade:spel_phone", kwargs=kwargs))
    eva, erik = phones["eva"], phones["erik"]
    for page in (console, screen, eva, erik):
        wait_live(page, "guess")
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.guess"])
    expect(console.get_by_test_id("guessed-count")).to_have_text(L["guessed"] % {"count": 0, "total": 2})
    expect(eva.get_by_test_id("role-banner")).to_have_text(L["role.employee"])
    expect(eva.get_by_test_id("guess-nps-value")).to_have_text("0")

    # Guessing: Eva guesses close, Erik far off; neither sees the other's guess.
    guess(eva, actual["nps"] + 20, actual["promoters"] + 10, "bereikbaarheid", "prijs")
    expect(eva.get_by_test_id("my-guess")).to_have_text(L["your_guess_sent"])
    expect(eva.get_by_test_id("guess-nps-value")).to_have_text(signed(actual["nps"] + 20))
    expect(console.locator("[data-testid=guesser][data-done=true]")).to_have_text(
        [f"✓Eva Jansen{L['has_guessed']}"])
    guess(erik, 75, 90, "prijs-kwaliteit", "prijs")
    expect(console.get_by_test_id("guessed-count")).to_have_text(L["guessed"] % {"count": 2, "total": 2})
    for page, other in ((erik, eva_key), (eva, erik_key), (console, eva_key), (screen, erik_key)):
        sealed = page.evaluate(f"LiveRoom.state().guesses['{other}']")
        assert sealed["hidden"] and sealed["nps"] is None and sealed["driver"] is None
    # Eva thinks again: a guess can change until the reveal.
    guess(eva, actual["nps"] + 4, actual["promoters"] - 2, actual["driver"], actual["theme"])
    expect(eva.get_by_test_id("guess-nps-value")).to_have_text(signed(actual["nps"] + 4))
    expect(console.get_by_test_id("reveal")).to_be_visible()
    expect(screen.get_by_test_id("guessed-count")).to_have_text(L["guessed"] % {"count": 2, "total": 2})
    assert_fits_phone(eva)
    eva.screenshot(path=str(ARTIFACTS / "spel_phone_guess.png"), full_page=True)

    # The reveal: the server's answer beside the room's guesses, on every screen.
    console.get_by_test_id("reveal").click()
    for page in (console, screen, eva, erik):
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.reveal"])
    average = math.floor(((actual["nps"] + 4) + 75) / 2 + 0.5)  # as JavaScript's Math.round
    expect(screen.get_by_test_id("headline")).to_have_text(
        L["headline"] % {"guess": signed(average), "actual": signed(actual["nps"])})
    expect(screen.get_by_test_id("actual-nps")).to_have_text(signed(actual["nps"]))
    expect(screen.get_by_test_id("actual-promoters")).to_have_text(f"{actual['promoters']}%")
    expect(screen.get_by_test_id("actual-driver")).to_have_text(label["drivers"][actual["driver"]])
    expect(screen.get_by_test_id("actual-theme")).to_have_text(label["themes"][actual["theme"]])
    expect(screen.get_by_test_id("winner")).to_contain_text("Eva Jansen")
    expect(eva.get_by_test_id("your-score")).to_have_text(L["your_score"] % {"points": 96})
    expect(erik.get_by_test_id("winner")).to_contain_text("Eva Jansen")
    expect(console.get_by_test_id("reveal")).to_be_hidden()
    expect(console.get_by_test_id("score").first).to_contain_text("Eva Jansen")
    revealed = erik.evaluate(f"LiveRoom.state().guesses['{eva_key}']")
    assert revealed["nps"] == actual["nps"] + 4 and not revealed["hidden"]
    screen.screenshot(path=str(ARTIFACTS / "spel_screen_reveal.png"))
    eva.screenshot(path=str(ARTIFACTS / "spel_phone_reveal.png"), full_page=True)
    assert_fits_phone(eva)

    # The voice of the customer: the consultant shows a quote card.
    console.get_by_test_id("phase-next").click()
    for page in (screen, eva):
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.voice"])
    first_card = console.get_by_test_id("quote-card").first
    quote = first_card.locator("blockquote").text_content()
    console.get_by_test_id("quote-next").click()
    for page in (screen, eva, erik):
        expect(page.get_by_test_id("current-quote").locator("blockquote")).to_have_text(quote)
    expect(first_card).to_contain_text(L["shown"])
    screen.screenshot(path=str(ARTIFACTS / "spel_screen_quote.png"))

    # Choosing: both propose, the room gives its dots.
    console.get_by_test_id("phase-next").click()
    for page in (eva, erik):
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.choose"])
    eva.locator("[data-testid=proposal-form] input[name=title]").fill("Terugbellen binnen een dag")
    eva.get_by_test_id("proposal-submit").click()
    erik.locator("[data-testid=proposal-form] input[name=title]").fill("Wachttijd aan de telefoon halveren")
    erik.get_by_test_id("proposal-submit").click()
    for page, clicks in ((eva, ["Wachttijd", "Wachttijd", "Terugbellen"]), (erik, ["Wachttijd"])):
        for text in clicks:
            row = page.locator("[data-testid=vote-group]", has_text=text)
            before = page.get_by_test_id("votes-left").text_content()
            row.get_by_test_id("cast").click()
            expect(page.get_by_test_id("votes-left")).not_to_have_text(before)
    expect(eva.get_by_test_id("votes-left")).to_have_text(L["votes_left"] % {"left": 0, "total": 3})
    full = eva.locator("[data-testid=vote-group]", has_text="Wachttijd").get_by_test_id("cast")
    expect(full).to_be_disabled()
    top = console.get_by_test_id("proposal").first
    expect(top).to_contain_text("Wachttijd aan de telefoon halveren")
    expect(top).to_contain_text("3 " + L["votes"])
    expect(screen.locator("[data-testid=group-bar]").first).to_contain_text(
        "Wachttijd aan de telefoon halveren")
    assert_fits_phone(erik)
    erik.screenshot(path=str(ARTIFACTS / "spel_phone_choose.png"), full_page=True)

    # Committing: Eva commits herself; the consultant records the agreed action.
    console.get_by_test_id("phase-next").click()
    for page in (eva, screen):
        expect(page.get_by_test_id("phase-label")).to_have_text(L["phase.commit"])
    eva.locator("[data-testid=commitment-form] textarea").fill("Ik bel mijn detractors deze week terug")
    eva.get_by_test_id("commitment-submit").click()
    form = console.get_by_test_id("action-form")
    form.locator("input[name=title]").fill("Terugbelnorm van één werkdag invoeren")
    form.locator("select[name=owner]").select_option(str(w.erik.pk))
    form.locator("input[name=due]").fill("2031-03-01")
    form.locator("select[name=group]").select_option(label="Wachttijd aan de telefoon halveren")
    form.get_by_test_id("action-submit").click()
    for page in (screen, eva, erik, console):
        expect(page.get_by_test_id("actions")).to_contain_text("Terugbelnorm van één werkdag invoeren")
        expect(page.get_by_test_id("commitments")).to_contain_text("Ik bel mijn detractors deze week terug")
    expect(console.get_by_test_id("actions")).to_contain_text("Erik de Vries")
    console.screenshot(path=str(ARTIFACTS / "spel_console_commit.png"), full_page=True)

    state = Room.objects.get(pk=w.room.pk).state
    assert [g["title"] for g in state["groups"].values()] == ["Terugbellen binnen een dag",
                                                              "Wachttijd aan de telefoon halveren"]
    assert [a["owner"] for a in state["actions"].values()] == [w.erik.pk]
    assert state["reveal"]["winners"] == [eva_key]
    assert errors == [], errors

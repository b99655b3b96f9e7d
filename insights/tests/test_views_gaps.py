"""The insights capabilities, promotership on the unit page, the segment filter, "my
customers" and the comment suppression read (world: ``test_views.build_world``)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Role
from insights import selectors, view_selectors
from insights.tests.test_views import SECRET, _sheet, build_world, too_few, url
from org.services import customer_create
from research.models import Response
from research.services import Answers, response_record


def add_segments(world) -> None:
    """Give the latest wave's responses a segment: Noord 1 all MKB, Noord 2 mostly
    private customers with two MKB responses (too few on their own), half of Noord's
    own ten and the first twenty of Zuid 1 MKB."""
    units = world.units
    wave = world.waves[1]
    Response.objects.filter(wave=wave).update(attributes={"segment": "Particulier"})
    Response.objects.filter(wave=wave, unit=units["Noord 1"]).update(attributes={"segment": "MKB"})
    for unit, count in ((units["Noord 2"], 2), (units["Zuid 1"], 20), (units["Noord"], 5)):
        first = list(Response.objects.filter(wave=wave, unit=unit)
                     .order_by("pk").values_list("pk", flat=True)[:count])
        Response.objects.filter(pk__in=first).update(attributes={"segment": "MKB"})


@pytest.fixture
def world(org, make_member):
    world = build_world(org, make_member)
    add_segments(world)
    return world


def _nl(text: str) -> str:
    with translation.override("nl"):
        return gettext(text)


# Capabilities ------------------------------------------------------------------------------

def test_employee_sees_only_their_own_team_and_their_own_customers(world, login):
    client = login(world.members["employee"])
    assert client.get(url("team", pk=world.units["Noord 1"].pk)).status_code == 200
    assert client.get(url("team", pk=world.units["Noord 2"].pk)).status_code == 403
    assert client.get(url("my_customers")).status_code == 200
    assert client.get(url("strategic")).status_code == 403
    assert client.get(url("export"), {"table": "promotership"}).status_code == 403


def test_employee_without_a_team_cannot_open_a_team_page(world, login, make_member):
    loose = make_member(world.organisation, Role.EMPLOYEE)
    client = login(loose)
    assert client.get(url("team", pk=world.units["Noord 1"].pk)).status_code == 403
    assert client.get(url("home")).status_code == 403  # no team and no customers


def test_manager_opens_every_team_and_marks_quotes(world, login):
    client = login(world.members["manager"])
    assert client.get(url("team", pk=world.units["Zuid 1"].pk)).status_code == 200
    html = client.get(url("verbatims")).content.decode()
    assert 'data-testid="voice-toggle"' in html


def test_moderator_sees_no_insights_at_all(world, login, make_member):
    moderator = make_member(world.organisation, Role.MODERATOR, unit=world.units["Noord 1"])
    client = login(moderator)
    for page in (url("home"), url("team", pk=world.units["Noord 1"].pk), url("my_customers"),
                 url("strategic"), url("taxonomy")):
        assert client.get(page).status_code == 403, page
    nav = client.get(reverse("org:dashboard", kwargs={"org": "acme"})).content.decode()
    assert url("home") not in nav


def test_the_navigation_offers_insights_to_an_employee(world, login):
    client = login(world.members["employee"])
    html = client.get(reverse("org:dashboard", kwargs={"org": "acme"})).content.decode()
    assert url("home") in html


def test_only_editors_of_the_taxonomy_see_the_themes_link(world, login):
    admin = login(world.members["admin"]).get(url("strategic")).content.decode()
    assert url("taxonomy") in admin
    board = login(world.members["board"]).get(url("strategic")).content.decode()
    assert url("taxonomy") not in board


# Promotership ------------------------------------------------------------------------------

def test_unit_page_shows_what_distinguishes_promoters_from_detractors(world, login):
    client = login(world.members["manager"])
    response = client.get(url("unit", pk=world.units["Noord"].pk))
    rows = response.context["promotership"]
    expected = selectors.unit_promotership(world.waves[1], world.units["Noord"])
    assert rows and [r["contrast"] for r in rows] == expected
    # Scores follow the NPS in this world: promoters score every driver higher.
    assert all(r["contrast"].difference > 0 for r in rows)
    html = response.content.decode()
    table = html.split('data-testid="promotership-table"')[1].split("</table>")[0]
    assert table.count("<meter") == len(rows)
    first = rows[0]
    assert f'value="{first["bar"]}"' in table and "." in first["bar"]  # unlocalised
    assert first["label"] in table


def test_promotership_is_hidden_with_the_unit(world, login):
    world.organisation.anonymity_threshold = 500
    world.organisation.save()
    response = login(world.members["manager"]).get(url("unit", pk=world.units["Noord"].pk))
    assert response.context["promotership"] == []
    html = response.content.decode()
    section = html.split('data-testid="promotership"')[1].split("</section>")[0]
    assert "<meter" not in section and "too-few" in section


def test_promotership_export_opens(world, login):
    rows = _sheet(login(world.members["board"]).get(
        url("export"), {"table": "promotership", "unit": world.units["Noord"].pk}))
    assert len(rows) >= 2 and isinstance(rows[1][6], float)


# The segment filter --------------------------------------------------------------------------

def test_the_filter_offers_the_waves_segments(world, login):
    response = login(world.members["board"]).get(url("strategic"))
    choices = [value for value, _label in response.context["segment_form"].fields["segment"].choices]
    assert choices == ["", "MKB", "Particulier"]
    assert 'data-testid="segment-filter"' in response.content.decode()
    assert 'data-testid="filter-notice"' not in response.content.decode()
    # The earlier wave has no segments: no filter to offer.
    earlier = login(world.members["board"]).get(url("strategic") + f"?wave={world.waves[0].pk}")
    assert 'data-testid="segment-filter"' not in earlier.content.decode()


def test_strategic_page_filtered_by_segment_says_so_and_shows_filtered_figures(world, login):
    client = login(world.members["board"])
    wave = world.waves[1]
    response = client.get(url("strategic"), {"wave": wave.pk, "segment": "MKB"})
    assert response.status_code == 200
    assert response.context["segment"] == "MKB"
    expected = {i.unit_id: i for i in selectors.filtered_unit_insights(wave, segment="MKB")}
    top = response.context["insight"]
    assert top == expected[world.root.pk]
    assert top.n == Response.objects.filter(wave=wave, attributes__segment="MKB").count()
    for row in response.context["children"]:
        assert row.insight == expected[row.insight.unit_id]
        if not row.insight.suppressed:
            assert "segment=MKB" in row.href  # drilling down keeps the filter
    html = response.content.decode()
    assert 'data-testid="filter-notice"' in html and "MKB" in html
    assert f'href="{url("strategic")}?wave={wave.pk}"' in html  # the way back to everyone


def test_unit_page_filter_hides_a_segment_too_small_in_a_team(world, login):
    client = login(world.members["manager"])
    response = client.get(url("unit", pk=world.units["Noord"].pk), {"segment": "MKB"})
    children = {r.insight.name: r.insight for r in response.context["children"]}
    assert children["Noord 2"].suppressed  # two MKB responses
    assert not children["Noord 1"].suppressed and children["Noord 1"].n == 40
    assert response.context["organisation_insight"].n == \
        Response.objects.filter(wave=world.waves[1], attributes__segment="MKB").count()
    unfiltered = client.get(url("unit", pk=world.units["Noord"].pk))
    assert not {r.insight.name: r.insight for r in unfiltered.context["children"]}[
        "Noord 2"].suppressed


def test_an_unknown_segment_shows_everyone_and_says_why(world, login):
    response = login(world.members["board"]).get(url("strategic"), {"segment": "Geheim"})
    assert response.status_code == 200
    assert response.context["segment"] is None
    assert response.context["insight"] == next(
        i for i in selectors.unit_insights(world.waves[1]) if i.unit_id == world.root.pk)
    assert 'data-testid="filter-notice"' not in response.content.decode()


def test_unit_export_follows_the_filter(world, login):
    client = login(world.members["board"])
    page = client.get(url("unit", pk=world.units["Noord"].pk), {"segment": "MKB"})
    export_url = page.context["export_units"]
    assert "segment=MKB" in export_url
    rows = _sheet(client.get(export_url))
    assert rows[0][-1] == _nl("Filter")
    by_name = {row[0].rsplit(" / ", 1)[-1]: row for row in rows[1:]}
    assert by_name["Noord 1"][3] == 40
    assert all(value is None for value in by_name["Noord 2"][3:12])  # hidden in the segment
    assert by_name["Noord 1"][-1] == _nl("Segment: %(segment)s") % {"segment": "MKB"}
    unfiltered = _sheet(client.get(url("export"), {"table": "units",
                                                   "unit": world.units["Noord"].pk}))
    assert {row[0].rsplit(" / ", 1)[-1]: row for row in unfiltered[1:]}["Noord 2"][3] == 40


# My customers ------------------------------------------------------------------------------

def test_account_owner_sees_their_customers_on_their_team_page_detractors_first(world, login):
    response = login(world.members["employee"]).get(url("team", pk=world.units["Noord 1"].pk))
    mine = response.context["my_customers"]
    assert mine
    assert all(c.account_owner_id == world.members["employee"].pk for c in mine)
    order = {"detractor": 0, "passive": 1, "promoter": 2}
    ranks = [order[c.nps_group] for c in mine]
    assert ranks == sorted(ranks)
    html = response.content.decode()
    assert 'data-testid="my-customers"' in html and 'data-testid="my-customer"' in html
    # Twelve accounts: the first ten here, the rest one click away.
    assert len(mine) == 10 and response.context["more_of_my_customers"]
    assert html.count('data-testid="my-customer"') == 10 and url("my_customers") in html


def test_my_customers_are_shown_even_when_the_team_is_too_small(world, login, make_member):
    units = world.units
    owner = make_member(world.organisation, Role.EMPLOYEE, unit=units["Noord klein"])
    colleague = make_member(world.organisation, Role.EMPLOYEE, unit=units["Noord klein"])
    mine = customer_create(organisation=world.organisation, name="Eigen Klant BV",
                           customer_number="E1", unit=units["Noord klein"], account_owner=owner)
    theirs = customer_create(organisation=world.organisation, name="Andermans Klant BV",
                             customer_number="A1", unit=units["Noord klein"],
                             account_owner=colleague)
    wave = world.waves[1]
    for customer, comment in ((mine, "Mijn eigen klant is boos"), (theirs, "Niet van jou")):
        response_record(wave=wave, answers=Answers(nps=3, comment=comment),
                        unit=units["Noord klein"], customer=customer)
    from insights.services import responses_changed

    responses_changed(wave=wave)
    response = login(owner).get(url("team", pk=units["Noord klein"].pk))
    html = response.content.decode()
    assert response.context["insight"].suppressed and too_few() in html
    assert [c.name for c in response.context["my_customers"]] == ["Eigen Klant BV"]
    assert "Mijn eigen klant is boos" in html
    assert "Andermans Klant BV" not in html and "Niet van jou" not in html
    assert SECRET not in html  # the team's other comments stay hidden


def test_my_customers_page_and_export(world, login):
    client = login(world.members["employee"])
    response = client.get(url("my_customers"))
    assert response.status_code == 200
    customers = list(response.context["page"].object_list)
    assert customers and {c.account_owner_id for c in customers} == {world.members["employee"].pk}
    rows = _sheet(client.get(url("export"), {"table": "my_customers"}))
    assert len(rows) == 1 + len({c.pk for c in customers})
    # Another member owns none: an empty list, not someone else's customers.
    other = login(world.members["other_employee"]).get(url("my_customers"))
    assert list(other.context["page"].object_list) == []


def test_an_account_owner_without_a_team_lands_on_their_customers(world, login, make_member):
    loose = make_member(world.organisation, Role.EMPLOYEE)
    customer = world.customers[0]
    customer.account_owner = loose
    customer.save()
    response = login(loose).get(url("home"))
    assert response.status_code == 302 and response.url == url("my_customers")


def test_my_customers_link_for_a_manager_who_owns_accounts(world, login):
    customer = world.customers[0]
    customer.account_owner = world.members["manager"]
    customer.save()
    html = login(world.members["manager"]).get(url("unit", pk=world.units["Noord"].pk)).content
    assert url("my_customers") in html.decode()


# The comments' suppression --------------------------------------------------------------------

@pytest.mark.parametrize("wave_index", [0, 1])
def test_wave_suppression_matches_the_figures(world, wave_index):
    wave = world.waves[wave_index]
    suppression = view_selectors.wave_suppression(wave)
    figures = {i.unit_id for i in selectors.unit_insights(wave) if i.suppressed}
    assert suppression.hidden == figures
    assert world.units["Noord klein"].pk in suppression.hidden_own


def test_wave_suppression_counts_responses_without_a_unit_on_the_top_unit(org, make_member):
    world = build_world(org, make_member, per_team=6)
    wave = world.waves[1]
    for _ in range(3):
        response_record(wave=wave, answers=Answers(nps=8))
    from insights.services import responses_changed

    responses_changed(wave=wave)
    suppression = view_selectors.wave_suppression(wave)
    assert suppression.hidden == {i.unit_id for i in selectors.unit_insights(wave)
                                  if i.suppressed}
    assert world.root.pk in suppression.hidden_own  # three responses on the top's own block

"""The insights pages: one dashboard per level, the verbatim browser, the taxonomy
editor and the XLSX export of every table.

Views parse the request, check access and assemble what ``insights.selectors`` (the
statistics) and ``insights.view_selectors`` (waves, verbatims, access) return; charts
come from ``insights.charts`` as SVG strings, the same ones reports use.

Access: the strategic and unit pages, the verbatims and the exports of their tables
need ``view_insights`` (every unit); the team page needs ``view_insights``, or
``view_team_insights`` for the member's own team; "my customers" (the member's own
accounts) needs ``view_team_insights``; the voice toggle ``mark_voice``; the taxonomy
editor ``edit_taxonomy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import Role
from accounts.permissions import Capability, role_can
from accounts.ratelimit import rate_limited
from accounts.tenancy import OrgRequiredMixin
from audit.models import AuditAction
from audit.services import audit_record
from insights import charts, jobs, selectors, services, view_selectors
from insights.exports import XLSX_CONTENT_TYPE, Table, workbook_bytes
from insights.forms import (
    SegmentFilterForm,
    SuggestionAddForm,
    ThemeFormSet,
    VerbatimFilterForm,
    theme_initial,
)
from insights.text import default_taxonomy
from insights.text.sentiment import sentiment_label
from org.selectors import access_unit_by_id

STRATEGIC_ROLES = {Role.ADMIN, Role.CONSULTANT, Role.BOARD}
TOP_DRIVERS = 3
TOP_THEMES = 8
TEAM_PAGE_SIZE = 25
MY_CUSTOMERS_PREVIEW = 10
SUGGESTION_COMMENTS = 20_000

QUADRANT_NAMES = {
    "strength": gettext_lazy("Strengths"),
    "improvement": gettext_lazy("Improvement points"),
    "maintain": gettext_lazy("Maintain"),
    "monitor": gettext_lazy("Monitor"),
}
#: Cohen's conventional bounds for a small, medium and large effect.
EFFECT_SIZES = ((0.8, gettext_lazy("large")), (0.5, gettext_lazy("medium")),
                (0.2, gettext_lazy("small")))
GROUP_NAMES = {
    "detractor": gettext_lazy("Detractors"),
    "passive": gettext_lazy("Passives"),
    "promoter": gettext_lazy("Promoters"),
}


def _is_partial(request) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.history_restore_request


def _decimal_mark() -> str:
    return "," if (get_language() or "nl").startswith("nl") else "."


def _too_few() -> str:
    return _("Too few responses to show")


def theme_names(organisation) -> dict[str, str]:
    """Return the display name of every theme of the organisation's taxonomy."""
    english = (get_language() or "nl").startswith("en")
    names = {}
    for theme in services.taxonomy_document(organisation).get("themes", []):
        key = theme.get("key")
        names[key] = (theme.get("name_en") if english and theme.get("name_en")
                      else theme.get("name") or key)
    return names


@dataclass(frozen=True)
class UnitRow:
    """A unit's figures for a table or chart, with where to drill down."""

    insight: selectors.UnitInsight
    href: str
    is_team: bool


class InsightsView(OrgRequiredMixin, View):
    """Shared parts: the chosen wave, links that keep it, unit links and charts."""

    capability = Capability.VIEW_INSIGHTS
    segment: str | None = None

    def setup_wave(self):
        self.wave, self.waves = view_selectors.chosen_wave(
            self.organisation, self.request.GET.get("wave"))
        return self.wave

    def setup_segment(self) -> str | None:
        """Read the segment filter (``?segment=``) against the wave's segment values."""
        segments = view_selectors.segment_values(self.wave)
        data = self.request.GET if self.request.GET.get("segment") else None
        self.segment_form = SegmentFilterForm(data, segments=segments)
        self.segment = self.segment_form.chosen()
        return self.segment

    def segment_context(self, here: str) -> dict:
        """Return what the filter form and the "filtered" notice need; ``here`` is the
        page's URL without the filter."""
        return {"segment_form": self.segment_form, "segment": self.segment,
                "has_segments": len(self.segment_form.fields["segment"].choices) > 1,
                "unfiltered_url": here}

    def unit_insights(self, root=None) -> list[selectors.UnitInsight]:
        """Return the NPS of every unit (of ``root``'s subtree), within the segment filter
        when one is chosen (a live GROUP BY with its own suppression)."""
        if self.segment:
            return selectors.filtered_unit_insights(self.wave, root, segment=self.segment)
        return selectors.unit_insights(self.wave, root=root)

    def url(self, name: str, pk: int | None = None, **query) -> str:
        kwargs = {"org": self.organisation.slug}
        if pk is not None:
            kwargs["pk"] = pk
        wave = getattr(self, "wave", None)
        if wave is not None and "wave" not in query:
            query["wave"] = wave.pk
        query = {k: v for k, v in query.items() if v not in (None, "")}
        return reverse(f"insights:{name}", kwargs=kwargs) + (f"?{urlencode(query)}" if query else "")

    def unit_href(self, insight: selectors.UnitInsight, is_team: bool) -> str:
        # The filter drills down to units; team pages list customers, not a segment.
        if is_team:
            return self.url("team", insight.unit_id)
        return self.url("unit", insight.unit_id, segment=self.segment)

    def unit_rows(self, insights: list[selectors.UnitInsight],
                  parent_ids: set[int]) -> list[UnitRow]:
        return [UnitRow(insight=i, is_team=i.unit_id not in parent_ids,
                        href=self.unit_href(i, i.unit_id not in parent_ids)) for i in insights]

    def base_context(self, **extra) -> dict:
        context = {"wave": self.wave, "waves": self.waves, "too_few": _too_few(),
                   "owns_customers": view_selectors.owns_customers(self.membership),
                   "my_customers_url": self.url("my_customers")}
        context.update(extra)
        return context

    # Charts ------------------------------------------------------------------------------

    def nps_rows(self, rows: list[UnitRow]) -> list[charts.NpsRow]:
        return [charts.NpsRow(
            label=r.insight.name, nps=r.insight.nps, ci_low=r.insight.ci_low,
            ci_high=r.insight.ci_high, n=r.insight.n or 0, promoters=r.insight.promoters or 0,
            passives=r.insight.passives or 0, detractors=r.insight.detractors or 0,
            hidden=r.insight.suppressed, href=r.href) for r in rows]

    def nps_chart(self, rows: list[UnitRow], title: str) -> charts.Svg:
        return charts.nps_interval_chart(
            self.nps_rows(rows), title=title, hidden_text=_too_few(),
            value_text=_("NPS {nps} (n = {n})"), decimal_mark=_decimal_mark())

    def mix_chart(self, rows: list[UnitRow], title: str) -> charts.Svg:
        return charts.nps_mix_chart(
            self.nps_rows(rows), title=title, hidden_text=_too_few(),
            labels=(_("Promoters"), _("Passives"), _("Detractors")))

    def trend_chart(self, unit, title: str) -> charts.Svg:
        points = []
        for wave in view_selectors.waves_up_to(self.waves, self.wave):
            insight = selectors.unit_insight(wave, unit)
            points.append(charts.TrendPoint(label=wave.name, nps=insight.nps,
                                            ci_low=insight.ci_low, ci_high=insight.ci_high))
        return charts.nps_trend_chart(points, title=title, empty_text=_too_few(),
                                      decimal_mark=_decimal_mark())

    def driver_chart(self, analysis, title: str) -> charts.Svg:
        drivers = []
        if analysis is not None:
            drivers = [charts.DriverPoint(label=d.name, importance=d.share,
                                          performance=d.mean, quadrant=d.quadrant)
                       for d in analysis.drivers if d.mean is not None]
        return charts.driver_quadrant_chart(
            drivers, title=title, quadrant_names={k: str(v) for k, v in QUADRANT_NAMES.items()},
            importance_label=_("Importance"), performance_label=_("Performance (mean score)"),
            empty_text=_("Too few complete responses for a driver analysis"),
            decimal_mark=_decimal_mark())

    def theme_chart(self, themes, title: str, unit=None) -> charts.Svg:
        names = theme_names(self.organisation)
        bars = [charts.ThemeBar(label=names.get(t.key, t.name), count=t.count,
                                sentiment=t.sentiment,
                                href=self.url("verbatims", theme=t.key,
                                              unit=unit.pk if unit is not None else None))
                for t in themes[:TOP_THEMES]]
        return charts.theme_bar_chart(
            bars, title=title, legend=(_("Positive"), _("Neutral"), _("Negative")),
            value_text="{count} · {sentiment}",
            caption=_("Number of comments · mean sentiment (−1 to +1)"),
            empty_text=_("No themes with enough comments"), decimal_mark=_decimal_mark())

    def theme_rows(self, themes) -> list[dict]:
        names = theme_names(self.organisation)
        return [{"theme": t, "name": names.get(t.key, t.name),
                 "label": sentiment_label(t.sentiment)} for t in themes]


def _parent_ids(insights: list[selectors.UnitInsight]) -> set[int]:
    return {i.parent_id for i in insights if i.parent_id is not None}


# Landing -----------------------------------------------------------------------------------

class HomeView(OrgRequiredMixin, View):
    """Send each role to its level: board and advisers to the strategic page, a manager
    to their unit, an employee to their team; an account owner without a team to their
    own customers."""

    capability = Capability.VIEW_TEAM_INSIGHTS

    def get(self, request, org):
        membership = self.membership
        query = {"wave": request.GET["wave"]} if request.GET.get("wave") else {}
        suffix = f"?{urlencode(query)}" if query else ""
        unit = membership.unit
        if membership.role in STRATEGIC_ROLES or (
                membership.role == Role.MANAGER and (unit is None or unit.depth == 1)):
            return redirect(reverse("insights:strategic", kwargs={"org": org}) + suffix)
        if self.can(Capability.VIEW_INSIGHTS) and unit is not None:
            name = "team" if unit.is_leaf() else "unit"
            return redirect(reverse(f"insights:{name}", kwargs={"org": org, "pk": unit.pk})
                            + suffix)
        if unit is not None:
            return redirect(reverse("insights:team", kwargs={"org": org, "pk": unit.pk}) + suffix)
        if view_selectors.owns_customers(membership):
            return redirect(reverse("insights:my_customers", kwargs={"org": org}) + suffix)
        raise PermissionDenied


# Strategic ---------------------------------------------------------------------------------

class StrategicView(InsightsView):
    def get(self, request, org):
        if self.setup_wave() is None:
            return render(request, "insights/no_waves.html", {})
        self.setup_segment()
        root = view_selectors.top_unit(self.organisation)
        insights = self.unit_insights()
        parents = _parent_ids(insights)
        top = next(i for i in insights if i.unit_id == root.pk)
        children = self.unit_rows([i for i in insights if i.parent_id == root.pk], parents)
        analysis = selectors.unit_drivers(self.wave, root)
        themes = selectors.unit_themes(self.wave, root)
        context = self.base_context(
            unit=root, insight=top, children=children,
            nps_chart=self.nps_chart(children, _("NPS per business unit or region, with 95% interval")),
            mix_chart=self.mix_chart(children, _("Promoters, passives and detractors")),
            trend_chart=self.trend_chart(root, _("NPS of the organisation per wave")),
            analysis=analysis, driver_rows=_driver_rows(analysis, {}),
            strengths=_top(analysis, "strength"), improvements=_top(analysis, "improvement"),
            driver_chart=self.driver_chart(analysis, _("Drivers: importance and performance")),
            themes=self.theme_rows(themes[:TOP_THEMES]),
            theme_chart=self.theme_chart(themes, _("What customers write about most"), None),
            verbatims_url=self.url("verbatims"),
            **self.segment_context(self.url("strategic")),
        )
        context.update(self.exports(root))
        return render(request, "insights/strategic.html", context)

    def exports(self, unit) -> dict:
        links = {f"export_{t}": self.url("export", table=t, unit=unit.pk)
                 for t in ("drivers", "themes", "promotership")}
        # The unit table follows the filter, like the figures on the page.
        links["export_units"] = self.url("export", table="units", unit=unit.pk,
                                         segment=self.segment)
        return links


def _driver_rows(analysis, organisation_drivers: dict) -> list[dict]:
    if analysis is None:
        return []
    return [{"driver": d, "quadrant": QUADRANT_NAMES.get(d.quadrant, d.quadrant),
             "organisation": organisation_drivers.get(d.key)}
            for d in sorted(analysis.drivers, key=lambda d: -d.importance)]


def _top(analysis, quadrant: str) -> list:
    if analysis is None:
        return []
    found = [d for d in analysis.drivers if d.quadrant == quadrant]
    return sorted(found, key=lambda d: -d.importance)[:TOP_DRIVERS]


def effect_label(effect_size: float | None) -> str:
    """Name the size of a promoter–detractor difference (Cohen's d)."""
    if effect_size is None:
        return ""
    for bound, label in EFFECT_SIZES:
        if abs(effect_size) >= bound:
            return str(label)
    return _("negligible")


def _promotership_rows(contrasts) -> list[dict]:
    # The bar is |d| on a scale to 2 (beyond any effect drivers usually show); its value
    # is written unlocalised because <meter value> takes a dot.
    return [{"contrast": c, "label": effect_label(c.effect_size),
             "bar": f"{min(abs(c.effect_size), 2.0):.3f}" if c.effect_size is not None else None}
            for c in contrasts]


# Tactical ----------------------------------------------------------------------------------

class UnitView(StrategicView):
    def get(self, request, org, pk):
        unit = access_unit_by_id(self.organisation, pk)
        if self.setup_wave() is None:
            return render(request, "insights/no_waves.html", {})
        self.setup_segment()
        if unit.depth == 1:
            return redirect(self.url("strategic", segment=self.segment))
        if unit.is_leaf():
            return redirect(self.url("team", unit.pk))
        root = view_selectors.top_unit(self.organisation)
        insights = self.unit_insights()
        parents = _parent_ids(insights)
        by_id = {i.unit_id: i for i in insights}
        insight = by_id[unit.pk]
        children = self.unit_rows([i for i in insights if i.parent_id == unit.pk], parents)
        analysis = selectors.unit_drivers(self.wave, unit)
        org_analysis = selectors.unit_drivers(self.wave, root)
        themes = selectors.unit_themes(self.wave, unit)
        org_themes = {t.key: t for t in selectors.unit_themes(self.wave, root)}
        org_drivers = {d.key: d for d in org_analysis.drivers} if org_analysis else {}
        context = self.base_context(
            unit=unit, insight=insight, organisation_insight=by_id[root.pk],
            ancestors=view_selectors.unit_ancestors(unit), children=children,
            nps_chart=self.nps_chart(children, _("NPS per team, with 95% interval")),
            mix_chart=self.mix_chart(children, _("Promoters, passives and detractors")),
            trend_chart=self.trend_chart(unit, _("NPS of this unit per wave")),
            analysis=analysis,
            driver_rows=_driver_rows(analysis, org_drivers), show_org=True,
            strengths=_top(analysis, "strength"), improvements=_top(analysis, "improvement"),
            driver_chart=self.driver_chart(analysis, _("Drivers: importance and performance")),
            themes=[{**row, "organisation": org_themes.get(row["theme"].key)}
                    for row in self.theme_rows(themes[:TOP_THEMES])],
            theme_chart=self.theme_chart(themes, _("What customers write about most"), unit),
            core_values=selectors.unit_core_values(self.wave, unit),
            competitors=selectors.unit_competitors(self.wave, unit),
            promotership=_promotership_rows(selectors.unit_promotership(self.wave, unit)),
            verbatims_url=self.url("verbatims", unit=unit.pk),
            **self.segment_context(self.url("unit", unit.pk)),
        )
        context.update(self.exports(unit))
        return render(request, "insights/unit.html", context)


# Operational -------------------------------------------------------------------------------

def can_view_team(membership, team) -> bool:
    """Whether the member may open the team page: ``view_insights`` for every team,
    ``view_team_insights`` for the member's own."""
    if role_can(membership.role, Capability.VIEW_INSIGHTS):
        return True
    return (role_can(membership.role, Capability.VIEW_TEAM_INSIGHTS)
            and membership.unit_id is not None and membership.unit_id == team.pk)


class TeamView(InsightsView):
    capability = Capability.VIEW_TEAM_INSIGHTS  # and the team: see can_view_team

    def get(self, request, org, pk):
        team = access_unit_by_id(self.organisation, pk)
        if not can_view_team(self.membership, team):
            raise PermissionDenied
        if self.setup_wave() is None:
            return render(request, "insights/no_waves.html", {})
        insight = selectors.unit_insight(self.wave, team)
        ancestors = view_selectors.unit_ancestors(team)
        parent = ancestors[-1] if ancestors else None
        parent_insight = selectors.unit_insight(self.wave, parent) if parent else None
        page = None
        if not insight.suppressed:
            paginator = Paginator(view_selectors.team_customers(self.wave, team), TEAM_PAGE_SIZE)
            page = paginator.get_page(request.GET.get("page"))
        rows = [UnitRow(insight=insight, href="", is_team=True)]
        can_see_more = self.can(Capability.VIEW_INSIGHTS)
        context = self.base_context(
            unit=team, insight=insight, parent=parent, parent_insight=parent_insight,
            ancestors=ancestors if can_see_more else [],
            mix_chart=self.mix_chart(rows, _("Promoters, passives and detractors")),
            trend_chart=self.trend_chart(team, _("NPS of this team per wave")),
            page=page, group_names=GROUP_NAMES, can_see_more=can_see_more,
            export_customers=self.url("export", table="customers", unit=team.pk),
            page_url=lambda number: self.url("team", team.pk, page=number),
        )
        if self.membership.unit_id == team.pk and context["owns_customers"]:
            # On one's own team page: one's own accounts first, whatever the threshold.
            mine = list(view_selectors.owner_customers(self.wave, self.membership)
                        [:MY_CUSTOMERS_PREVIEW + 1])
            context["my_customers"] = mine[:MY_CUSTOMERS_PREVIEW]
            context["more_of_my_customers"] = len(mine) > MY_CUSTOMERS_PREVIEW
        return render(request, "insights/team.html", context)


class MyCustomersView(InsightsView):
    """The member's own customers (account owner) by promoter, passive and detractor,
    with the latest score, comment and trend: not suppressed, they are their accounts."""

    capability = Capability.VIEW_TEAM_INSIGHTS

    def get(self, request, org):
        if self.setup_wave() is None:
            return render(request, "insights/no_waves.html", {})
        customers = view_selectors.owner_customers(self.wave, self.membership)
        page = Paginator(customers, TEAM_PAGE_SIZE).get_page(request.GET.get("page"))
        context = self.base_context(
            page=page, group_names=GROUP_NAMES,
            export_customers=self.url("export", table="my_customers"),
            team_url=(self.url("team", self.membership.unit_id)
                      if self.membership.unit_id else None),
        )
        return render(request, "insights/my_customers.html", context)


# Verbatims ---------------------------------------------------------------------------------

class VerbatimListView(InsightsView):
    def get(self, request, org):
        if self.setup_wave() is None:
            return render(request, "insights/no_waves.html", {})
        names = theme_names(self.organisation)
        form = VerbatimFilterForm(request.GET or None, organisation=self.organisation,
                                  themes=sorted(names.items(), key=lambda item: item[1]))
        top = view_selectors.top_unit(self.organisation)
        hidden, hide_unitless = view_selectors.hidden_comment_units(self.wave, top)
        analyses = view_selectors.verbatim_list(
            self.organisation, wave=self.wave, hidden_units=hidden, hide_unitless=hide_unitless,
            **form.filters())
        page = Paginator(analyses, view_selectors.VERBATIM_PAGE_SIZE).get_page(
            request.GET.get("page"))
        for analysis in page.object_list:
            analysis.theme_names = [names.get(key, key) for key in analysis.themes]
            analysis.label = sentiment_label(analysis.sentiment)
        query = request.GET.copy()
        query.pop("page", None)
        query["wave"] = self.wave.pk
        context = self.base_context(form=form, page=page, query=query.urlencode(),
                                    can_mark=self.can(Capability.MARK_VOICE))
        return render(request, "insights/verbatims.html", context)


class VerbatimVoiceView(InsightsView):
    """Mark or unmark a quote as "voice of the customer" (pk: the research response)."""

    capability = Capability.MARK_VOICE

    def post(self, request, org, pk):
        analysis = view_selectors.access_analysis_by_response_id(self.organisation, pk)
        top = view_selectors.top_unit(self.organisation)
        hidden, hide_unitless = view_selectors.hidden_comment_units(analysis.wave, top)
        if analysis.unit_id in hidden or (analysis.unit_id is None and hide_unitless):
            raise PermissionDenied  # a quote nobody may see cannot be marked either
        services.response_voice_set(analysis=analysis,
                                    is_voice=request.POST.get("is_voice") == "1")
        if _is_partial(request):
            response = render(request, "insights/_voice_toggle.html",
                              {"analysis": analysis, "can_mark": True})
            patch_vary_headers(response, ["HX-Request"])
            return response
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            return redirect(target)
        return redirect(self.url("verbatims", wave=analysis.wave_id))


# Taxonomy ----------------------------------------------------------------------------------

class TaxonomyView(InsightsView):
    """Edit the theme taxonomy; saving starts a re-analysis of the latest waves' comments
    in the background, whose state the page shows (``?status=1``: that part alone)."""

    capability = Capability.EDIT_TAXONOMY

    def formset(self, document: dict, data=None):
        return ThemeFormSet(data, prefix="theme",
                            initial=[theme_initial(t) for t in document.get("themes", [])])

    def page_url(self, **query) -> str:
        base = reverse("insights:taxonomy", kwargs={"org": self.organisation.slug})
        return base + (f"?{urlencode(query)}" if query else "")

    def render_page(self, document: dict, formset=None, problems=None, status=200):
        return render(self.request, "insights/taxonomy.html", {
            "formset": formset or self.formset(document),
            "problems": problems or [],
            "theme_count": len(document.get("themes", [])),
            "suggestions_url": self.page_url(suggestions=1),
            **self.status_context(),
        }, status=status)

    def status_context(self) -> dict:
        return {"reanalysis": jobs.reanalysis_status(self.organisation),
                "status_url": self.page_url(status=1)}

    def get(self, request, org):
        if request.GET.get("status"):
            response = render(request, "insights/_reanalysis.html", self.status_context())
            patch_vary_headers(response, ["HX-Request"])
            return response
        document = services.taxonomy_document(self.organisation)
        if request.GET.get("suggestions"):
            return self.suggestions(document)
        return self.render_page(document)

    def suggestions(self, document: dict):
        waves = view_selectors.insight_waves(self.organisation)
        wave = view_selectors.default_wave(waves)
        found = []
        if wave is not None:
            status = jobs.reanalysis_status(self.organisation)
            generation = status.at.isoformat() if status and status.state == jobs.DONE else ""
            found = view_selectors.theme_suggestions(
                self.organisation, wave=wave, document=document, generation=generation,
                limit=SUGGESTION_COMMENTS)
        response = render(self.request, "insights/_suggestions.html",
                          {"suggestions": found, "wave": wave})
        patch_vary_headers(response, ["HX-Request"])
        return response

    def saved(self) -> None:
        jobs.comments_reanalyse_later(organisation=self.organisation)

    def post(self, request, org):
        document = services.taxonomy_document(self.organisation)
        action = request.POST.get("action")
        if action == "reset":
            services.taxonomy_save(organisation=self.organisation, document=default_taxonomy())
            self.saved()
            messages.success(request, _("The default taxonomy has been restored. The comments "
                                        "are being analysed again."))
            return redirect("insights:taxonomy", org=org)
        if action == "add_suggestion":
            form = SuggestionAddForm(request.POST)
            if form.is_valid():
                keys = {t.get("key") for t in document.get("themes", [])}
                theme = form.theme(keys)
                new = {**document, "themes": [*document.get("themes", []), theme]}
                try:
                    services.taxonomy_save(organisation=self.organisation, document=new)
                except services.TaxonomyInvalid as error:
                    messages.error(request, "; ".join(error.problems))
                else:
                    self.saved()
                    messages.success(request, _("The theme “%(name)s” has been added.")
                                     % {"name": theme["name"]})
            return redirect("insights:taxonomy", org=org)
        formset = self.formset(document, request.POST)
        if not formset.is_valid():
            return self.render_page(document, formset, status=400)
        new = formset.document(document)
        try:
            services.taxonomy_save(organisation=self.organisation, document=new)
        except services.TaxonomyInvalid as error:
            return self.render_page(document, formset, problems=error.problems, status=400)
        self.saved()
        messages.success(request, _("The taxonomy has been saved. The comments of the latest "
                                    "waves are being analysed again with the new themes."))
        return redirect("insights:taxonomy", org=org)


# Export ------------------------------------------------------------------------------------

EXPORT_TABLES = ("units", "drivers", "themes", "promotership", "customers", "my_customers")


class ExportView(InsightsView):
    """Download one table of the insights pages as XLSX: ?table=units|drivers|themes|
    promotership|customers|my_customers (``segment`` filters the unit table)."""

    capability = Capability.VIEW_TEAM_INSIGHTS  # and per table: see get

    @rate_limited("export", by="user")
    def get(self, request, org):
        table_name = request.GET.get("table", "")
        if table_name not in EXPORT_TABLES:
            return HttpResponse(_("Unknown table."), status=400, content_type="text/plain")
        unit_id = request.GET.get("unit")
        unit = (access_unit_by_id(self.organisation, unit_id) if unit_id
                else view_selectors.top_unit(self.organisation))
        if table_name == "customers":
            if not can_view_team(self.membership, unit):
                raise PermissionDenied
        elif table_name != "my_customers" and not self.can(Capability.VIEW_INSIGHTS):
            raise PermissionDenied
        if self.setup_wave() is None:
            return HttpResponse(_("No research wave yet."), status=404, content_type="text/plain")
        if table_name == "units":
            self.setup_segment()
        table = getattr(self, f"table_{table_name}")(unit)
        response = HttpResponse(workbook_bytes([table]), content_type=XLSX_CONTENT_TYPE)
        # No service writes here: an export changes nothing but the audit log.
        audit_record(action=AuditAction.EXPORT_INSIGHTS, organisation=self.organisation,
                     actor=self.membership, target=self.wave,
                     details={"table": table_name, "unit": unit.pk, "format": "xlsx"})
        name = table_name.replace("_", "-")
        filename = f"{self.organisation.slug}-{name}-{self.wave.pk}-{date.today():%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def table_units(self, unit) -> Table:
        rows = []
        note = _("Segment: %(segment)s") % {"segment": self.segment} if self.segment else None
        for i in self.unit_insights(unit):
            if i.suppressed:
                rows.append([i.path, i.level, _too_few()] + [None] * 9 + [note])
                continue
            rows.append([i.path, i.level, None, i.n, i.promoters, i.passives, i.detractors,
                         _round(i.nps, 1), _round(i.ci_low, 1), _round(i.ci_high, 1),
                         _round(i.previous_nps, 1), _round(i.change, 1), note])
        return Table(title=_("Units") if not self.segment else _("Units (filtered)"), headers=[
            _("Unit"), _("Level"), _("Note"), _("Responses (n)"), _("Promoters"), _("Passives"),
            _("Detractors"), _("NPS"), _("95% interval, low"), _("95% interval, high"),
            _("NPS previous wave"), _("Significant change"), _("Filter")], rows=rows)

    def table_drivers(self, unit) -> Table:
        analysis = selectors.unit_drivers(self.wave, unit)
        rows = [[d.name, _round(d.importance, 4), _round(d.share, 1), _round(d.mean, 2),
                 _round(None if d.top_two_box is None else 100 * d.top_two_box, 1),
                 str(QUADRANT_NAMES.get(d.quadrant, d.quadrant))]
                for d in (analysis.drivers if analysis else ())]
        return Table(title=_("Drivers"), headers=[
            _("Driver"), _("Importance (relative weight)"), _("Share of R² (%)"),
            _("Mean score"), _("Top-2-box (%)"), _("Quadrant")], rows=rows)

    def table_themes(self, unit) -> Table:
        names = theme_names(self.organisation)
        rows = [[names.get(t.key, t.name), t.count,
                 _round(None if t.share is None else 100 * t.share, 1), _round(t.sentiment, 2),
                 _round(t.nps, 1), _round(t.impact, 1)]
                for t in selectors.unit_themes(self.wave, unit)]
        return Table(title=_("Themes"), headers=[
            _("Theme"), _("Comments"), _("Share of responses (%)"), _("Mean sentiment"),
            _("NPS of those who mention it"), _("NPS without them minus NPS")], rows=rows)

    def table_promotership(self, unit) -> Table:
        rows = [[c.name, c.promoter_n, _round(c.promoter_mean, 2), c.detractor_n,
                 _round(c.detractor_mean, 2), _round(c.difference, 2), _round(c.effect_size, 2),
                 effect_label(c.effect_size), _("yes") if c.significant else _("no")]
                for c in selectors.unit_promotership(self.wave, unit)]
        return Table(title=_("Promotership"), headers=[
            _("Driver"), _("Promoters (n)"), _("Promoters' mean"), _("Detractors (n)"),
            _("Detractors' mean"), _("Difference"), _("Effect size (Cohen's d)"),
            _("Effect"), _("Significant (5%)")], rows=rows)

    def customer_rows(self, customers):
        for c in customers.iterator(chunk_size=500):
            owner = c.account_owner.user.name if c.account_owner_id else ""
            yield [c.name, c.customer_number, str(GROUP_NAMES.get(c.nps_group, "")),
                   c.latest_nps, c.previous_nps, c.trend, c.latest_comment or "", owner]

    def customer_headers(self) -> list[str]:
        return [_("Customer"), _("Customer number"), _("Group"), _("Score"),
                _("Score previous wave"), _("Change"), _("Comment"), _("Account owner")]

    def table_customers(self, unit) -> Table:
        insight = selectors.unit_insight(self.wave, unit)
        rows = []
        if not insight.suppressed:
            rows = list(self.customer_rows(view_selectors.team_customers(self.wave, unit)))
        return Table(title=_("Customers"), headers=self.customer_headers(), rows=rows)

    def table_my_customers(self, unit) -> Table:
        customers = view_selectors.owner_customers(self.wave, self.membership)
        return Table(title=_("My customers"), headers=self.customer_headers(),
                     rows=list(self.customer_rows(customers)))


def _round(value, digits: int):
    return None if value is None else round(float(value), digits)

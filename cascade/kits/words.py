"""Words and numbers of the kits in the active language, shared by the deck and handout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from insights import charts
from insights.text.sentiment import sentiment_label
from org.models import Level

if TYPE_CHECKING:
    from cascade.kits.data import KitCustomer, KitData, KitTheme, Quote
    from insights.selectors import DriverInsight, UnitInsight

LEVEL_NUMBERS = {Level.STRATEGIC: 1, Level.TACTICAL: 2, Level.OPERATIONAL: 3}


def clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def decimal_mark() -> str:
    return "," if (get_language() or settings.LANGUAGE_CODE).startswith("nl") else "."


def num(value: float | None, decimals: int = 0, *, signed: bool = False) -> str:
    return charts.number(value, decimals, decimal_mark=decimal_mark(), signed=signed)


def pct(part: int | None, total: int | None) -> str:
    if not total or part is None:
        return "–"
    return f"{round(100 * part / total)}%"


def too_few() -> str:
    return _("Too few responses to show")


def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else level


def kicker(data: KitData) -> str:
    return _("1-2-3 session · level %(number)s, %(level)s") % {
        "number": LEVEL_NUMBERS.get(data.level, "?"), "level": level_label(data.level).lower()}


def when(data: KitData) -> str:
    parts = []
    if data.scheduled_at:
        parts.append(timezone.localtime(data.scheduled_at).strftime("%d-%m-%Y %H:%M"))
    if data.place:
        parts.append(data.place)
    if data.facilitator:
        parts.append(_("Facilitator: %(name)s") % {"name": data.facilitator})
    return " · ".join(parts)


def interval(insight: UnitInsight) -> str:
    return _("95%% interval %(low)s to %(high)s") % {"low": num(insight.ci_low),
                                                     "high": num(insight.ci_high)}


def change_figure(insight: UnitInsight) -> str:
    if insight.change_significant and insight.change is not None:
        return num(insight.change, signed=True)
    return "=" if insight.previous_nps is not None else "–"


def change_detail(insight: UnitInsight) -> str:
    if insight.suppressed:
        return too_few()
    if insight.change_significant and insight.change is not None:
        return _("Significant change (was %(previous)s)") % {"previous": num(insight.previous_nps)}
    if insight.previous_nps is not None:
        return _("No significant change (was %(previous)s)") % {"previous": num(insight.previous_nps)}
    return _("No earlier figure to compare with")


def change_text(insight: UnitInsight) -> str:
    figure = change_figure(insight)
    detail = change_detail(insight)
    return detail if figure == "–" else f"{figure} · {detail}"


def mix_text(insight: UnitInsight) -> str:
    return _("%(promoters)s promoters, %(passives)s passives, %(detractors)s detractors") % {
        "promoters": pct(insight.promoters, insight.n), "passives": pct(insight.passives, insight.n),
        "detractors": pct(insight.detractors, insight.n)}


def parent_text(data: KitData) -> str:
    """Compare the unit's NPS with the level above: "Particulier: NPS 23 (this unit +5)"."""
    parent = data.parent
    if parent is None:
        return ""
    if parent.suppressed or parent.nps is None:
        return f"{data.parent_name}: {too_few()}"
    text = _("%(name)s: NPS %(nps)s") % {"name": data.parent_name, "nps": num(parent.nps)}
    if not data.suppressed and data.insight.nps is not None:
        text += " · " + _("this unit %(difference)s points") % {
            "difference": num(data.insight.nps - parent.nps, signed=True)}
    return text


def driver_line(driver: DriverInsight) -> str:
    return _("%(name)s: %(share)s%% of the explained NPS, mean score %(mean)s") % {
        "name": driver.name, "share": num(driver.share), "mean": num(driver.mean, 1)}


def quote_meta(quote: Quote) -> str:
    parts = []
    if quote.nps is not None:
        parts.append(_("score %(score)s") % {"score": quote.nps})
    if quote.group:
        parts.append(group_one(quote.group))
    if quote.voice:
        parts.append(_("Voice of the customer"))
    return " · ".join(parts)


def group_one(group: str) -> str:
    return {"promoter": _("promoter"), "passive": _("passive"),
            "detractor": _("detractor")}.get(group, "")


def trend_text(customer: KitCustomer) -> str:
    if customer.trend is None:
        return ""
    if customer.trend > 0:
        return f"+{customer.trend}"
    if customer.trend < 0:
        return num(customer.trend)
    return "="


def questions(level: str) -> list[str]:
    """The questions a session of this level answers (the 1-2-3-spel's outcome per level)."""
    if level == Level.STRATEGIC:
        return [_("Which improvement route do we set for the whole organisation?"),
                _("What is our long-term vision on customer experience?"),
                _("How do we review the route's progress as a fixed item on our agenda?")]
    if level == Level.TACTICAL:
        return [_("What do these results mean for our business unit or region?"),
                _("Which follow-up do we choose, and who owns it?"),
                _("How do we coach our teams, and what do we report to the board and MT?")]
    return [_("Which customers do we call first, and who calls them?"),
            _("What do we ask them, and what do we offer?"),
            _("What will each of us contribute to the improvement route?")]


def theme_line(theme: KitTheme) -> str:
    return " · ".join([theme.name, _("%(count)s comments") % {"count": theme.count},
                       sentiment_word(theme.sentiment)])


def sentiment_word(value: float) -> str:
    return {"positive": _("positive"), "negative": _("negative")}.get(sentiment_label(value),
                                                                     _("neutral"))

"""Reads for the live 1-2-3 session: the guessing choices, the real answers, the quote cards.

The real answers are the unit's figures in the session's wave, exactly as the insights
pages show them (``insights.selectors``), rounded the way the pages round them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from cascade.models import CascadeSession, Level

#: Most quote cards handed to the console.
MAX_QUOTES = 20


def _whole(value: float) -> int:
    """Round like the pages' ``floatformat:0`` (half away from zero), not Python's ``round``."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def route_choices(session: CascadeSession) -> list[dict]:
    """The points of the improvement route the strategic session set, for a session below it.

    A tactical or operational session translates the route: it may put these points on
    the table as its own proposals, and its actions then land under them.
    """
    from improvements.models import ImprovementPoint

    if session.level == Level.STRATEGIC:
        return []
    route_id = (session.cascade.sessions.filter(level=Level.STRATEGIC)
                .values_list("route_id", flat=True).first())
    if route_id is None:
        return []
    return [{"key": str(pk), "label": f"VP-{number} {title}"[:200]}
            for pk, number, title in ImprovementPoint.objects.filter(route_points__route_id=route_id)
            .order_by("route_points__position").values_list("pk", "number", "title")]


def guess_choices(session: CascadeSession) -> dict:
    """Return what participants choose from: the wave's drivers and the organisation's
    themes; below the strategic session also the improvement route's points."""
    from insights.services import taxonomy_document
    from research.models import Question, QuestionKind

    wave = session.cascade.wave
    drivers = [{"key": key, "label": (subject or text)[:200]}
               for key, subject, text in Question.objects.filter(wave=wave, kind=QuestionKind.DRIVER)
               .order_by("position", "pk").values_list("key", "subject", "text_nl")]
    themes = [{"key": str(t["key"])[:80], "label": str(t.get("name") or t["key"])[:200]}
              for t in taxonomy_document(session.cascade.organisation).get("themes", [])
              if t.get("key")]
    return {"drivers": drivers, "themes": themes, "route": route_choices(session)}


def session_answers(session: CascadeSession) -> dict:
    """Return the customers' answers for the session's unit (and everything below it).

    NPS and the share of promoters from ``unit_insight``; the driver with the largest
    importance from ``unit_drivers``; the theme that pulls the NPS down most (largest
    positive impact) from ``unit_themes``. A figure the insights do not show (too few
    responses, suppressed) is None.
    """
    from insights.selectors import unit_drivers, unit_insight, unit_themes

    wave, unit = session.cascade.wave, session.unit
    insight = unit_insight(wave, unit)
    analysis = unit_drivers(wave, unit)
    driver = (max(analysis.drivers, key=lambda d: d.importance).key
              if analysis is not None and analysis.drivers else None)
    complaints = [t for t in unit_themes(wave, unit) if t.impact is not None and t.impact > 0]
    theme = max(complaints, key=lambda t: t.impact).key if complaints else None
    shown = not insight.suppressed and insight.n
    return {
        "nps": _whole(insight.nps) if shown and insight.nps is not None else None,
        "promoters": _whole(100 * insight.promoters / insight.n) if shown else None,
        "driver": driver,
        "theme": theme,
        "responses": insight.n if shown else None,
    }


def session_quotes(session: CascadeSession) -> list[dict]:
    """Return quote cards for the consultant: the unit's comments marked as voice of the
    customer, or (when none are marked) its latest comments; never from a hidden unit."""
    from insights.view_selectors import (
        hidden_comment_units,
        top_unit,
        verbatim_list,
        wave_suppression,
    )

    wave, organisation = session.cascade.wave, session.cascade.organisation
    if not wave_suppression(wave).is_shown(session.unit_id):
        return []
    # Units whose own comments may not be shown stay out, as in the comments browser.
    hidden, hide_unitless = hidden_comment_units(wave, top_unit(organisation))

    def cards(voice: bool) -> list[dict]:
        out, seen = [], set()
        for analysis in verbatim_list(organisation, wave=wave, hidden_units=hidden,
                                      hide_unitless=hide_unitless, unit=session.unit,
                                      voice=voice)[:10 * MAX_QUOTES]:
            text = (analysis.response.comment or analysis.response.improvement).strip()
            if text and text not in seen:  # a card is shown by its text: each text once
                seen.add(text)
                out.append({"text": text[:2000], "unit": analysis.unit.name if analysis.unit else "",
                            "voice": voice, "score": analysis.response.nps})
            if len(out) >= MAX_QUOTES:
                break
        return out

    return cards(True) or cards(False)

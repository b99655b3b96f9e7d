"""The progress review for the MT agenda as PDF: route points and targets, per unit."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cascade.selectors import progress_review
from reports.pdf import document, para, styles, table


def _nps(value) -> str:
    return "—" if value is None else f"{value:+.0f}"


def review_pdf(cascade) -> bytes:
    review = progress_review(cascade)
    s = styles()
    story = [para(_("Progress review of the improvement route"), s["small"]),
             para(review.route.name if review.route else cascade.wave.name, s["title"]),
             para(_("Research wave: %(wave)s") % {"wave": cascade.wave.name}, s["body"])]
    story.append(para(_("Route points"), s["h2"]))
    if review.points:
        rows = [[_("Improvement point"), _("Unit"), _("Done"), _("Open"), _("Overdue")]]
        for point in review.points:
            rows.append([f"{point.reference} {point.title} ({point.status})", "", str(point.done),
                         str(point.open), str(point.overdue)])
            rows += [["", unit, str(done), str(open_), str(overdue)]
                     for unit, done, open_, overdue in point.per_unit]
        story.append(table(rows, [70, 50, 17, 17, 20], s))
    else:
        story.append(para(_("The strategic session has not set an improvement route yet."), s["small"]))
    story.append(para(_("Targets"), s["h2"]))
    if review.targets:
        rows = [[_("Unit"), _("NPS then"), _("Target"), _("NPS now"), _("Change")]]
        for t in review.targets:
            change = "—" if t.change is None else (
                f"{t.change:+.0f}" + (" *" if t.significant else ""))
            rows.append([t.unit, _nps(t.baseline), _nps(t.target), _nps(t.measured), change])
        story.append(table(rows, [60, 28, 28, 28, 30], s))
        story.append(para(_("* significant at 5%.") if review.next_wave else
                          _("Measured once the next wave is imported."), s["small"]))
    else:
        story.append(para(_("No targets set."), s["small"]))
    story.append(para(_("Reports of the business units and regions"), s["h2"]))
    story += [para(f"{unit}: {notes}", s["body"]) for unit, notes in review.reports] or [
        para(_("No tactical session has reported yet."), s["small"])]
    return document(story, title=str(cascade.wave), subject=_("Progress review"),
                    footer=f"Outside-In · {cascade.organisation.name} · {cascade.wave.name}")

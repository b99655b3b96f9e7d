"""The arena report as PDF: who took part, what was said per round, and what it became.

Built with ReportLab's flowables from ``selectors.report_of`` so the same figures
could feed another format; the strings follow the active language (Dutch by default).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from reportlab.platypus.flowables import KeepTogether

from arena.selectors import report_of
from reports.pdf import document, para, styles, table


def arena_report_pdf(arena) -> bytes:
    """Return the arena's report as PDF bytes."""
    report = report_of(arena)
    s = styles()
    story = [
        para(_("Customer arena report"), s["small"]),
        para(arena.title, s["title"]),
        para(" · ".join(x for x in [timezone.localtime(arena.starts_at).strftime("%d-%m-%Y %H:%M"),
                                   arena.place, _("Moderator") + ": " + report.moderator] if x), s["body"]),
    ]
    if arena.topic:
        story.append(para(arena.topic, s["body"]))

    story.append(para(_("Participants"), s["h2"]))
    story.append(table([[_("Customer"), _("Organisation"), _("Invitation")]]
                        + [[c.name, c.customer, c.rsvp] for c in report.customers] or [["—", "", ""]],
                        [60, 70, 40], s))
    story.append(Spacer(1, 4 * mm))
    story.append(table([[_("Employee"), _("Place")]]
                        + [[e.name, e.role] for e in report.staff], [90, 80], s))

    for round_ in report.rounds:
        story.append(para(round_.label, s["h2"]))
        if not round_.statements:
            story.append(para(_("No statements in this round."), s["small"]))
        else:
            story.append(table([[_("Statement"), _("Customer"), _("Kind"), "+/−", _("Theme")]]
                                + [[st.text, st.customer, st.kind, st.sentiment, st.theme]
                                   for st in round_.statements], [85, 35, 22, 10, 23], s))

    story.append(para(_("Questions of the employees"), s["h2"]))
    if report.questions:
        story.append(table([[_("Question"), _("Asked by"), _("Upvotes"), _("Status")]]
                            + [[q.text, q.by, str(q.upvotes), q.status] for q in report.questions],
                            [95, 40, 15, 25], s))
    else:
        story.append(para(_("No questions."), s["small"]))

    story.append(para(_("Improvement points"), s["h2"]))
    if report.groups:
        for g in report.groups:
            block = [para(f"{g.title} — {_('votes')}: {g.votes}"
                        + (f" — {_('owner')}: {g.owner}" if g.owner else "")
                        + (f" — {g.reference}" if g.reference else ""), s["h3"])]
            block += [para(f"• {st}", s["body"]) for st in g.statements]
            story.append(KeepTogether(block))
    else:
        story.append(para(_("No improvement points were grouped in this arena."), s["small"]))

    story.append(para(_("Improvement actions"), s["h2"]))
    if report.actions:
        story.append(table([[_("Action"), _("Owner"), _("Due date"), _("Improvement point")]]
                            + [[a.title, a.owner, a.due, a.group] for a in report.actions],
                            [70, 40, 25, 40], s))
    else:
        story.append(para(_("No actions confirmed."), s["small"]))

    story.append(para(_("What employees will contribute"), s["h2"]))
    story += [para(f"{c.by}: {c.text}", s["body"]) for c in report.commitments] or \
        [para(_("No commitments recorded."), s["small"])]
    story.append(para(_("What went well"), s["h2"]))
    story += [para(f"{c.by}: {c.text}", s["body"]) for c in report.evaluations] or \
        [para(_("No evaluations recorded."), s["small"])]

    return document(story, title=arena.title, subject=_("Customer arena report"),
                    footer=f"Outside-In · {arena.organisation.name} · {arena.title}")

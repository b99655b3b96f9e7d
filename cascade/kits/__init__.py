"""Session kits of the 1-2-3-spel: a PPTX deck for the consultant and a PDF handout.

``session_kit_data`` (``data``) gathers what one session shows, for its own unit,
through the insights selectors the dashboards use, so the anonymity threshold hides
exactly what the dashboards hide; ``session_pptx`` (``deck``) and ``session_pdf``
(``handout``) render it in the active language; ``cascade_kits_write`` (``build``)
renders every session of a cascade, named by unit path.

A suppressed unit (fewer responses than the threshold, or hidden to protect another)
gets a kit that says "too few responses" and shows none of its figures, comments or
customers; only the level above it is given for reference, as on the team page.
"""

from cascade.kits.build import cascade_kits_write, kit_paths
from cascade.kits.data import (
    KitCustomer,
    KitData,
    KitTheme,
    Quote,
    TrendPoint,
    cascade_sessions,
    session_kit_data,
    unit_file_stem,
)
from cascade.kits.deck import session_pptx
from cascade.kits.handout import session_pdf

__all__ = [
    "KitCustomer",
    "KitData",
    "KitTheme",
    "Quote",
    "TrendPoint",
    "cascade_kits_write",
    "cascade_sessions",
    "kit_paths",
    "session_kit_data",
    "session_pdf",
    "session_pptx",
    "unit_file_stem",
]

"""Background work of the insights app: re-analysing comments after the taxonomy changed.

The job's state lives in the cache under one key per organisation, so the taxonomy
page can say whether re-analysis is running or when it finished; losing it (a cache
restart) loses only that message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from accounts.models import Organisation
from outsidein.jobs import run_in_background

#: How many of the latest waves are analysed again after a taxonomy change.
REANALYSE_WAVES = 2
STATUS_TIMEOUT = 7 * 24 * 3600

RUNNING, DONE, FAILED = "running", "done", "failed"


@dataclass(frozen=True)
class ReanalysisStatus:
    """Where the latest re-analysis of an organisation's comments stands."""

    state: str  # running, done or failed
    at: datetime  # started (running) or finished (done, failed)
    waves: int = 0


def _status_key(organisation_id: int) -> str:
    return f"insights:reanalysis:{organisation_id}"


def _status_set(organisation_id: int, state: str, waves: int = 0) -> None:
    cache.set(_status_key(organisation_id),
              {"state": state, "at": timezone.now().isoformat(), "waves": waves},
              STATUS_TIMEOUT)


def reanalysis_status(organisation: Organisation) -> ReanalysisStatus | None:
    """Return the state of the organisation's latest re-analysis, if one is known."""
    stored = cache.get(_status_key(organisation.pk))
    if not stored:
        return None
    return ReanalysisStatus(state=stored["state"], at=datetime.fromisoformat(stored["at"]),
                            waves=stored.get("waves", 0))


def comments_reanalyse(*, organisation_id: int) -> int:
    """Analyse the comments of the organisation's latest waves again (new themes); return
    how many waves were analysed. Runs as a background job (``comments_reanalyse_later``)."""
    from insights import services
    from insights.view_selectors import insight_waves

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    _status_set(organisation_id, RUNNING)
    try:
        waves = insight_waves(organisation)[:REANALYSE_WAVES]
        for wave in waves:
            services.texts_analyse(wave=wave)
    except Exception:
        _status_set(organisation_id, FAILED)
        raise
    _status_set(organisation_id, DONE, len(waves))
    return len(waves)


def comments_reanalyse_later(*, organisation: Organisation) -> None:
    """Mark re-analysis as running and start it after the current transaction commits."""
    _status_set(organisation.pk, RUNNING)
    run_in_background(comments_reanalyse, organisation_id=organisation.pk)

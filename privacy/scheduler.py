"""A small daily scheduler inside the server processes (today: the retention run).

``start()`` (called by the ASGI application when ``settings.SCHEDULER_ENABLED``; ``outsidein
serve`` turns it on) starts one daemon thread per process that calls ``tick()`` every
``SCHEDULER_INTERVAL`` seconds. A daily task is due at the first tick on a new UTC day at or
after ``SCHEDULER_HOUR`` (default 03:00 UTC). To run it, a process claims the day on the
task's ``ScheduledRun`` row: it locks the row (``select_for_update``, PostgreSQL) and sets
``last_run_on`` only where it is not today yet (a conditional UPDATE, which SQLite's single
writer serialises too), so with several workers exactly one runs it.

What this is not: a job queue. A task that fails gives the day back and is tried again at
the next tick; a process killed mid-run keeps the day, and the next day's run catches up
(retention is idempotent). A deployment that prefers cron runs ``outsidein privacy
retention`` daily instead (README) and leaves ``SCHEDULER_ENABLED`` off.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

log = logging.getLogger(__name__)


def _retention(now: datetime.datetime) -> dict:
    from privacy.services import retention_run_all

    return retention_run_all(now=now)


# Task name -> function(now) returning counts (no personal data: it is stored and logged).
DAILY: dict[str, Callable[[datetime.datetime], dict]] = {"privacy.retention": _retention}

_thread: threading.Thread | None = None
_stop = threading.Event()
_lock = threading.Lock()


def _claim(name: str, now: datetime.datetime) -> datetime.date | None:
    """Take today's run of ``name`` for this process; return the previous day it ran
    (``date.min`` for never), or None when another process has it already."""
    from privacy.models import ScheduledRun

    today = now.astimezone(datetime.UTC).date()
    ScheduledRun.objects.get_or_create(name=name)
    with transaction.atomic():
        run = ScheduledRun.objects.select_for_update().get(name=name)
        if run.last_run_on == today:
            return None
        taken = (ScheduledRun.objects.filter(pk=run.pk).exclude(last_run_on=today)
                 .update(last_run_on=today, started_at=now, finished_at=None, succeeded=False))
        if not taken:
            return None
        return run.last_run_on or datetime.date.min


def _due(now: datetime.datetime) -> bool:
    return now.astimezone(datetime.UTC).hour >= getattr(settings, "SCHEDULER_HOUR", 3)


def tick(now: datetime.datetime | None = None) -> list[str]:
    """Run every daily task that is due and not yet run today; return the names run."""
    from privacy.models import ScheduledRun

    now = now or timezone.now()
    if not _due(now):
        return []
    ran = []
    for name, task in DAILY.items():
        previous = _claim(name, now)
        if previous is None:
            continue
        try:
            result = task(now)
        except Exception:
            log.exception("scheduler: %s failed; it is tried again at the next tick", name)
            ScheduledRun.objects.filter(name=name).update(
                last_run_on=None if previous == datetime.date.min else previous,
                finished_at=timezone.now(), succeeded=False, result={})
            continue
        ScheduledRun.objects.filter(name=name).update(finished_at=timezone.now(), succeeded=True,
                                                      result=result)
        log.info("scheduler: %s ran", name)
        ran.append(name)
    return ran


def _loop(interval: float) -> None:
    while True:
        close_old_connections()
        try:
            tick()
        except Exception:  # the database is away: try again at the next tick
            log.exception("scheduler: tick failed")
        finally:
            close_old_connections()
        if _stop.wait(interval):
            return


def start(interval: float | None = None) -> bool:
    """Start this process's scheduler thread once; return whether it was started now."""
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return False
        _stop.clear()
        interval = interval or getattr(settings, "SCHEDULER_INTERVAL", 600)
        _thread = threading.Thread(target=_loop, args=(interval,), name="daily-scheduler",
                                   daemon=True)
        _thread.start()
        return True


def stop(timeout: float | None = 5) -> None:
    """Stop the thread (tests, shutdown)."""
    global _thread
    _stop.set()
    with _lock:
        if _thread is not None:
            _thread.join(timeout)
            _thread = None

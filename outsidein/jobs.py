"""Background jobs: run a function after the current transaction commits, off the request.

One module-level worker thread runs the jobs one after another, so two jobs never
compete for SQLite's single writer; PostgreSQL deployments get the same order. A job
that fails is logged and forgotten: jobs record their own progress and outcome (in the
database or the cache) for the page that shows it. With ``settings.JOBS_EAGER`` (tests,
one-off commands) the job runs inline, before ``run_in_background`` returns.

Jobs live in the serving process: a restart loses queued jobs. They are meant for work
that can simply be started again (re-analysing comments), not for work that must not
be lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="background-job")
        return _executor


def _run(fn: Callable, args: tuple, kwargs: dict) -> None:
    # The worker thread keeps its own connections: drop stale ones before the job and
    # those past their age after it, as a request would.
    close_old_connections()
    try:
        fn(*args, **kwargs)
    except Exception:
        logger.exception("background job %s failed", getattr(fn, "__qualname__", fn))
    finally:
        close_old_connections()


def run_in_background(fn: Callable, *args, **kwargs) -> None:
    """Run ``fn(*args, **kwargs)`` on the background thread once the current transaction
    commits (at once outside a transaction); inline with ``settings.JOBS_EAGER``."""
    if settings.JOBS_EAGER:
        fn(*args, **kwargs)
        return
    transaction.on_commit(lambda: _get_executor().submit(_run, fn, args, kwargs))


def jobs_wait(timeout: float | None = None) -> None:
    """Wait until every job submitted so far has run (tests, shutdown)."""
    _get_executor().submit(lambda: None).result(timeout=timeout)

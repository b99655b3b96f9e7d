"""Build every session kit of a cascade in the background, as one zip to download.

The job runs on the shared background thread (``outsidein.jobs``). Its progress lives
in the cache under one key per cascade, as the re-analysis of comments does; the zip
goes to ``KITS_DIR`` (default: ``kits`` beside ``IMPORT_DIR``), written to a temporary
name and renamed when complete, so a download never sees half a file. No table: a
lost cache loses only the progress message, and the last complete zip stays on disk
(its status is then read from the file).

One build per cascade at a time, held by an atomic ``cache.add`` lock that expires on
its own if the process dies mid-build.
"""

from __future__ import annotations

import logging
import os
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cascade.kits import cascade_kits_write
from cascade.models import Cascade
from outsidein.jobs import run_in_background

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_SECONDS = 7 * 24 * 3600
#: A build that reported nothing for this long is taken as dead (the lock expires too).
STALE_SECONDS = 15 * 60


class KitsBuilding(Exception):
    """The cascade's kits are already being built."""


@dataclass(frozen=True)
class KitJobStatus:
    """Where the latest kit build of a cascade stands."""

    state: str
    done: int
    total: int
    started_at: datetime | None
    finished_at: datetime | None = None
    error: str = ""
    seconds: float | None = None

    @property
    def running(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def percent(self) -> int:
        if self.state == DONE:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0


def kits_dir() -> Path:
    configured = getattr(settings, "KITS_DIR", None)
    return Path(configured) if configured else Path(settings.IMPORT_DIR).parent / "kits"


def kits_zip_path(cascade: Cascade) -> Path:
    """Return where the cascade's zip is kept (it may not exist yet)."""
    return kits_dir() / cascade.organisation.slug / f"cascade-{cascade.pk}.zip"


def kits_zip_name(cascade: Cascade) -> str:
    from django.utils.text import slugify

    return f"{cascade.organisation.slug}-{slugify(cascade.wave.name)}-1-2-3-kits.zip"


def _status_key(cascade_id: int) -> str:
    return f"cascade:kits:{cascade_id}"


def _lock_key(cascade_id: int) -> str:
    return f"cascade:kits-lock:{cascade_id}"


def _status_set(cascade_id: int, **fields) -> None:
    stored = cache.get(_status_key(cascade_id)) or {}
    stored.update(fields, updated=time.time())
    cache.set(_status_key(cascade_id), stored, STATUS_SECONDS)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def kits_status(cascade: Cascade) -> KitJobStatus | None:
    """Return the state of the cascade's latest kit build, or None if there never was one."""
    stored = cache.get(_status_key(cascade.pk))
    if stored:
        state = stored["state"]
        if state in (QUEUED, RUNNING) and time.time() - stored.get("updated", 0) > STALE_SECONDS:
            state = FAILED
            stored = {**stored, "error": _("The build stopped (the server restarted?). Start it "
                                           "again.")}
        return KitJobStatus(state=state, done=stored.get("done", 0), total=stored.get("total", 0),
                            started_at=_parse(stored.get("started_at")),
                            finished_at=_parse(stored.get("finished_at")),
                            error=stored.get("error", ""), seconds=stored.get("seconds"))
    path = kits_zip_path(cascade)
    if path.exists():
        finished = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
        total = cascade.sessions.count()
        return KitJobStatus(state=DONE, done=total, total=total, started_at=None,
                            finished_at=finished)
    return None


def kits_build_later(*, cascade: Cascade, language: str | None = None) -> KitJobStatus:
    """Queue a build of every kit of the cascade (after the current transaction commits).

    Raise ``KitsBuilding`` when one is already queued or running."""
    if not cache.add(_lock_key(cascade.pk), 1, STALE_SECONDS):
        raise KitsBuilding(_("The kits of these sessions are already being built."))
    total = cascade.sessions.count()
    cache.set(_status_key(cascade.pk), {"state": QUEUED, "done": 0, "total": total,
                                        "started_at": timezone.now().isoformat(),
                                        "updated": time.time()}, STATUS_SECONDS)
    run_in_background(kits_build, cascade_id=cascade.pk,
                      language=language or translation.get_language() or settings.LANGUAGE_CODE)
    return kits_status(cascade)


def kits_build(*, cascade_id: int, language: str) -> Path | None:
    """Build every kit of the cascade into its zip, reporting progress; return the zip.

    Runs as a background job (``kits_build_later``), holding the cascade's build lock."""
    cascade = (Cascade.objects.select_related("organisation", "wave").filter(pk=cascade_id)
               .first())
    if cascade is None:
        cache.delete(_lock_key(cascade_id))
        return None
    started = time.perf_counter()
    path = kits_zip_path(cascade)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    _status_set(cascade_id, state=RUNNING, done=0, started_at=timezone.now().isoformat())

    def progress(done: int, total: int) -> None:
        _status_set(cascade_id, state=RUNNING, done=done, total=total)
        cache.touch(_lock_key(cascade_id), STALE_SECONDS)

    try:
        with translation.override(language), zipfile.ZipFile(partial, "w") as archive:
            def write(name: str, content: bytes) -> None:
                # A PPTX is a zip already: stored as it is; the PDFs shrink a little.
                kind = zipfile.ZIP_STORED if name.endswith(".pptx") else zipfile.ZIP_DEFLATED
                archive.writestr(name, content, compress_type=kind, compresslevel=1)

            cascade_kits_write(cascade, write, progress=progress)
        os.replace(partial, path)
    except Exception as error:
        partial.unlink(missing_ok=True)
        logger.exception("building the kits of cascade %s failed", cascade_id)
        _status_set(cascade_id, state=FAILED, finished_at=timezone.now().isoformat(),
                    error=_("Building the kits failed: %(error)s") % {"error": error})
        return None  # logged; the page shows the failure
    finally:
        cache.delete(_lock_key(cascade_id))
    _status_set(cascade_id, state=DONE, finished_at=timezone.now().isoformat(),
                seconds=round(time.perf_counter() - started, 1))
    return path

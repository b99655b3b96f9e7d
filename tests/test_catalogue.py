"""The Dutch catalogue is complete: every source string is translated and compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCE_DIRS = ["outsidein", "accounts", "org", "improvements", "research", "insights", "live", "arena",
               "cascade", "templates"]


def test_dutch_catalogue_has_no_untranslated_or_fuzzy_entries():
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogue_matches_the_po_file():
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
                for e in polib.mofile(str(MO))}
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
              for e in polib.pofile(str(PO)) if not e.obsolete}
    assert {k: v for k, v in source.items() if k[1]} == {k: v for k, v in compiled.items() if k[1]}


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is installed by make test")
def test_every_translatable_source_string_is_in_the_catalogue(tmp_path):
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "tests", "migrations"))
    (tmp_path / "locale").mkdir()
    # Extraction needs no apps; a settings module of its own keeps it from ever writing
    # to the real catalogue.
    (tmp_path / "extract_settings.py").write_text(
        f"SECRET_KEY = 'extract'\nUSE_I18N = True\nLOCALE_PATHS = [{str(tmp_path / 'locale')!r}]\n"
    )
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "nl", "--no-location", "-v", "0"],
        cwd=tmp_path, check=True, capture_output=True, timeout=300,
        env={"DJANGO_SETTINGS_MODULE": "extract_settings", "PATH": "/usr/bin:/bin",
             "PYTHONPATH": str(tmp_path)},
    )
    extracted = {(e.msgctxt, e.msgid)
                 for e in polib.pofile(str(tmp_path / "locale/nl/LC_MESSAGES/django.po"))}
    catalogue = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO)) if not e.obsolete}
    missing = sorted(msgid for _ctx, msgid in extracted - catalogue)
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing[:20])

"""The ``outsidein`` console script reaches the operations commands."""

import pytest

from outsidein import cli


def test_outsidein_check_prints_every_check_and_passes_in_development(db, capsys, tmp_path, settings):
    settings.IMPORT_DIR = tmp_path
    settings.DEBUG = True  # the development set-up (the test runner turns DEBUG off)
    code = cli.main(["check"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "OK   database" in out and "checks passed" in out


def test_outsidein_restore_refuses_a_file_that_is_no_backup(db, tmp_path, capsys):
    bogus = tmp_path / "not-a-backup.tar.gz"
    bogus.write_bytes(b"hello")
    assert cli.main(["restore", str(bogus)]) == 1
    assert "error:" in capsys.readouterr().err


def test_outsidein_privacy_erase_asks_for_confirmation(org, capsys):
    assert cli.main(["privacy", "erase", org.slug, "kees@klant.example"]) == 1
    assert "--yes" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["backup"], ["privacy", "export", "acme"]])
def test_outsidein_refuses_missing_arguments(argv):
    with pytest.raises(SystemExit):
        cli.main(argv)

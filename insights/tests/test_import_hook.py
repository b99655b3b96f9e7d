"""An import brings the wave's insights up to date without a separate refresh."""

from insights.models import ResponseAnalysis, UnitWaveAggregate
from research.tests._import_support import build_world, import_file, plain_rows, write_csv


def test_a_real_import_refreshes_aggregates_and_analyses_comments(org, make_member, tmp_path):
    world = build_world(org, make_member)
    path = write_csv(tmp_path / "export.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "Snel en vriendelijk geholpen", "8", "9", "MKB"],
        ["R2", "K002", "T-N", "3", "Ik wacht al weken op een reactie", "4", "5", "MKB"],
    ))
    import_file(world, path)
    aggregate = UnitWaveAggregate.objects.get(wave=world.wave, unit=world.noord)
    assert aggregate.n_responses == 2
    assert ResponseAnalysis.objects.filter(wave=world.wave).count() == 2


def test_a_dry_run_leaves_insights_alone(org, make_member, tmp_path):
    world = build_world(org, make_member)
    path = write_csv(tmp_path / "export.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "Prima", "8", "9", "MKB"],
    ))
    import_file(world, path, dry_run=True)
    assert not UnitWaveAggregate.objects.filter(wave=world.wave).exists()

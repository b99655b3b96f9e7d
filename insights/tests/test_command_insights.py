import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from insights.services import responses_changed
from insights.tests._aggregates_world import build_tree, fill, make_wave

FIELDS = {"path", "level", "n", "promoters", "passives", "detractors", "nps", "ci_low", "ci_high",
          "suppressed", "change", "change_significant", "drivers", "themes"}


@pytest.fixture
def world(org):
    root, units = build_tree(org)
    wave = make_wave(org, "Meting 1")
    fill(wave, {units["Noord 1"]: 80, units["Noord 2"]: 40, units["Noord klein"]: 3,
                units["Zuid 1"]: 45})
    responses_changed(wave=wave)
    return org, root, units, wave


def _run(*args):
    out = StringIO()
    call_command("insights", *args, stdout=out)
    return out.getvalue()


def test_insights_json_lists_every_unit_with_the_documented_fields(world):
    org, root, units, wave = world
    rows = json.loads(_run(org.slug, wave.name, "--json"))
    assert [r["path"] for r in rows][:2] == [root.name, f"{root.name} / Noord"]
    for row in rows:
        assert FIELDS <= set(row)
    by_path = {r["path"]: r for r in rows}
    top = by_path[root.name]
    assert top["n"] == 168 and not top["suppressed"]
    assert top["promoters"] + top["passives"] + top["detractors"] == 168
    assert top["ci_low"] <= top["nps"] <= top["ci_high"]
    assert {d["name"] for d in top["drivers"]} >= {"Bereikbaarheid", "Snelheid"}
    assert all({"name", "importance", "performance"} <= set(d) for d in top["drivers"])
    assert top["themes"] and all({"name", "count", "sentiment", "nps"} <= set(t)
                                 for t in top["themes"])
    small = by_path[f"{root.name} / Noord / Noord klein"]
    assert small["suppressed"] and small["n"] is None and small["drivers"] == []


def test_insights_unit_path_limits_to_the_subtree_and_wave_by_id(world):
    org, root, units, wave = world
    rows = json.loads(_run(org.slug, str(wave.pk), "--unit", f"{root.name}/Zuid", "--json"))
    assert [r["path"] for r in rows] == [f"{root.name} / Zuid", f"{root.name} / Zuid / Zuid 1"]
    rows = json.loads(_run(org.slug, wave.name, "--unit", "Noord/Noord 1", "--json"))
    assert len(rows) == 1 and rows[0]["n"] == 80
    assert "Noord 1" in _run(org.slug, wave.name)


def test_insights_rejects_unknown_wave_and_unit(world):
    org, root, units, wave = world
    with pytest.raises(CommandError):
        _run(org.slug, "Bestaat niet")
    with pytest.raises(CommandError):
        _run(org.slug, wave.name, "--unit", "Nergens")


def test_insights_refresh_rebuilds_a_wave(world):
    org, root, units, wave = world
    out = StringIO()
    call_command("insights_refresh", org.slug, wave.name, stdout=out)
    assert "unit aggregates" in out.getvalue()

"""``medex whatif compare`` and ``medex whatif optimise`` end to end (small and fast)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli_whatif import whatif_app


def test_compare_quick_scenario_writes_report_csv_json(tmp_path: Path) -> None:
    out = CliRunner().invoke(whatif_app, [
        "compare", "--out", str(tmp_path), "--close", "MON", "--add", "TOU=Tournai:fr",
        "--rooms", "BRU=8", "--name", "Tournai instead of Mons", "--quiet"])
    assert out.exit_code == 0, out.output
    assert "Tournai instead of Mons" in out.output
    for name in ("report.html", "comparison.csv", "centres.csv", "metrics.json",
                 "coverage.png", "travel_times.png", "utilisation.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert doc["scenarios"] == ["current centres", "Tournai instead of Mons"]
    html = (tmp_path / "report.html").read_text()
    assert 'id="comparison"' in html and "leaflet" in html.lower()


def test_compare_scenario_file_and_homes_demand(tmp_path: Path) -> None:
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"name": "no Libramont", "changes": [{"close": "LIB"}],
                                "modes": {"car": 0.5, "pt": 0.5}}))
    homes = tmp_path / "homes.csv"
    homes.write_text("lat,lon,language\n49.68,5.81,fr\n51.22,4.40,nl\n50.85,4.35,fr\n")
    out = CliRunner().invoke(whatif_app, ["compare", "--out", str(tmp_path / "r"),
                                          "--scenario", str(spec), "--demand", str(homes),
                                          "--quiet"])
    assert out.exit_code == 0, out.output
    assert "homes from homes.csv" in out.output and "no Libramont" in out.output


def test_compare_bad_input_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(whatif_app, ["compare", "--out", str(tmp_path), "--close", "XYZ"])
    assert out.exit_code == 2 and "no centre 'XYZ'" in out.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = runner.invoke(whatif_app, ["compare", "--out", str(tmp_path), "--scenario", str(bad)])
    assert out.exit_code == 2 and "--scenario" in out.output


def test_optimise_expansion_from_the_command_line(tmp_path: Path) -> None:
    out = CliRunner().invoke(whatif_app, [
        "optimise", "--out", str(tmp_path), "-p", "13", "--keep", "all",
        "--candidates", "stations", "--min-boardings", "5000", "--time-limit", "30",
        "--quiet"])
    assert out.exit_code == 0, out.output
    assert "optimal" in out.output
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert doc["proposals"][0]["status"] == "optimal"
    before, after = doc["metrics"][0]["overall"], doc["metrics"][1]["overall"]
    assert after["mean_min"] <= before["mean_min"]

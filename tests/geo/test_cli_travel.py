from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli_travel import travel


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("travel")(travel)

    @app.callback()
    def _root() -> None:
        """Test root (keeps 'travel' a subcommand)."""

    return app


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_bastogne_all_centres(app: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(app, ["travel", "--from", "6600", "--to", "all"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("From 6600 Bastogne")
    assert "mode" in lines[1] and "min" in lines[1] and "km" in lines[1]
    assert "stations used" in lines[1]
    assert lines[2].split()[1] == "LIB"  # best first
    assert len(lines) == 2 + 12


def test_knokke_public_transport(app: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(app, ["travel", "--from", "8300 Knokke", "--mode", "pt",
                                 "--to", "bru,BRG"])
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()[2:]
    assert [r.split()[1] for r in rows] == ["BRG", "BRU"]
    assert "-> Brugge" in rows[0] and " pt " in rows[0]


def test_coordinates_and_none_mode(app: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(app, ["travel", "--from", "50.8357,4.3365", "--to", "GNT"])
    assert result.exit_code == 0, result.output
    assert "Brussel-Zuid" in result.stdout
    result = runner.invoke(app, ["travel", "--from", "6600", "--mode", "none"])
    assert result.exit_code == 0
    assert "home visit" in result.stdout and "unreachable" in result.stdout


def test_edited_centres_file(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[2] / "data" / "centres" / "centres.csv").read_text()
    header, first = shipped.splitlines()[:2]
    path = tmp_path / "centres.csv"
    path.write_text(f"{header}\n{first}\n", encoding="utf-8")
    result = runner.invoke(app, ["travel", "--from", "2000", "--centres", str(path)])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "0000"], "unknown postcode 0000"),
    (["--from", "12"], "not a Belgian postcode"),
    (["--from", "48.85,2.35"], "outside Belgium"),
    (["--from", "6600", "--to", "XYZ"], "unknown centre(s) XYZ"),
    (["--from", "6600", "--mode", "bike"], "unknown --mode 'bike'"),
    (["--from", "Grote Markt 1, Brugge"], "no address geocoder configured"),
])
def test_errors_are_one_line_exit_2(app: typer.Typer, runner: CliRunner, args: list[str],
                                    message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDEX_GEOCODER", raising=False)
    result = runner.invoke(app, ["travel", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)


def test_bad_centres_file(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "centres.csv"
    path.write_text("id,name_nl\nANT,Antwerpen\n", encoding="utf-8")
    result = runner.invoke(app, ["travel", "--from", "2000", "--centres", str(path)])
    assert result.exit_code == 2
    assert "missing column" in result.stderr

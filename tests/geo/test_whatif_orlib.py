"""geo.orlib readers and ``medex whatif orlib`` (the shared OR-Library copy when present)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.cli_whatif import whatif_app
from geo.errors import DataFileError
from geo.orlib import read_cflp, read_optima, read_pmed

SHARED = Path(__file__).resolve().parents[3] / "shared" / "bench"


def test_pmed_last_duplicate_wins_and_shortest_paths(tmp_path: Path) -> None:
    f = tmp_path / "tiny.txt"
    # 1-2 listed twice: 5 then 9 (last wins, not min); 2-3 = 1; 1-3 via 2 = 10; 3-4 = 2
    f.write_text(" 4 5 2 \n 1 2 5\n 2 3 1\n 1 2 9\n 3 4 2\n 4 4 7\n", encoding="ascii")
    inst = read_pmed(f)
    assert inst.n == 4 and inst.p == 2 and inst.name == "tiny"
    assert inst.cost[0, 1] == 9 and inst.cost[1, 0] == 9
    assert inst.cost[0, 3] == 12
    assert (np.diag(inst.cost) == 0).all()
    assert (inst.cost == inst.cost.T).all()


def test_pmed_errors_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("3 2 1\n1 2 4\n", encoding="ascii")
    with pytest.raises(DataFileError, match="expected 2 lines"):
        read_pmed(bad)
    bad.write_text("3 1 1\n1 2 4\n", encoding="ascii")
    with pytest.raises(DataFileError, match="not connected"):
        read_pmed(bad)


CFLP = """2 3
 10 100.
 capacity 50.
 4 8 2
 3 3 30
 5 50 5
"""


def test_cflp_capacity_placeholder_and_gzip(tmp_path: Path) -> None:
    f = tmp_path / "capx.txt.gz"
    with gzip.open(f, "wt", encoding="ascii") as fh:
        fh.write(CFLP)
    with pytest.raises(DataFileError, match="pass capacity"):
        read_cflp(f)
    inst = read_cflp(f, capacity=20)
    assert inst.name == "capx" and inst.m == 2 and inst.n == 3
    assert inst.capacity.tolist() == [10.0, 20.0]
    assert inst.cost[2].tolist() == [50.0, 5.0]
    assert inst.demand.tolist() == [4.0, 3.0, 5.0]


def test_read_optima(tmp_path: Path) -> None:
    f = tmp_path / "opt.txt"
    f.write_text("Data file   Optimal solution value\npmed1 5819\npmed2 4093\n", encoding="ascii")
    assert read_optima(f) == {"pmed1": 5819.0, "pmed2": 4093.0}


def test_cli_orlib_small_file_last_line_is_the_objective(tmp_path: Path) -> None:
    f = tmp_path / "tiny.txt"
    f.write_text("4 3 1\n1 2 1\n2 3 1\n3 4 1\n", encoding="ascii")
    out = CliRunner().invoke(whatif_app, ["orlib", str(f), "--quiet"])
    assert out.exit_code == 0, out.output
    assert out.output.strip().splitlines()[-1] == "4"


def test_cli_orlib_bad_file_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_text("x\n", encoding="ascii")
    out = CliRunner().invoke(whatif_app, ["orlib", str(f)])
    assert out.exit_code == 2
    assert "error:" in out.output


@pytest.mark.skipif(not (SHARED / "pmed").exists(), reason="shared OR-Library copy absent")
@pytest.mark.parametrize("name", ["pmed1", "pmed4", "pmed7"])
def test_cli_orlib_pmed_reaches_the_known_optimum(name: str) -> None:
    optima = read_optima(SHARED / "pmed" / "pmedopt.txt")
    out = CliRunner().invoke(whatif_app, ["orlib", str(SHARED / "pmed" / "instances" /
                                                      f"{name}.txt"), "--quiet"])
    assert out.exit_code == 0, out.output
    assert float(out.output.strip().splitlines()[-1]) == optima[name]
    assert "status     optimal" in out.output


@pytest.mark.skipif(not (SHARED / "cflp").exists(), reason="shared OR-Library copy absent")
@pytest.mark.parametrize(("name", "flags", "optimum"), [
    ("cap41", [], 1040444.375),
    ("cap71", ["--uncapacitated"], 932615.75),
    ("cap131", [], 793439.562),
])
def test_cli_orlib_cflp_reaches_the_known_optimum(name: str, flags: list[str],
                                                  optimum: float) -> None:
    out = CliRunner().invoke(whatif_app, ["orlib", "--capacitated", *flags,
                                          str(SHARED / "cflp" / "instances" / f"{name}.txt")])
    assert out.exit_code == 0, out.output
    assert float(out.output.strip().splitlines()[-1]) == pytest.approx(optimum, rel=1e-6)

"""The ``medex`` command line, end to end through ``typer``'s test runner.

A demo week is built and solved once for the module; the other tests check it, tamper
with the schedule, or feed the commands broken input.  Bad input exits with 2 and one
``error: ...`` line per problem, naming the field, never a traceback; a schedule that
breaks a rule makes ``medex check`` exit with 1 and name the rule.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from scheduler.week_format import read_schedule, read_week
from tests.factory import (
    centre,
    convocation,
    doctor,
    patient,
    session,
    tiny_week,
)

COMMANDS = ("solve", "check", "demo-week", "demo", "travel")


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def medex(runner: CliRunner, *args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory, runner: CliRunner) -> tuple[Path, Path]:
    """A demo week (60 convocations, 4 doctors) and the schedule ``medex solve`` wrote."""
    folder = tmp_path_factory.mktemp("cli")
    week, plan = folder / "week.json", folder / "schedule.json"
    made = medex(runner, "demo-week", "--convocations", "60", "--doctors", "4", "--seed", "3",
                 "--week-start", "2026-12-07", "--out", week)
    assert made.exit_code == 0, made.output
    done = medex(runner, "solve", week, "--out", plan, "--time-limit", "3")
    assert done.exit_code == 0, done.output
    return week, plan


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def errors(result: Result) -> list[str]:
    """The ``error:`` lines of a run that must have failed on its input (exit 2)."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr
    return [line.removeprefix("error: ") for line in lines]


def solve_doc(runner: CliRunner, tmp_path: Path, doc: Any) -> list[str]:
    out = tmp_path / "schedule.json"
    result = medex(runner, "solve", write(tmp_path / "week.json", doc), "--out", out,
                   "--time-limit", "1", "--quiet")
    problems = errors(result)
    assert not out.exists()
    return problems


# ---------------------------------------------------------------- help


def test_help_lists_every_command_and_reads_like_a_manual(runner: CliRunner) -> None:
    result = medex(runner, "--help")
    assert result.exit_code == 0
    text = re.sub(r"-\n\s*", "-", result.stdout)  # words the help wraps at a hyphen
    for command in COMMANDS:
        assert f"  {command} " in text, command
    assert "medex-week/1" in text and "medex-schedule/1" in text
    assert "Plan Medex medical-expertise convocations" in text


@pytest.mark.parametrize(("command", "words"), [
    ("solve", ["Plan a week", "--out", "--time-limit", "--workers", "stderr"]),
    ("check", ["Verify a schedule", "Exits 0", "1 on a violation", "2 when"]),
    ("demo-week", ["realistic planning week", "--convocations", "--doctors", "--seed",
                   "--week-start"]),
    ("demo", ["build a week, plan it, check", "--workdir"]),
    ("travel", ["--from", "--to", "--mode", "postcode"]),
])
def test_each_command_explains_itself(runner: CliRunner, command: str, words: list[str]
                                      ) -> None:
    result = medex(runner, command, "--help")
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.stdout, word


# ---------------------------------------------------------------- demo-week, solve, check


def test_demo_week_writes_a_week(solved: tuple[Path, Path]) -> None:
    week = read_week(solved[0])
    assert len(week.convocations) == 60
    assert len(week.doctors) == 4
    assert week.week_start.isoformat() == "2026-12-07"


def test_solve_writes_a_schedule_of_every_convocation(solved: tuple[Path, Path]) -> None:
    doc = json.loads(solved[1].read_text(encoding="utf-8"))
    assert doc["format"] == "medex-schedule/1"
    assert doc["instance"] == "week.json"
    assert doc["status"] in ("OPTIMAL", "FEASIBLE")
    ids = [a["convocation"] for a in doc["assignments"]] + \
        [u["convocation"] for u in doc["unscheduled"]]
    assert sorted(ids) == sorted(c.id for c in read_week(solved[0]).convocations)
    assert all(u["reason"] for u in doc["unscheduled"])


def test_solve_prints_a_summary_and_progress(runner: CliRunner, solved: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    out = tmp_path / "again.json"
    result = medex(runner, "solve", solved[0], "--out", out, "--time-limit", "1")
    assert result.exit_code == 0, result.output
    assert "scheduled " in result.stdout and "of 60 convocations" in result.stdout
    assert f"schedule written to {out}" in result.stdout
    assert "cost" in result.stderr  # progress lines
    assert read_schedule(out).cost >= 0


def test_check_accepts_the_solver_schedule(runner: CliRunner, solved: tuple[Path, Path]
                                           ) -> None:
    result = medex(runner, "check", *solved)
    assert result.exit_code == 0, result.output
    assert "No violations" in result.stdout
    assert "total" in result.stdout
    assert "note:" not in result.stdout  # the cost the solver states is the checker's


def _tamper(solved: tuple[Path, Path], tmp_path: Path, change: Any) -> Path:
    doc = json.loads(solved[1].read_text(encoding="utf-8"))
    change(doc)
    return write(tmp_path / "tampered.json", doc)


def test_check_rejects_an_exam_moved_onto_saturday(runner: CliRunner, solved: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    def to_saturday(doc: dict[str, Any]) -> None:
        a = doc["assignments"][0]
        start = datetime.fromisoformat(a["start"])
        shift = timedelta(days=5 - start.weekday())
        a["start"] = (start + shift).isoformat()
        a["end"] = (datetime.fromisoformat(a["end"]) + shift).isoformat()

    result = medex(runner, "check", solved[0], _tamper(solved, tmp_path, to_saturday))
    assert result.exit_code == 1, result.output
    assert "weekend:" in result.stdout
    assert "violation" in result.stdout


def test_check_rejects_a_doctor_who_does_not_speak_the_language(
        runner: CliRunner, solved: tuple[Path, Path], tmp_path: Path) -> None:
    week = read_week(solved[0])
    language = {c.id: c.patient.language for c in week.convocations}
    speaks = {d.id: d.languages for d in week.doctors}

    def swap(doc: dict[str, Any]) -> None:
        for a in doc["assignments"]:
            other = [d for d, langs in speaks.items() if language[a["convocation"]] not in langs]
            if other:
                a["doctor"] = other[0]
                return
        pytest.skip("every doctor of the demo week speaks every patient's language")

    result = medex(runner, "check", solved[0], _tamper(solved, tmp_path, swap))
    assert result.exit_code == 1, result.output
    assert "language:" in result.stdout


def test_check_notes_a_stated_cost_that_is_not_the_real_one(
        runner: CliRunner, solved: tuple[Path, Path], tmp_path: Path) -> None:
    def cheaper(doc: dict[str, Any]) -> None:
        doc["cost"] -= 1

    result = medex(runner, "check", solved[0], _tamper(solved, tmp_path, cheaper))
    assert result.exit_code == 0, result.output
    assert "note: the schedule states cost" in result.stdout


def test_check_of_a_schedule_that_is_not_one(runner: CliRunner, solved: tuple[Path, Path]
                                             ) -> None:
    problems = errors(medex(runner, "check", solved[0], solved[0]))
    assert problems == ["format: expected 'medex-schedule/1', got 'medex-week/1'"]


def test_check_of_a_missing_schedule(runner: CliRunner, solved: tuple[Path, Path],
                                     tmp_path: Path) -> None:
    problems = errors(medex(runner, "check", solved[0], tmp_path / "nowhere.json"))
    assert len(problems) == 1 and "cannot be read" in problems[0]


# ---------------------------------------------------------------- bad weeks


def test_unknown_centre_in_a_session(runner: CliRunner, tmp_path: Path) -> None:
    doc = tiny_week(doctors=[doctor(sessions=[session("XYZ")])])
    assert solve_doc(runner, tmp_path, doc) == \
        ["doctors[0] (D001).sessions[0].centre: unknown centre 'XYZ'"]


def test_session_outside_the_opening_hours(runner: CliRunner, tmp_path: Path) -> None:
    doc = tiny_week(doctors=[doctor(sessions=[session(start="07:00", end="09:00")])])
    (problem,) = solve_doc(runner, tmp_path, doc)
    assert problem.startswith("doctors[0] (D001).sessions[0]: 07:00-09:00")
    assert "opening hours of BRU" in problem


def test_deadline_before_release(runner: CliRunner, tmp_path: Path) -> None:
    doc = tiny_week(convocations=[convocation(release="2026-12-09", deadline="2026-12-08")])
    (problem,) = solve_doc(runner, tmp_path, doc)
    assert problem.startswith("convocations[0] (C0001).deadline:")
    assert "before the release date" in problem


@pytest.mark.parametrize("bad", ["2026-13-01", "07/12/2026", "tomorrow", 20261207])
def test_bad_dates(runner: CliRunner, tmp_path: Path, bad: Any) -> None:
    (problem,) = solve_doc(runner, tmp_path, tiny_week(convocations=[convocation(release=bad)]))
    assert problem.startswith("convocations[0] (C0001).release:")


def test_wrong_format_tag(runner: CliRunner, tmp_path: Path) -> None:
    assert solve_doc(runner, tmp_path, tiny_week(format="medex-week/9")) == \
        ["format: expected 'medex-week/1', got 'medex-week/9'"]


def test_not_json(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "week.json"
    path.write_text('{"format": "medex-week/1", ', encoding="utf-8")
    (problem,) = errors(medex(runner, "solve", path, "--out", tmp_path / "s.json"))
    assert problem.startswith(f"{path}: not valid JSON")
    assert "line 1" in problem


def test_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    (problem,) = errors(medex(runner, "solve", path, "--out", tmp_path / "s.json"))
    assert problem == f"{path}: cannot be read (No such file or directory)"


def test_several_problems_are_reported_at_once(runner: CliRunner, tmp_path: Path) -> None:
    doc = tiny_week(
        centres=[centre(), centre("LEU", rooms=0)],
        doctors=[doctor(sessions=[session("XYZ"), session(start="18:00", end="19:00")])],
        convocations=[convocation(release="2026-12-09", deadline="2026-12-08"),
                      convocation("C0002", priority="urgent", duration_min=-5)])
    problems = solve_doc(runner, tmp_path, doc)
    fields = [p.split(": ")[0] for p in problems]
    assert fields == ["centres[1] (LEU).rooms", "doctors[0] (D001).sessions[0].centre",
                      "doctors[0] (D001).sessions[1]", "convocations[0] (C0001).deadline",
                      "convocations[1] (C0002).priority", "convocations[1] (C0002).duration_min"]


def test_a_bad_centre_field_is_one_problem(runner: CliRunner, tmp_path: Path) -> None:
    problems = solve_doc(runner, tmp_path, tiny_week(centres=[centre(rooms=0)]))
    assert problems == ["centres[0] (BRU).rooms: must be at least 1, got 0"]


def test_a_patient_abroad_without_travel_times(runner: CliRunner, tmp_path: Path) -> None:
    conv = convocation(patient=patient(40.0, 2.0))
    del conv["travel_min"]
    (problem,) = solve_doc(runner, tmp_path, tiny_week(convocations=[conv]))
    assert problem.startswith("convocations[0] (C0001).patient:")
    assert "outside Belgium" in problem


def test_an_impossible_fixed_assignment(runner: CliRunner, tmp_path: Path) -> None:
    fixed = {"doctor": "D001", "centre": "BRU", "start": "2026-12-08T09:00"}
    (problem,) = solve_doc(runner, tmp_path, tiny_week(convocations=[convocation(fixed=fixed)]))
    assert problem.startswith("convocations[0] (C0001).fixed:")


def test_an_output_that_cannot_be_written(runner: CliRunner, tmp_path: Path) -> None:
    week = write(tmp_path / "week.json", tiny_week())
    out = tmp_path / "no" / "such" / "folder" / "s.json"
    (problem,) = errors(medex(runner, "solve", week, "--out", out, "--time-limit", "1",
                              "--quiet"))
    assert problem.startswith(f"{out}: cannot be written")
    (problem,) = errors(medex(runner, "demo-week", "--convocations", "5", "--out", out))
    assert problem.startswith(f"{out}: cannot be written")


@pytest.mark.parametrize(("value", "message"), [
    ("2026-12-08", "--week-start: 2026-12-08 is a Tuesday, not a Monday"),
    ("next week", "--week-start: expected a date YYYY-MM-DD, got 'next week'"),
])
def test_demo_week_with_a_bad_week_start(runner: CliRunner, tmp_path: Path, value: str,
                                         message: str) -> None:
    result = medex(runner, "demo-week", "--convocations", "5", "--week-start", value,
                   "--out", tmp_path / "w.json")
    assert errors(result) == [message]


def test_an_option_out_of_range_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    week = write(tmp_path / "week.json", tiny_week())
    result = medex(runner, "solve", week, "--out", tmp_path / "s.json", "--time-limit", "0")
    assert result.exit_code == 2
    assert "--time-limit" in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- demo and travel


def test_demo_runs_the_whole_loop(runner: CliRunner, tmp_path: Path) -> None:
    result = medex(runner, "demo", "--convocations", "30", "--seed", "2", "--time-limit", "2",
                   "--workdir", tmp_path)
    assert result.exit_code == 0, result.output
    assert "every rule holds" in result.stdout
    assert (tmp_path / "week.json").exists() and (tmp_path / "schedule.json").exists()


def test_travel_from_a_postcode_prints_a_table_of_centres(runner: CliRunner) -> None:
    result = medex(runner, "travel", "--from", "6600")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("From 6600")
    header = lines[1].split()
    assert header[:5] == ["#", "centre", "name", "mode", "min"]
    rows = lines[2:]
    assert len(rows) == 12
    assert {"BRU", "LIB", "ANT"} <= {r.split()[1] for r in rows}


def test_travel_from_an_unknown_postcode(runner: CliRunner) -> None:
    (problem,) = errors(medex(runner, "travel", "--from", "0000"))
    assert "0000" in problem and "postcode" in problem

"""The ``medex`` command line."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="medex",
    help="Plan Medex medical-expertise convocations.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Plan Medex medical-expertise convocations: who is examined by which doctor, where, when."""


def main() -> None:
    app()

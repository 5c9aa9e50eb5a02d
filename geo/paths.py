"""Where the shipped data files live (the one place that knows).

The project is installed editable, so ``data/`` sits next to the ``geo`` package in the
repository.  ``MEDEX_DATA_DIR`` overrides the location (e.g. a deployed copy).
"""

from __future__ import annotations

import os
from pathlib import Path

_ENV = "MEDEX_DATA_DIR"


def data_dir() -> Path:
    """The ``data/`` folder: ``$MEDEX_DATA_DIR`` if set, else ``<repo>/data``."""
    env = os.environ.get(_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "data"


def centres_csv() -> Path:
    return data_dir() / "centres" / "centres.csv"


def municipalities_csv() -> Path:
    return data_dir() / "places" / "municipalities.csv"


def postcode_localities_csv() -> Path:
    return data_dir() / "places" / "postcode_localities.csv"


def stations_csv() -> Path:
    return data_dir() / "rail" / "stations.csv"


def rail_edges_csv() -> Path:
    return data_dir() / "rail" / "rail_edges_gtfs2018.csv"

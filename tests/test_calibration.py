"""The chongqing_2024 preset reproduces the documented end-2024 bands (at a small seed count)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "calibration" / "calibrate.py"


@pytest.fixture(scope="module")
def calibration():
    spec = importlib.util.spec_from_file_location("calibrate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def per_seed(calibration):
    return calibration.evaluate([], range(4), processes=1)


def test_preset_lands_in_every_band(calibration, per_seed):
    assert calibration.check(per_seed) == []


def test_bands_are_the_documented_figures(calibration):
    assert calibration.BANDS == {
        "entities_cut": (0.48, 0.57),
        "groups": (36.0, 40.0),
        "revitalised_h1": (1.00, 1.10),
    }


def test_check_reports_a_miss(calibration, per_seed):
    shifted = per_seed.assign(groups=per_seed["groups"] + 5)
    assert calibration.check(shifted) == ["groups mean 43.000 outside [36.0, 40.0]"]


def test_counterfactual_misses_the_bands(calibration):
    per_seed = calibration.evaluate(["policy=no_reform"], range(2), processes=1)
    misses = calibration.check(per_seed)
    assert any(m.startswith("entities_cut") for m in misses)
    assert any(m.startswith("groups") for m in misses)

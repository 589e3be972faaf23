"""The dashboard: sliders generated from the parameter declarations, the model it builds, and the
page itself driven in headless Chromium (``soe-sim-dashboard`` on a free port).

The browser test needs Playwright (a dev dependency) and Debian's Chromium (``/usr/bin/chromium``;
``.ci/run`` installs it). Outside CI it is skipped when either is missing; in CI (``CI`` set) it
fails instead, so a CI run never passes without it.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.dashboard import levers as lv
from sim.dashboard.adapter import DashboardModel, dashboard_config
from sim.params import Parameter, Spec, walk

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
MESA_INPUTS = {"SliderInt", "SliderFloat", "Select", "Checkbox", "InputText"}
"""The input types Mesa's SolaraViz renders (``mesa.visualization.solara_viz.UserInputs``)."""


def _declared(path: str) -> Parameter:
    return next(p for p in walk(lv.SimConfig) if p.path == path)


# -- sliders from metadata ------------------------------------------------------------------------


def test_round_numbers() -> None:
    assert lv.nice(864, up=True) == 1000
    assert lv.nice(120_000, up=True) == 200_000
    assert lv.nice(0.19, up=False) == pytest.approx(0.1)
    assert lv.nice(2.0, up=True) == 2.0
    assert lv.nice(2.0, up=False) == 2.0
    with pytest.raises(ValueError):
        lv.nice(0.0, up=True)


def test_declared_range_is_the_slider_range() -> None:
    p = Parameter("policy.x.rate", "float", 0.3, Spec("share/month", "A rate", "lever", 0.0, 1.0))
    slider = lv.lever(p, 0.25)
    assert (slider.input, slider.low, slider.high, slider.value) == ("SliderFloat", 0.0, 1.0, 0.25)
    assert slider.step == pytest.approx(0.01)
    assert slider.label == "X: rate (share/month)"
    assert slider.help.startswith("A rate") and "[0, 1]" in slider.help
    assert slider.user_param() == {"type": "SliderFloat", "value": 0.25, "label": slider.label,
                                   "min": 0.0, "max": 1.0, "step": slider.step}  # fmt: skip


def test_open_bound_closes_at_a_round_multiple_of_the_value() -> None:
    p = Parameter("policy.y.per_month", "float", 40.0,
                  Spec("entities/month", "Pace", "lever", 0.0, None))  # fmt: skip
    slider = lv.lever(p, 136.0)
    assert (slider.low, slider.high) == (0.0, 1000.0)  # 4 x 136 = 544 -> 1000
    assert slider.step == 10.0
    both_open = lv.lever(Parameter("policy.y.shift", "float", 0.0, Spec("-", "m", "lever")), 3.0)
    assert (both_open.low, both_open.high) == (-20.0, 20.0)


def test_integer_bool_and_choice_parameters() -> None:
    layers = lv.lever(_declared("policy.slimming.max_layers"), 4)
    assert (layers.input, layers.low, layers.high, layers.step) == ("SliderInt", 1, 30, 1)
    assert all(isinstance(v, int) for v in (layers.low, layers.high, layers.step, layers.value))
    surge = lv.lever(_declared("policy.surge.enabled"), True)
    assert surge.input == "Checkbox" and surge.override(False) == "policy.surge.enabled=false"
    mode = lv.lever(_declared("policy.quality.merger_mode"), "absorb")
    assert mode.input == "Select" and mode.choices == ("absorb", "subsidiary")


def test_every_key_lever_follows_its_declaration() -> None:
    config = lv.default_config()
    for path, slider in lv.levers().items():
        spec = _declared(path).spec
        assert slider.input in MESA_INPUTS
        if slider.input not in ("SliderInt", "SliderFloat"):
            continue
        value = lv.value_at(config, path)
        assert slider.value == pytest.approx(value)
        if spec.low is not None:
            assert slider.low == spec.low
        if spec.high is not None:
            assert slider.high == spec.high
        else:  # closed at a round number at least four times the default scenario's value
            assert slider.high >= lv.MAGNIFY * abs(value)
        assert slider.low <= slider.value <= slider.high
        assert slider.step == 1 or 0 < slider.step <= (slider.high - slider.low) / 50
        assert spec.meaning in slider.help
        if spec.unit not in ("-", ""):
            assert slider.label.endswith(f"({spec.unit})")


def test_model_params_are_inputs_mesa_renders() -> None:
    params = lv.model_params()
    assert list(params)[:4] == ["policy", "population", "parks", "seed"]
    assert all(p["type"] in MESA_INPUTS for p in params.values())
    assert "chongqing_2024" in params["policy"]["values"]
    assert {"synthetic", "chongqing_2023"} <= set(params["population"]["values"])
    assert "roster" not in params["population"]["values"]  # needs a file: not offered
    assert "none" in params["parks"]["values"]


def test_a_slider_left_at_its_start_keeps_the_scenarios_value() -> None:
    values = {p: s.value for p, s in lv.levers().items()}
    gradual = dashboard_config({"policy": "gradual"}, None, values)
    assert gradual.moved == {} and gradual.problem is None
    assert (
        gradual.config.policy
        == lv.compose_config(*lv.default_overrides({"policy": "gradual"})).policy
    )
    values["policy.slimming.max_layers"] = 2
    moved = dashboard_config({"policy": "gradual"}, "7", values)
    assert moved.moved == {"policy.slimming.max_layers": 2}
    assert moved.config.policy.slimming.max_layers == 2 and moved.config.seed == 7


def test_refused_inputs_are_reported_and_the_presets_run() -> None:
    composed = dashboard_config({}, "not a number", {"policy.slimming.max_layers": 99})
    assert composed.problem is not None
    assert "seed" in composed.problem and "max_layers" in composed.problem
    default = lv.default_config().policy.slimming.max_layers
    assert composed.config.policy.slimming.max_layers == default


def test_dashboard_model_steps_and_stops_at_its_last_month() -> None:
    model = DashboardModel(
        population="synthetic", parks="none", **{"policy.slimming.max_layers": 3}
    )
    assert model.config.policy.slimming.max_layers == 3 and model.parks is None
    assert model.start_groups.size == len(model.groups())
    for _ in range(model.config.months):
        assert model.running
        model.step()
    assert not model.running and model.month == model.config.months


def test_without_solara_the_command_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from sim import entry

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "solara" else real(name, *a))  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["soe-sim-dashboard"])
    with pytest.raises(SystemExit) as stop:
        entry.soe_sim_dashboard()
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[0]] and "uv run --extra dashboard soe-sim-dashboard" in err[0]


# -- the page in a browser ------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    """Skip outside CI; in CI the browser test must run, so fail."""
    if os.environ.get("CI"):
        pytest.fail(f"the dashboard browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if path is None:
        _unavailable("Chromium is not installed (Debian: apt-get install chromium)")
    assert path is not None
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("soe-sim-dashboard")
    if script.exists():
        return [str(script), "--port", str(port)]
    code = "import sys; from sim.entry import soe_sim_dashboard as m; sys.argv[0] = 'x'; m()"
    return [sys.executable, "-c", code, "--port", str(port)]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Path]]:
    """``soe-sim-dashboard`` on a free port, once it answers: (URL, its output file)."""
    try:
        from sim.dashboard import assets

        assets.fill()  # Solara's browser files, from the npm registry when the cache lacks them
    except ImportError as err:
        _unavailable(f"the dashboard extra is not installed ({err})")
    except RuntimeError as err:
        _unavailable(str(err))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="soe-dashboard-")) / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            _command(port),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=Path(__file__).parents[1],
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"soe-sim-dashboard exited ({proc.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"soe-sim-dashboard did not answer at {url}:\n{log.read_text()}")
            time.sleep(0.5)
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_page_runs_the_model_in_a_browser(server: tuple[str, Path]) -> None:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (uv sync installs the dev group)")
    chromium = _chromium()
    url, log = server
    assert f"soe-sim dashboard at {url}" in log.read_text()  # the command prints its URL
    layers = lv.levers()["policy.slimming.max_layers"]
    assert layers.step is not None
    moved_to = int(layers.value) - 2 * int(layers.step)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            month = page.locator(".soe-month")
            expect(month).to_contain_text("Month 0 of 36", timeout=90_000)
            chart = page.locator(".soe-headline img")
            expect(chart).to_be_visible(timeout=30_000)
            first_chart = chart.get_attribute("src")
            assert first_chart

            # A lever slider generated from its declaration: move it two steps down.
            slider = page.locator(".v-input", has_text=layers.label).locator("[role=slider]")
            expect(slider).to_have_attribute("aria-valuemin", str(layers.low))
            expect(slider).to_have_attribute("aria-valuemax", str(layers.high))
            expect(slider).to_have_attribute("aria-valuenow", str(layers.value))
            slider.focus()
            slider.press("ArrowLeft")
            slider.press("ArrowLeft")
            expect(slider).to_have_attribute("aria-valuenow", str(moved_to))

            # Reset builds a new model from the inputs: the lever is in effect.
            page.get_by_role("button", name="Reset").click()
            lever_row = page.locator(".soe-lever-table tr", has_text=layers.label)
            expect(lever_row).to_contain_text(f"{moved_to} (moved)", timeout=30_000)

            # Three months, one Step each: the month, the charts and the milestones follow.
            for k in range(1, 4):
                page.get_by_role("button", name="Step").click()
                expect(month).to_contain_text(f"Month {k} of 36", timeout=30_000)
            expect(chart).not_to_have_attribute("src", first_chart, timeout=30_000)
            expect(page.locator(".soe-month")).to_contain_text("(2024-03)")
            summary = page.locator(".soe-summary")
            expect(summary).to_contain_text("as of 2024-03")
            due = page.locator(".soe-milestone-table tr", has_text="2024-03")
            assert due.count() > 0
            for row in due.all():
                assert any(s in row.inner_text() for s in ("met", "missed")), row.inner_text()
            now_entities = page.locator(".soe-headline-table tr", has_text="Legal entities")
            start, now = now_entities.locator("td").nth(1), now_entities.locator("td").nth(2)
            assert start.inner_text() != now.inner_text()  # the plan cut legal entities

            # The other tabs: a group's tree before and now, and the zones of the park reform.
            page.get_by_role("tab", name="Ownership tree").click()
            expect(page.locator(".soe-tree-chart img")).to_be_visible(timeout=30_000)
            page.get_by_role("tab", name="Development zones").click()
            counts = page.locator(".soe-zone-counts")
            expect(counts).to_contain_text("Development zones", timeout=30_000)
            expect(counts).to_contain_text("Tax per mu")
            expect(page.locator(".soe-zone-table tr")).not_to_have_count(0)
        finally:
            browser.close()
    assert not errors, errors
    assert "Traceback" not in log.read_text(), log.read_text()


def test_slider_steps_are_round() -> None:
    for slider in lv.levers().values():
        if slider.step is not None:
            mantissa = slider.step / 10 ** math.floor(math.log10(slider.step))
            assert round(mantissa, 9) in (1.0, 2.0, 5.0), slider

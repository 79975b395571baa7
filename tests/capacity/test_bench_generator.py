"""The backtest's traffic generator is independent of the forecast: no import of it, and not its curve."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from bench import campaign_traffic
from capacity.response import fit, shape

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_generator_imports_neither_capacity_nor_the_simulator() -> None:
    used = _imports(ROOT / "bench" / "campaign_traffic.py")
    assert used <= {"__future__", "dataclasses", "numpy"}, used


def test_the_generators_answer_is_not_the_forecasts_curve_family() -> None:
    """The mean answer of many campaigns, fitted with the forecast's own curve, leaves a large misfit: the
    backtest cannot be passed by recovering the generator's parameters."""
    rng = np.random.default_rng(7)
    n = 2 * 1440
    total = np.zeros(n)
    for _ in range(20):
        total += campaign_traffic.campaign_requests(n, 0, 200_000, 0.02, 8, 0, rng, 0.0, 0.0)
    rps = total / 20 / 60
    window = rps[:720]
    lag, rise, decay, amp = fit(window, 1.0)
    best = amp * shape(np.arange(720) + 0.5, lag, rise, decay)
    misfit = float(np.linalg.norm(window - best) / np.linalg.norm(window))
    assert misfit > 0.1
    assert rps[720:].sum() > 0.1 * rps.sum()  # a long tail beyond 12 hours (the next morning)


def test_flops_bring_almost_nothing_not_even_mail_scanners() -> None:
    rng = np.random.default_rng(3)
    site = campaign_traffic.site(rng, 16, [3, 6, 9, 12, 15], flop_chance=1.0)
    flops = [c for c in site.campaigns if c["flop"]]
    assert len(flops) == 4 and not site.campaigns[-1]["flop"]
    real = site.campaign_requests[site.campaigns[-1]["start_minute"]:][:1440].sum()
    for c in flops:
        assert site.campaign_requests[c["start_minute"]:][:1440].sum() < 0.05 * real

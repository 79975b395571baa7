"""The ``simulate`` command: write a scenario's access log, campaign calendar and truth labels to files.

Truth file (JSON object): ``{"scenario", "seed", "site", "start", "end", "utc_offset": "+0900",
"lines", "truth": [{"label", "start", "end", "campaign", "looks_like"}]}``, times ISO 8601 UTC with Z.
Campaigns file: a JSON list of campaign objects in the campaign JSON schema.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from simulate.logline import offset_text
from simulate.scenarios import SCENARIOS, Simulation, build


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def truth_document(sim: Simulation, lines: int) -> dict:
    return {
        "scenario": sim.scenario, "seed": sim.seed, "site": sim.site, "start": _iso(sim.start), "end": _iso(sim.end),
        "utc_offset": offset_text(sim.utc_offset_minutes), "lines": lines,
        "truth": [{"label": t.label, "start": _iso(t.start), "end": _iso(t.end), "campaign": t.campaign,
                   "looks_like": t.looks_like} for t in sim.truth],
    }


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def run(scenario: str, *, seed: int, out: Path, campaigns_out: Path | None = None, truth_out: Path | None = None,
        history_hours: float = 4.0, surge_hours: float = 2.0, base_rps: float | None = None,
        scale: float | None = None) -> int:
    """Exit code 0 on success, 2 on a bad argument or an unwritable output, with the reason on stderr."""
    if scenario not in SCENARIOS:
        print(f"simulate: unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    if history_hours < 0 or surge_hours <= 0:
        print("simulate: --history-hours must be >= 0 and --surge-hours > 0", file=sys.stderr)
        return 2
    sim = build(scenario, seed, history_hours=history_hours, surge_hours=surge_hours, base_rps=base_rps,
                scale=scale)
    try:
        lines = sim.write(out)
        if campaigns_out:
            _write_json(campaigns_out, sim.campaigns)
        if truth_out:
            _write_json(truth_out, truth_document(sim, lines))
    except OSError as exc:
        print(f"simulate: cannot write {exc.filename or out}: {exc.strerror}; choose a writable path",
              file=sys.stderr)
        return 2
    labels = ", ".join(f"{t.label} {t.start:%H:%M}-{t.end:%H:%M}Z" + (f" ({t.campaign})" if t.campaign else "")
                       for t in sim.truth) or "no surge"
    print(f"simulate {scenario} seed={seed}: {lines} lines {_iso(sim.start)}..{_iso(sim.end)} "
          f"(log offset {offset_text(sim.utc_offset_minutes)}), {len(sim.campaigns)} campaign(s), "
          f"truth: {labels} -> {out}", file=sys.stderr)
    return 0

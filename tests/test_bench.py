"""scripts/bench.py in its tiny configuration: proves the benchmark runs, end to end.

The figures are not checked (speed targets are the benchmark's business, never a
test's); what is checked is that every scenario ran against both relays, produced
numbers, and that everything the benchmark started was stopped.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_every_scenario(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    done = subprocess.run(
        [sys.executable, "scripts/bench.py", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "targets met" in done.stdout
    report = json.loads((tmp_path / "results.json").read_text())
    results = report["results"]
    relays = {"throughput", "paced_loaded", "paced_light", "idle_waiting", "idle_matched", "burst"}
    for scenario in relays:
        for metric, by_target in results[scenario].items():
            assert set(by_target) == {"raw", "helpline"}, (scenario, metric)
            for values in by_target.values():
                assert values, (scenario, metric)
                assert all(math.isfinite(v) for v in values), (scenario, metric)
    assert results["throughput"]["frames_per_s"]["helpline"][0] > 0
    assert results["paced_loaded"]["p99_ms"]["helpline"][0] > 0
    assert len(results["queue_scaling"]["join_p50_ms"]) == 2  # two queue lengths
    assert len(results["queue_core"]["join_us"]) == 2
    assert report["targets"]
    assert {check["result"] for check in report["targets"]} <= {"met", "NOT MET"}
    # Nothing it started is still running: servers and load generators were stopped.
    assert report["processes"]
    for pid in report["processes"]:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)

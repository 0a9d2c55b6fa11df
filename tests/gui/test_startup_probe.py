"""The start-up timing hook that benchmarks/startup.py relies on, in a real ``python -m jacgui``.

This is the application as users run it: ``main()`` starts its engine process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_timing_file_records_start_up_in_order_and_app_quits_after_first_heatmap(
        tmp_path: Path) -> None:
    timing = tmp_path / "timing.txt"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "3",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(ROOT),
           "JACGUI_TIMING_FILE": str(timing), "JACGUI_EXIT_AFTER_FIRST_RESULT": "1"}
    proc = subprocess.run([sys.executable, "-m", "jacgui"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = [line.split() for line in timing.read_text().splitlines()]
    names = [name for name, _ in events]
    assert names == ["main", "app_created", "window_built", "shown", "painted", "tf_ready",
                     "model_loaded", "first_result"]
    times = [float(t) for _, t in events]
    assert times == sorted(times)

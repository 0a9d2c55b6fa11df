"""The headless command line: summaries, exports, exit codes, and no Qt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jacgui.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "resources" / "models"
QUADRATIC = MODELS / "quadratic.py"
VECTOR = MODELS / "textbook_vector.py"


def _vector_truth(x):
    blocks = [np.diag(2 * x), np.diag(np.cos(x)), np.diag(np.exp(x))]
    return np.concatenate(blocks)  # output (3, 3) flattened row-major: x^2, sin, exp


def test_compute_prints_shape_method_time_and_max_cell(capsys):
    assert main(["compute", str(QUADRATIC)]) == 0
    out = capsys.readouterr().out
    assert "1 x 1" in out and "method: reverse" in out and "max |J| = 6 " in out
    assert " ms in 1 chunk" in out


@pytest.mark.parametrize("suffix", [".npy", ".csv", ".npz", ".json"])
def test_compute_out_formats_hold_the_matrix(tmp_path, capsys, suffix):
    out = tmp_path / f"j{suffix}"
    assert main(["compute", str(VECTOR), "--method", "fd-central", "--out", str(out)]) == 0
    expected = _vector_truth(np.array([1.0, 2.0, 3.0]))
    if suffix == ".npy":
        matrix = np.load(out)
    elif suffix == ".csv":
        rows = out.read_text().splitlines()
        assert rows[0].split(",")[1:] == ["x0", "x1", "x2"] or len(rows[0].split(",")) == 4
        matrix = np.array([[float(v) for v in r.split(",")[1:]] for r in rows[1:]])
    elif suffix == ".npz":
        data = np.load(out)
        matrix = data["matrix"]
        assert data["error_estimate"].shape == (9, 3) and data["steps"].shape == (3,)
        assert json.loads(str(data["metadata"]))["method"] == "fd-central"
    else:
        doc = json.loads(out.read_text())
        matrix = np.array(doc["matrix"], dtype=float)
        assert doc["method"] == "fd-central" and len(doc["output_labels"]) == 9
    np.testing.assert_allclose(matrix, expected, atol=1e-7)


def test_point_file_overrides_the_default(tmp_path, capsys):
    point = tmp_path / "p.json"
    point.write_text("[0.5, 1.5, -1.0]")
    out = tmp_path / "j.npy"
    assert main(["compute", str(VECTOR), "--point", str(point), "--out", str(out)]) == 0
    np.testing.assert_allclose(np.load(out), _vector_truth(np.array([0.5, 1.5, -1.0])),
                               rtol=1e-5, atol=1e-6)


def test_info_lists_inputs_outputs_and_point(capsys):
    assert main(["info", str(VECTOR)]) == 0
    out = capsys.readouterr().out
    assert "input  x (3,) float32" in out and "output" in out and "[1., 2., 3.]" in out


@pytest.mark.parametrize("args, message", [
    (["compute", "missing.keras"], "no such file"),
    (["compute", "QUAD", "--method", "fd-central", "--step", "0"], "step"),
    (["compute", "QUAD", "--out", "j.xlsx"], "cannot export"),
    (["compute", "QUAD", "--memory", "0.000001"], "memory budget"),
    (["compute", "QUAD", "--point", "BADPOINT"], "expects"),
])
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, args, message):
    (tmp_path / "bad.json").write_text("[1, 2]")
    args = [str(QUADRATIC) if a == "QUAD" else str(tmp_path / "bad.json") if a == "BADPOINT"
            else str(tmp_path / a) if a == "j.xlsx" else a for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jacgui: error:") and message in err and "\n" not in err


def test_subprocess_bad_file_has_no_traceback_and_loads_no_qt(tmp_path):
    bad = tmp_path / "broken.keras"
    bad.write_bytes(os.urandom(64))
    code = (
        "import sys; from jacgui.cli import main; rc = main(sys.argv[1:]);"
        "assert not any(m.startswith(('PySide6', 'pyqtgraph', 'superqt')) for m in sys.modules);"
        "sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code, "compute", str(bad)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "broken.keras" in proc.stderr


def test_core_never_imports_qt():
    code = (
        "import sys, jacgui, jacgui.core, jacgui.cli, jacgui.bench;"
        "from jacgui.core import engine, loading, points, export, cell, views, safety;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph', 'superqt', 'qtpy') or m.startswith('jacgui.gui')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_fd_plain_and_richardson_are_named_in_the_method_line(capsys):
    assert main(["compute", str(VECTOR), "--method", "fd-central"]) == 0
    assert "Richardson-extrapolated central differences" in capsys.readouterr().out
    assert main(["compute", str(VECTOR), "--method", "fd-central", "--fd-plain"]) == 0
    out = capsys.readouterr().out
    assert "plain central differences" in out and "largest FD error estimate" in out
    # A ReLU CNN gets the plain difference unless extrapolation is forced.
    cnn = str(MODELS / "digits_cnn.keras")
    assert main(["compute", cnn, "--method", "fd-central"]) == 0
    assert "not extrapolated: the model has kinks (MaxPool, Relu)" in capsys.readouterr().out
    assert main(["compute", cnn, "--method", "fd-central", "--fd-richardson"]) == 0
    assert "Richardson-extrapolated" in capsys.readouterr().out


def test_help_names_the_window_form_and_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: jacgui [MODEL] [--point FILE] [--unsafe]")
    for command in ("compute", "info", "bench", "analyse"):
        assert command in text
    with pytest.raises(SystemExit):
        main(["info", "--help"])
    assert capsys.readouterr().out.startswith("usage: jacgui info ")

"""``jacgui compute --points/--sample`` and ``jacgui analyse`` against known answers.

textbook_vector.py is f(x) = [x^2, sin x, exp x] (x in R^3), so J(x) = [diag(2x); diag(cos x);
diag(exp x)] and J^T J = diag(4x^2 + cos^2 x + exp(2x)): its singular values are known, and so
is the mean of J over any set of points. The CLI runs AD in float32, hence rtol 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jacgui.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "resources" / "models"
QUADRATIC = MODELS / "quadratic.py"
VECTOR = MODELS / "textbook_vector.py"
BOREHOLE = MODELS / "borehole.keras"
DIGITS = MODELS / "digits_cnn.keras"
BOREHOLE_BOX = {"rw": [0.05, 0.15], "r": [100, 50000], "Tu": [63070, 115600],
                "Hu": [990, 1110], "Tl": [63.1, 116], "Hl": [700, 820], "L": [1120, 1680],
                "Kw": [9855, 12045]}


def _jacobian(x):
    return np.concatenate([np.diag(2 * x), np.diag(np.cos(x)), np.diag(np.exp(x))])


def _error_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jacgui: error: ") and "Traceback" not in err
    return err


@pytest.mark.parametrize("aggregate", ["mean", "std"])
def test_points_file_aggregates_match_numpy(tmp_path, capsys, aggregate):
    points = np.random.default_rng(0).uniform(-1, 2, (7, 3))
    np.save(tmp_path / "p.npy", points)
    out = tmp_path / "agg.json"
    assert main(["compute", str(VECTOR), "--points", str(tmp_path / "p.npy"),
                 "--aggregate", aggregate, "--out", str(out)]) == 0
    stack = np.stack([_jacobian(x) for x in points])
    expected = stack.mean(0) if aggregate == "mean" else stack.std(0, ddof=1)
    doc = json.loads(out.read_text())
    np.testing.assert_allclose(np.array(doc["matrix"], float), expected, rtol=1e-5, atol=1e-6)
    assert doc["n_samples"] == 7 and doc["aggregate"] == aggregate and doc["sampling"] is None
    assert doc["input_labels"] == ["x0", "x1", "x2"] and doc["output_labels"][3] == "sin(x0)"
    assert np.array(doc["standard_error"], float).shape == (9, 3)
    assert "global sensitivity over 7 points" in capsys.readouterr().out


def test_sample_in_bounds_estimates_the_mean_derivative(tmp_path, capsys):
    # f = (x + 1)^2 on [0, 1]: E[f'] = E[2x + 2] = 3, and f' has standard deviation 2/sqrt(12).
    (tmp_path / "b.json").write_text(json.dumps({"x": [0.0, 1.0]}))
    out = tmp_path / "m.npz"
    assert main(["compute", str(QUADRATIC), "--sample", "256", "--bounds",
                 str(tmp_path / "b.json"), "--seed", "4", "--aggregate", "mean",
                 "--out", str(out)]) == 0
    data = np.load(out)
    meta = json.loads(str(data["metadata"]))
    assert meta["n_samples"] == 256 and meta["seed"] == 4 and meta["sampling"] == "sobol"
    assert abs(data["matrix"][0, 0] - 3.0) <= 4 * data["standard_error"][0, 0]
    # The bootstrap SE treats the points as independent: std / sqrt(N) within its own noise.
    assert data["standard_error"][0, 0] == pytest.approx(2 / np.sqrt(12) / np.sqrt(256), rel=0.2)
    np.testing.assert_allclose(data["conf"], 1.959963984540054 * data["standard_error"])
    out_text = capsys.readouterr().out
    assert "(sobol, seed 4)" in out_text and "warning" not in out_text


def test_sobol_sample_of_the_wrong_size_warns_in_one_line(tmp_path, capsys):
    (tmp_path / "b.json").write_text(json.dumps({"x": [0.0, 1.0]}))
    assert main(["compute", str(QUADRATIC), "--sample", "200", "--bounds",
                 str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "warning: 200 is not a power of 2, so the Sobol points are not balanced and " \
           "converge more slowly; use 128 or 256\n" in out


def test_borehole_dgsm_ranks_rw_first_and_writes_csv_and_npy(tmp_path, capsys):
    (tmp_path / "b.json").write_text(json.dumps(BOREHOLE_BOX))
    csv_out, npy_out = tmp_path / "d.csv", tmp_path / "d.npy"
    args = ["compute", str(BOREHOLE), "--sample", "64", "--bounds", str(tmp_path / "b.json"),
            "--sampling", "uniform", "--aggregate", "dgsm"]
    assert main([*args, "--out", str(csv_out)]) == 0
    out = capsys.readouterr().out
    # rw dominates the borehole function (total Sobol index ~0.87; the next is ~0.04).
    assert out.splitlines()[2].strip().startswith("d water flow [m^3/yr] / d rw:")
    assert "total Sobol index bounds for water flow [m^3/yr]: rw " in out
    rows = csv_out.read_text().splitlines()
    assert rows[0] == ("output,input,dgsm,dgsm_conf,dgsm_se,dgsm_share,dgsm_share_conf,"
                       "dgsm_variance_bound,dgsm_variance_bound_conf,total_index_bound,"
                       "total_index_bound_conf")
    assert len(rows) == 1 + 8 and rows[1].startswith("water flow [m^3/yr],rw,")
    assert main([*args, "--out", str(npy_out)]) == 0
    assert np.load(npy_out).shape == (1, 8)


def test_borehole_dgsm_bounds_lie_above_the_true_total_sobol_indices(tmp_path, capsys):
    # Total indices of the closed-form borehole function, by Jansen's estimator with 400,000
    # base samples (Monte Carlo error ~0.002). (b-a)^2 nu / (pi^2 Var f) bounds them from above;
    # the surrogate's own error is ~0.1 %, and 512 LHS points give the bound to ~3 %.
    total = np.array([0.868, 0.0, 0.0, 0.054, 0.0, 0.054, 0.053, 0.013])
    (tmp_path / "b.json").write_text(json.dumps(BOREHOLE_BOX))
    out = tmp_path / "d.json"
    assert main(["compute", str(BOREHOLE), "--sample", "512", "--bounds",
                 str(tmp_path / "b.json"), "--aggregate", "dgsm", "--out", str(out)]) == 0
    bound = np.array(json.loads(out.read_text())["total_index_bound"][0])
    assert np.all(bound >= total - 0.003)
    assert np.all(bound <= 1.5 * total + 0.001)  # and the bound is tight enough to be useful


@pytest.mark.parametrize("extra,message", [
    (["--sample", "10"], "--sample needs --bounds"),
    (["--bounds", "b.json"], "--bounds needs --sample"),
    (["--sample", "10", "--bounds", "b.json", "--method", "fd-central"], "automatic differ"),
    (["--sample", "10", "--bounds", "missing.json"], "cannot read missing.json"),
    (["--sample", "0", "--bounds", "b.json"], "number of samples must be a whole number >= 1"),
])
def test_many_point_user_errors_exit_2_with_one_line(tmp_path, capsys, monkeypatch, extra,
                                                     message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.json").write_text("[[0, 1]]")
    assert main(["compute", str(QUADRATIC), *extra]) == 2
    assert message in _error_line(capsys)


def test_points_and_sample_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compute", str(QUADRATIC), "--points", "p.npy", "--sample", "3"])
    assert stop.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_analyse_svd_prints_the_known_singular_values(capsys):
    assert main(["analyse", str(VECTOR), "--svd", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    x = np.array([1.0, 2.0, 3.0])
    expected = np.sort(np.sqrt(4 * x**2 + np.cos(x) ** 2 + np.exp(2 * x)))[::-1]
    shown = [float(v) for v in out[0].split(":")[1].split(",")]
    np.testing.assert_allclose(shown, expected, rtol=1e-5)
    assert out[1].startswith("condition number: ") and float(out[1].split()[2]) == \
        pytest.approx(expected[0] / expected[-1], rel=1e-5)
    assert out[2].startswith("v1 (s = ") and "x2 +1.000" in out[2]  # v1 = e_x2


def test_analyse_compare_agrees_and_names_cells(tmp_path, capsys):
    out_file = tmp_path / "c.json"
    assert main(["analyse", str(BOREHOLE), "--compare", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert "100.0% (8 of 8)" in out and "d water flow [m^3/yr] / d " in out
    doc = json.loads(out_file.read_text())
    assert doc["ad_dtype"] == "float32" and doc["fd_dtype"] == "float64"


def test_analyse_sweep_by_labels(tmp_path, capsys):
    out_file = tmp_path / "s.csv"
    assert main(["analyse", str(VECTOR), "--sweep", "sin(x1)", "x1", "--out",
                 str(out_file)]) == 0
    out = capsys.readouterr().out
    assert f"AD value {np.cos(2.0):.10g}" in out
    assert "\nfloat32: smallest error" in out and "\nfloat64: smallest error" in out
    rows = out_file.read_text().splitlines()
    assert len(rows) == 46 and rows[0].startswith("relative_step,h_float32,")


def test_analyse_slice_trust_radius_of_the_quadratic(tmp_path, capsys):
    # f = (x + 1)^2 at x = 2: t^2 <= 0.01 (3 + t)^2  <=>  -3/11 <= t <= 1/3; grid step 0.02.
    out_file = tmp_path / "s.json"
    assert main(["analyse", str(QUADRATIC), "--slice", "0", "x", "--range", "1",
                 "--out", str(out_file)]) == 0
    assert "tangent within 1% for t in [-0.26, 0.32]" in capsys.readouterr().out
    doc = json.loads(out_file.read_text())
    assert 1 / 3 - 0.02 < doc["t_plus"] <= 1 / 3 and -3 / 11 <= doc["t_minus"] < -3 / 11 + 0.02


@pytest.mark.parametrize("extra,message", [
    (["--slice", "0", "7"], "out of range"),
    (["--sweep", "nope", "0"], "no output labelled 'nope'"),
    (["--svd", "2", "--range", "1"], "--range applies to --slice only"),
    (["--svd", "0"], "k must be at least 1"),
])
def test_analyse_user_errors_exit_2(capsys, extra, message):
    assert main(["analyse", str(QUADRATIC), *extra]) == 2
    assert message in _error_line(capsys)


def test_analyse_needs_exactly_one_analysis(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["analyse", str(QUADRATIC)])
    assert stop.value.code == 2 and "one of the arguments" in capsys.readouterr().err


ISHIGAMI_PY = '''import tensorflow as tf

INPUT_SHAPE = (3,)
POINT = [0.0, 0.0, 0.0]


def f(x):
    return tf.stack([tf.sin(x[0]) + 7.0 * tf.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * tf.sin(x[0])])
'''


def test_analyse_sobol_json_holds_the_indices_of_ishigami(tmp_path, capsys):
    # Closed form (a = 7, b = 0.1): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437. The
    # truth must lie within 1.5x the reported 95 % half-width (P(miss) ~ 0.3 % per index).
    model = tmp_path / "ishigami.py"
    model.write_text(ISHIGAMI_PY)
    (tmp_path / "b.json").write_text(json.dumps([[-np.pi, np.pi]] * 3))
    out = tmp_path / "s.json"
    assert main(["analyse", str(model), "--sobol", "2048", "--bounds", str(tmp_path / "b.json"),
                 "--seed", "5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "N = 2048 (scrambled Sobol, seed 5), 10240 model evaluations" in printed
    assert "  x[0]: S1 = 0.3" in printed  # x[0] has the largest ST, so it is listed first
    doc = json.loads(out.read_text())
    assert doc["n_samples"] == 2048 and doc["evaluations"] == 10240 and doc["seed"] == 5
    assert doc["input_labels"] == ["x[0]", "x[1]", "x[2]"] and len(doc["output_labels"]) == 1
    for key, truth in (("S1", [0.3139, 0.4424, 0.0]), ("ST", [0.5576, 0.4424, 0.2437])):
        value, conf = np.array(doc[key]), np.array(doc[f"{key}_conf"])
        assert value.shape == conf.shape == (1, 3)
        assert np.all(np.abs(value[0] - truth) <= 1.5 * conf[0]), (key, value, conf)


def test_analyse_sobol_csv_has_one_labelled_row_per_cell(tmp_path, capsys):
    # textbook_vector: output "x1^2" depends on x1 alone, so S1 = ST = 1 for (x1^2, x1) and 0
    # for every other input; a constant contribution cannot appear.
    (tmp_path / "b.csv").write_text("x0,0,1\nx1,1,2\nx2,-1,1\n")
    out = tmp_path / "s.csv"
    assert main(["analyse", str(VECTOR), "--sobol", "256", "--bounds", str(tmp_path / "b.csv"),
                 "--out", str(out)]) == 0
    rows = [line.split(",") for line in out.read_text().splitlines()]
    assert rows[0] == ["output", "input", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(rows) == 1 + 9 * 3
    for output, label, s1, _, st, _ in rows[1:]:
        expected = 1.0 if label in output else 0.0  # "sin(x1)" and "x1^2" hold "x1"
        assert float(s1) == pytest.approx(expected, abs=0.02), (output, label)
        assert float(st) == pytest.approx(expected, abs=0.02), (output, label)


def test_integrated_gradients_of_the_digits_cnn_to_npy_and_png(tmp_path, capsys):
    npy, png = tmp_path / "ig.npy", tmp_path / "ig.png"
    args = ["analyse", str(DIGITS), "--integrated-gradients", "--row", "3", "--steps", "64"]
    assert main([*args, "--out", str(npy)]) == 0
    out = capsys.readouterr().out
    attributions = np.load(npy)
    assert attributions.shape == (28, 28, 1)
    f_x = float(out.split("f(x) = ")[1].split(",")[0])
    f_0 = float(out.split("f(baseline) = ")[1].split(",")[0])
    # Completeness: the attributions add up to f(x) - f(0) within 1 % at 64 nodes.
    assert abs(attributions.sum() - (f_x - f_0)) <= 0.01 * abs(f_x - f_0)
    assert main([*args, "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_smoothgrad_of_a_one_element_input_is_the_plain_gradient(tmp_path, capsys):
    # quadratic at x = 2: f' = 6; a one-element input has range 0, so sigma = 0 (said once).
    out = tmp_path / "s.json"
    assert main(["analyse", str(QUADRATIC), "--smoothgrad", "--samples", "8", "--out",
                 str(out)]) == 0
    assert "warning: the input is constant at the point" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["mean_gradient"] == [6.0] and doc["standard_error"] == [0.0]
    assert doc["samples"] == 8 and doc["sigma"] == 0.0


@pytest.mark.parametrize("extra,message", [
    (["--sobol", "64"], "--sobol needs --bounds"),
    (["--sobol", "100", "--bounds", "b.json"], "N must be a power of 2"),
    (["--sobol", "64", "--bounds", "b.json", "--point", "p.json"], "drop --point"),
    (["--svd", "1", "--bounds", "b.json"], "--bounds applies to --sobol only"),
    (["--smoothgrad", "--steps", "4"], "--steps applies to --integrated-gradients only"),
    (["--compare", "--row", "0"], "--row applies to --integrated-gradients and --smoothgrad"),
    (["--svd", "1", "--out", "a.png"], "a .png map is drawn for --integrated-gradients"),
    (["--integrated-gradients", "--out", "a.png"], "a .png map needs an image input"),
    (["--integrated-gradients", "--row", "3"], "output index 3 is out of range"),
    (["--integrated-gradients", "--baseline", "nope.npy"], "no such file: nope.npy"),
    (["--smoothgrad", "--noise", "-1"], "noise must be a number >= 0"),
])
def test_new_analyses_user_errors_exit_2_with_one_line(tmp_path, capsys, monkeypatch, extra,
                                                       message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.json").write_text("[[0, 1]]")
    (tmp_path / "p.json").write_text("[1.0]")
    assert main(["analyse", str(QUADRATIC), *extra]) == 2
    assert message in _error_line(capsys)
    assert not (tmp_path / "a.png").exists()

"""Sampling, bounds files and global derivative-based sensitivity against closed forms.

Ishigami, f = sin x1 + a sin^2 x2 + b x3^4 sin x1 with x ~ U[-pi, pi]^3 (a = 7, b = 0.1):
    nu_1 = E[cos^2 x1 (1 + b x3^4)^2] = (1 + 2b pi^4/5 + b^2 pi^8/9) / 2
    nu_2 = E[a^2 sin^2 2x2]           = a^2 / 2
    nu_3 = E[16 b^2 x3^6 sin^2 x1]    = 8 b^2 pi^6 / 7
using E[x^4] = pi^4/5, E[x^6] = pi^6/7, E[x^8] = pi^8/9 on [-pi, pi]. Each estimate must lie
within 4 standard errors (std/sqrt(N), conservative for a Latin hypercube): a wrong derivative
or normalisation misses by far more, while a correct one fails with probability < 1e-4.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from jacgui.core import CancelToken, JacobianCancelled
from jacgui.core.analysis import global_sensitivity, read_bounds, sample_box, save_analysis
from jacgui.core.autodiff import TRACE_COUNTS
from jacgui.core.errors import JacguiError, JacobianTooLargeError
from jacgui.core.spec import TensorInfo

from .analysis_models import ISHIGAMI_A as A, ISHIGAMI_B as B, ishigami, linear

PI = np.pi
BOX = np.array([[-PI, PI]] * 3)


@pytest.fixture(scope="module")
def ishigami_result():
    points = sample_box(BOX, 4000, "lhs", seed=11)
    return global_sensitivity(ishigami(), points, bounds=BOX,
                              provenance={"sampling": "lhs", "seed": 11})


def test_ishigami_dgsm_matches_the_closed_form(ishigami_result):
    g = ishigami_result
    truth = np.array([0.5 * (1 + 2 * B * PI**4 / 5 + B**2 * PI**8 / 9), A**2 / 2,
                      8 * B**2 * PI**6 / 7])
    assert g.n_samples == 4000 and g.method == "reverse"
    assert np.all(np.abs(g.dgsm[0] - truth) <= 4 * g.se_dgsm[0]), (g.dgsm, truth, g.se_dgsm)
    # Standard errors are informative: a few percent of the values, not blanket huge.
    assert np.all(g.se_dgsm[0] < 0.05 * truth)
    np.testing.assert_allclose(g.dgsm_share.sum(axis=1), 1.0, rtol=1e-12)
    # E[df/dx2] = 0 by symmetry; the mean is within sampling error of it.
    assert abs(g.mean[0, 1]) <= 4 * g.se_mean[0, 1]


def test_ishigami_dgsm_bounds_the_known_total_sobol_indices(ishigami_result):
    g = ishigami_result
    variance = A**2 / 8 + B * PI**4 / 5 + B**2 * PI**8 / 18 + 0.5
    total = np.array([0.5 * (1 + B * PI**4 / 5) ** 2 + 8 * B**2 * PI**8 / 225,
                      A**2 / 8, 8 * B**2 * PI**8 / 225]) / variance  # Sobol total indices
    assert g.output_var[0] == pytest.approx(variance, rel=0.05)
    assert np.all(g.total_index_bound[0] >= total)
    # bound = (2 pi)^2 nu / (pi^2 Var f) = 4 nu / Var f
    np.testing.assert_allclose(g.dgsm_variance_bound, 4 * g.dgsm, rtol=1e-12)


@pytest.mark.parametrize("n,m", [(5, 2), (2, 5)], ids=["reverse", "forward"])
def test_linear_model_has_constant_jacobian(n, m):
    model, wt = linear(n, m)
    points = np.random.default_rng(2).standard_normal((23, n))
    g = global_sensitivity(model, points, batch_size=5)  # 5 batches, the last one padded
    assert g.method == ("reverse" if m <= n else "forward") and g.n_batches == 5
    np.testing.assert_array_equal(g.mean, wt.astype(np.float32))  # float32 AD of x W is W
    np.testing.assert_array_equal(g.std, 0.0)
    np.testing.assert_array_equal(g.se_mean, 0.0)
    np.testing.assert_array_equal(g.dgsm, np.square(wt.astype(np.float32).astype(float)))
    assert g.total_index_bound is None


def test_padding_does_not_bias_the_statistics():
    model = ishigami()
    points = sample_box(BOX, 10, seed=5)
    one = global_sensitivity(model, points, batch_size=10)
    padded = global_sensitivity(model, points, batch_size=4)
    # float32 kernels may round differently at another batch size: allow a few ulps; counting
    # a padded copy twice would move these by O(1).
    np.testing.assert_allclose(padded.mean, one.mean, rtol=1e-6)
    np.testing.assert_allclose(padded.std, one.std, rtol=1e-6)
    np.testing.assert_allclose(padded.output_mean, one.output_mean, rtol=1e-6)
    assert padded.n_samples == one.n_samples == 10


def test_batches_do_not_retrace_and_progress_is_monotone():
    model = ishigami()
    points = sample_box(BOX, 50, seed=1)
    global_sensitivity(model, points, batch_size=8)  # traces once
    before = TRACE_COUNTS["batch-reverse"]
    seen = []
    global_sensitivity(model, points, batch_size=8, progress=seen.append)
    assert TRACE_COUNTS["batch-reverse"] == before  # 7 batches, no new trace
    assert [p.done for p in seen] == list(range(8)) and {p.total for p in seen} == {7}


def test_cancel_between_batches_raises():
    model = ishigami()
    token, seen = CancelToken(), []

    def progress(p):
        seen.append(p.done)
        if p.done == 2:
            token.cancel()

    with pytest.raises(JacobianCancelled):
        global_sensitivity(model, sample_box(BOX, 40, seed=2), batch_size=4,
                           progress=progress, cancel=token)
    assert seen == [0, 1, 2]


def test_memory_budget_sets_the_batch_and_refuses_the_impossible():
    model = ishigami()
    points = sample_box(BOX, 64, seed=3)
    small = global_sensitivity(model, points, memory_budget=20_000)
    assert 1 < small.n_batches and small.batch_size * small.n_batches >= 64
    with pytest.raises(JacobianTooLargeError, match="memory budget"):
        global_sensitivity(model, points, memory_budget=10)


def test_points_of_the_wrong_shape_or_with_nan_are_refused():
    model = ishigami()
    with pytest.raises(JacguiError, match=r"shape \(N, 3\)"):
        global_sensitivity(model, np.zeros((4, 2)))
    with pytest.raises(JacguiError, match="NaN"):
        global_sensitivity(model, np.full((2, 3), np.nan))


def test_latin_hypercube_has_one_point_per_stratum():
    bounds = np.array([[0.0, 1.0], [-5.0, 5.0], [2.0, 2.5]])
    x = sample_box(bounds, 97, "lhs", seed=0)
    strata = np.floor((x - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0]) * 97).astype(int)
    for column in strata.T:
        assert sorted(column) == list(range(97))
    np.testing.assert_array_equal(x, sample_box(bounds, 97, "lhs", seed=0))
    assert not np.array_equal(x, sample_box(bounds, 97, "lhs", seed=1))
    uniform = sample_box(bounds, 500, seed=0)
    assert np.all((uniform >= bounds[:, 0]) & (uniform <= bounds[:, 1]))
    # plain uniform sampling leaves strata empty (with overwhelming probability)
    counts = np.bincount(np.floor(uniform[:, 0] * 500).astype(int), minlength=500)
    assert (counts == 0).any()


def test_bad_boxes_are_refused():
    with pytest.raises(JacguiError, match="low > high"):
        sample_box([[1.0, 0.0]], 3)
    with pytest.raises(JacguiError, match="unknown sampling"):
        sample_box([[0.0, 1.0]], 3, "sobol")
    with pytest.raises(JacguiError, match="positive integer"):
        sample_box([[0.0, 1.0]], 0)


def test_bounds_files_by_label_and_in_order(tmp_path):
    spec = TensorInfo("p", (3,), feature_names=("a", "b", "c"))
    (tmp_path / "k.csv").write_text("name,low,high\nc,5,6\na,1,2\nb,3,4\n")
    (tmp_path / "o.csv").write_text("1,2\n3,4\n5,6\n")
    (tmp_path / "k.json").write_text(json.dumps({"b": [3, 4], "c": [5, 6], "a": [1, 2]}))
    (tmp_path / "n.json").write_text(json.dumps({"p": [[1, 2], [3, 4], [5, 6]]}))
    expected = [[1, 2], [3, 4], [5, 6]]
    for name in ("k.csv", "o.csv", "k.json", "n.json"):
        np.testing.assert_array_equal(read_bounds(tmp_path / name, spec), expected)
    (tmp_path / "bad.json").write_text(json.dumps({"a": [1, 2], "b": [3, 4], "z": [0, 1]}))
    with pytest.raises(JacguiError, match="bad.json: unknown names z; missing names c"):
        read_bounds(tmp_path / "bad.json", spec)
    (tmp_path / "short.csv").write_text("1,2\n")
    with pytest.raises(JacguiError, match="1 bounds given for 3"):
        read_bounds(tmp_path / "short.csv", spec)


def test_aggregate_table_exports_with_provenance(tmp_path, ishigami_result):
    table = ishigami_result.table("dgsm")
    doc = json.loads(save_analysis(table, tmp_path / "g.json").read_text())
    assert doc["n_samples"] == 4000 and doc["sampling"] == "lhs" and doc["seed"] == 11
    assert doc["aggregate"] == "dgsm" and len(doc["standard_error"][0]) == 3
    rows = save_analysis(table, tmp_path / "g.csv").read_text().splitlines()
    assert rows[0] == "dgsm,x[0],x[1],x[2]" and rows[3].startswith("standard error of dgsm")
    data = np.load(save_analysis(table, tmp_path / "g.npz"))
    np.testing.assert_array_equal(data["matrix"], ishigami_result.dgsm)
    assert json.loads(str(data["metadata"]))["seed"] == 11
    with pytest.raises(JacguiError, match="unknown aggregate"):
        ishigami_result.table("median")

"""Global derivative-based sensitivity and its bootstrap intervals against closed forms.

Ishigami, f = sin x1 + a sin^2 x2 + b x3^4 sin x1 with x ~ U[-pi, pi]^3 (a = 7, b = 0.1):
    nu_1 = E[cos^2 x1 (1 + b x3^4)^2] = (1 + 2b pi^4/5 + b^2 pi^8/9) / 2
    nu_2 = E[a^2 sin^2 2x2]           = a^2 / 2
    nu_3 = E[16 b^2 x3^6 sin^2 x1]    = 8 b^2 pi^6 / 7
using E[x^4] = pi^4/5, E[x^6] = pi^6/7, E[x^8] = pi^8/9 on [-pi, pi]. Every E[df/dx_j] is 0 (odd
integrands), so std_j = sqrt(nu_j); E|df/dx_j| = (2/pi)(1 + b pi^4/5), 2a/pi and
4b E|x3|^3 E|sin x1| = 2 b pi^2; and the total-index bound is (2 pi)^2 nu_j / (pi^2 Var f) with
Var f = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from jacgui.core import CancelToken, JacobianCancelled
from jacgui.core.analysis import global_sensitivity, sample_box, save_analysis
from jacgui.core.autodiff import TRACE_COUNTS
from jacgui.core.errors import JacguiError, JacobianTooLargeError

from .analysis_models import ISHIGAMI_A as A
from .analysis_models import ISHIGAMI_B as B
from .analysis_models import ishigami, linear

PI = np.pi
BOX = np.array([[-PI, PI]] * 3)
VARIANCE = A**2 / 8 + B * PI**4 / 5 + B**2 * PI**8 / 18 + 0.5
NU = np.array([0.5 * (1 + 2 * B * PI**4 / 5 + B**2 * PI**8 / 9), A**2 / 2, 8 * B**2 * PI**6 / 7])
TRUTH = {"dgsm": NU, "std": np.sqrt(NU), "total_index_bound": 4 * NU / VARIANCE,
         "mean_abs": np.array([2 / PI * (1 + B * PI**4 / 5), 2 * A / PI, 2 * B * PI**2])}


@pytest.fixture(scope="module")
def ishigami_result():
    points = sample_box(BOX, 4000, "lhs", seed=11)
    return global_sensitivity(ishigami(), points, bounds=BOX,
                              provenance={"sampling": "lhs", "seed": 11})


def test_ishigami_dgsm_matches_the_closed_form(ishigami_result):
    # Within 4 standard errors (the bootstrap treats LHS points as independent, which is
    # conservative): a wrong derivative or normalisation misses by far more, while a correct
    # one fails with probability < 1e-4.
    g = ishigami_result
    assert g.n_samples == 4000 and g.method == "reverse" and g.n_resamples == 500
    for stat, truth in TRUTH.items():
        estimate, se = getattr(g, stat)[0], getattr(g, f"se_{stat}")[0]
        assert np.all(np.abs(estimate - truth) <= 4 * se), (stat, estimate, truth, se)
        np.testing.assert_allclose(getattr(g, f"conf_{stat}")[0], 1.959963984540054 * se)
    # Standard errors are informative: a few percent of the values, not blanket huge.
    assert np.all(g.se_dgsm[0] < 0.05 * NU)
    np.testing.assert_allclose(g.dgsm_share.sum(axis=1), 1.0, rtol=1e-12)
    # E[df/dx2] = 0 by symmetry; the mean is within sampling error of it.
    assert abs(g.mean[0, 1]) <= 4 * g.se_mean[0, 1]


def test_ishigami_dgsm_bounds_the_known_total_sobol_indices(ishigami_result):
    g = ishigami_result
    total = np.array([0.5 * (1 + B * PI**4 / 5) ** 2 + 8 * B**2 * PI**8 / 225,
                      A**2 / 8, 8 * B**2 * PI**8 / 225]) / VARIANCE  # Sobol total indices
    assert g.output_var[0] == pytest.approx(VARIANCE, rel=0.05)
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
    # Every bootstrap replicate sees the same Jacobian: exactly zero spread, not round-off.
    for stat in ("mean", "mean_abs", "std", "dgsm", "dgsm_share"):
        np.testing.assert_array_equal(getattr(g, f"conf_{stat}"), 0.0)
    np.testing.assert_array_equal(g.dgsm, np.square(wt.astype(np.float32).astype(float)))
    assert g.total_index_bound is None and g.conf_total_index_bound is None


def test_padding_does_not_bias_the_statistics():
    model = ishigami()
    points = sample_box(BOX, 10, "uniform", seed=5)
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
    points = sample_box(BOX, 50, "uniform", seed=1)
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
        global_sensitivity(model, sample_box(BOX, 40, "uniform", seed=2), batch_size=4,
                           progress=progress, cancel=token)
    assert seen == [0, 1, 2]


def test_memory_budget_sets_the_batch_and_refuses_the_impossible():
    model = ishigami()
    points = sample_box(BOX, 64, "sobol", seed=3)
    small = global_sensitivity(model, points, memory_budget=20_000)
    assert 1 < small.n_batches and small.batch_size * small.n_batches >= 64
    # 100 replicates of 3 statistics need ~10 kB, more than a quarter of 20 kB: no intervals,
    # said in one warning, rather than a silent overrun of the budget.
    assert small.n_resamples == 0 and np.isnan(small.conf_dgsm).all()
    assert any("no intervals; raise the budget" in w for w in small.warnings)
    with pytest.raises(JacobianTooLargeError, match="memory budget"):
        global_sensitivity(model, points, memory_budget=10)


def test_points_of_the_wrong_shape_or_with_nan_are_refused():
    model = ishigami()
    with pytest.raises(JacguiError, match=r"shape \(N, 3\)"):
        global_sensitivity(model, np.zeros((4, 2)))
    with pytest.raises(JacguiError, match="NaN"):
        global_sensitivity(model, np.full((2, 3), np.nan))


def test_aggregate_tables_export_every_statistic_with_its_half_width(tmp_path,
                                                                      ishigami_result):
    g = ishigami_result
    table = g.table("dgsm")
    doc = json.loads(save_analysis(table, tmp_path / "g.json").read_text())
    assert doc["n_samples"] == 4000 and doc["sampling"] == "lhs" and doc["seed"] == 11
    assert doc["aggregate"] == "dgsm" and doc["n_resamples"] == 500
    np.testing.assert_allclose(doc["conf"], g.conf_dgsm)
    for stat in ("dgsm_share", "dgsm_variance_bound", "total_index_bound"):
        np.testing.assert_allclose(doc[stat], getattr(g, stat))
        np.testing.assert_allclose(doc[f"{stat}_conf"], getattr(g, f"conf_{stat}"))
    rows = save_analysis(table, tmp_path / "g.csv").read_text().splitlines()
    assert rows[0] == ("output,input,dgsm,dgsm_conf,dgsm_se,dgsm_share,dgsm_share_conf,"
                       "dgsm_variance_bound,dgsm_variance_bound_conf,total_index_bound,"
                       "total_index_bound_conf")
    cells = rows[3].split(",")
    assert cells[:2] == ["y[0]", "x[2]"]
    np.testing.assert_allclose([float(c) for c in cells[2:]], [
        g.dgsm[0, 2], g.conf_dgsm[0, 2], g.se_dgsm[0, 2], g.dgsm_share[0, 2],
        g.conf_dgsm_share[0, 2], g.dgsm_variance_bound[0, 2], g.conf_dgsm_variance_bound[0, 2],
        g.total_index_bound[0, 2], g.conf_total_index_bound[0, 2]], rtol=1e-15)
    data = np.load(save_analysis(table, tmp_path / "g.npz"))
    np.testing.assert_array_equal(data["matrix"], g.dgsm)
    np.testing.assert_array_equal(data["total_index_bound_conf"], g.conf_total_index_bound)
    assert json.loads(str(data["metadata"]))["seed"] == 11
    mean_rows = save_analysis(g.table("mean-abs"), tmp_path / "m.csv").read_text().splitlines()
    assert mean_rows[0] == "output,input,mean-abs,mean-abs_conf,mean-abs_se"
    whole = save_analysis(g, tmp_path / "all.csv").read_text().splitlines()
    assert whole[0].startswith("output,input,mean,mean_conf,mean_abs,mean_abs_conf,std,")
    with pytest.raises(JacguiError, match="unknown aggregate"):
        g.table("median")


def test_bootstrap_intervals_cover_the_closed_forms_at_n_400():
    # 100 independent uniform designs of N = 400 (the bootstrap's own assumption). A correct
    # 95 % interval covers the truth ~95 times in 100; P(fewer than 80 | 95 %) < 1e-6. The
    # reported standard errors must also match the real spread of the estimates over the
    # designs (within x1.5 either way; 100 designs pin the spread to ~10 %, heavy tails to
    # ~20 %), so intervals cannot pass by being blanket wide. The old normal-theory SE of std,
    # std / sqrt(2 (N - 1)), was 40-60 % short for x1 and x3 (heavy-tailed derivatives).
    model, seeds = ishigami(), range(100)
    estimates = {stat: [] for stat in TRUTH}
    errors = {stat: [] for stat in TRUTH}
    for seed in seeds:
        g = global_sensitivity(model, sample_box(BOX, 400, "uniform", seed=seed), bounds=BOX,
                               seed=1000 + seed)
        for stat in TRUTH:
            estimates[stat].append(getattr(g, stat)[0])
            errors[stat].append(getattr(g, f"se_{stat}")[0])
    for stat, truth in TRUTH.items():
        estimate, se = np.array(estimates[stat]), np.array(errors[stat])
        coverage = np.mean(np.abs(estimate - truth) <= 1.959963984540054 * se, axis=0)
        assert np.all(coverage >= 0.8), (stat, coverage)
        ratio = se.mean(axis=0) / estimate.std(axis=0, ddof=1)
        assert np.all((ratio > 1 / 1.5) & (ratio < 1.5)), (stat, ratio)


def test_bootstrap_is_reproducible_by_seed():
    points = sample_box(BOX, 64, "sobol", seed=0)
    one = global_sensitivity(ishigami(), points, seed=5, n_resamples=200)
    again = global_sensitivity(ishigami(), points, seed=5, n_resamples=200)
    other = global_sensitivity(ishigami(), points, seed=6, n_resamples=200)
    np.testing.assert_array_equal(one.conf_dgsm, again.conf_dgsm)
    assert not np.array_equal(one.conf_dgsm, other.conf_dgsm)
    none = global_sensitivity(ishigami(), points, n_resamples=0)
    assert none.n_resamples == 0 and np.isnan(none.conf_std).all() and not none.warnings

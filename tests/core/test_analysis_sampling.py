"""Points in a box (scipy.stats.qmc) and bounds files.

The designs are checked by their defining properties, not against scipy's own output:
a Latin hypercube has exactly one point in each of the N strata of every input; the first two
dimensions of a (scrambled) Sobol sequence of N = 2^k points form a (0, k, 2)-net, so every
cell of a 2^a x 2^b grid with a + b = k holds exactly one point.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from jacgui.core.analysis import read_bounds, sample_box
from jacgui.core.analysis.sampling import SobolBalanceWarning
from jacgui.core.errors import JacguiError
from jacgui.core.spec import TensorInfo


def _strata(x, bounds, count):
    return np.floor((x - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0]) * count).astype(int)


def test_latin_hypercube_has_one_point_per_stratum():
    bounds = np.array([[0.0, 1.0], [-5.0, 5.0], [2.0, 2.5]])
    x = sample_box(bounds, 97, "lhs", seed=0)
    for column in _strata(x, bounds, 97).T:
        assert sorted(column) == list(range(97))
    np.testing.assert_array_equal(x, sample_box(bounds, 97, "lhs", seed=0))
    assert not np.array_equal(x, sample_box(bounds, 97, "lhs", seed=1))


def test_uniform_points_leave_strata_empty():
    bounds = np.array([[0.0, 1.0], [-5.0, 5.0]])
    uniform = sample_box(bounds, 500, "uniform", seed=0)
    assert np.all((uniform >= bounds[:, 0]) & (uniform <= bounds[:, 1]))
    # plain uniform sampling leaves strata empty (with overwhelming probability)
    counts = np.bincount(_strata(uniform, bounds, 500)[:, 0], minlength=500)
    assert (counts == 0).any()


def test_sobol_points_form_a_net_and_are_the_default():
    bounds = np.array([[0.0, 1.0], [-5.0, 5.0], [2.0, 2.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 64 is a power of 2: no warning
        x = sample_box(bounds, 64, seed=3)
    for column in _strata(x, bounds, 64).T:  # one point in each of the 64 strata
        assert sorted(column) == list(range(64))
    for a in (1, 2, 3, 4, 5):  # a 2^a x 2^(6-a) grid over the first two inputs
        rows = _strata(x[:, :1], bounds[:1], 2**a)[:, 0]
        cols = _strata(x[:, 1:2], bounds[1:2], 2 ** (6 - a))[:, 0]
        assert len(set(zip(rows.tolist(), cols.tolist(), strict=True))) == 64
    np.testing.assert_array_equal(x, sample_box(bounds, 64, "sobol", seed=3))
    assert not np.array_equal(x, sample_box(bounds, 64, "sobol", seed=4))
    # A Latin hypercube of the same size is not a net: some cell of the 8 x 8 grid is empty.
    lhs = sample_box(bounds, 64, "lhs", seed=3)
    cells = set(zip(_strata(lhs[:, :1], bounds[:1], 8)[:, 0].tolist(),
                    _strata(lhs[:, 1:2], bounds[1:2], 8)[:, 0].tolist(), strict=True))
    assert len(cells) < 64


def test_sobol_warns_when_n_is_not_a_power_of_two():
    with pytest.warns(SobolBalanceWarning, match="100 is not a power of 2.*use 64 or 128"):
        x = sample_box([[0.0, 1.0]], 100, "sobol", seed=0)
    assert x.shape == (100, 1)


def test_bad_boxes_and_options_are_refused():
    with pytest.raises(JacguiError, match="low > high"):
        sample_box([[1.0, 0.0]], 4)
    with pytest.raises(JacguiError, match="unknown sampling"):
        sample_box([[0.0, 1.0]], 4, "halton")
    with pytest.raises(JacguiError, match="samples must be a whole number >= 1"):
        sample_box([[0.0, 1.0]], 0)
    with pytest.raises(JacguiError, match="at most 21201 dimensions"):
        sample_box(np.tile([0.0, 1.0], (21202, 1)), 4)


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

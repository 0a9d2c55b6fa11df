"""Principal directions against SVDs known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jacgui.core.analysis import move_along, principal_directions, save_analysis
from jacgui.core.engine import jacobian
from jacgui.core.errors import JacguiError

from .analysis_models import linear


def test_diagonal_jacobian_has_sorted_absolute_diagonal_and_unit_vectors():
    j = np.diag([3.0, -5.0, 1.0, 0.5])
    pd = principal_directions(j, k=3, input_labels=("a", "b", "c", "d"))
    np.testing.assert_array_equal(pd.singular_values, [5.0, 3.0, 1.0, 0.5])
    assert pd.condition_number == 10.0 and pd.rank == 4 and pd.note == ""
    np.testing.assert_array_equal(pd.input_directions, np.eye(4)[[1, 0, 2]])
    # J v1 = s1 u1 with v1 = +e_b, so u1 = -e_1: the left vector follows the right one's sign.
    np.testing.assert_array_equal(pd.output_directions, [[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]])
    assert pd.top_inputs(0, 2)[0] == ("b", 1.0)


def test_rank_deficient_jacobian_has_infinite_condition_and_says_so():
    j = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])  # rank 1
    pd = principal_directions(j)
    assert pd.condition_number == np.inf and pd.rank == 1
    assert "rank 1" in pd.note and "infinite" in pd.note
    assert pd.singular_values[0] == pytest.approx(np.sqrt(70.0), rel=1e-14)
    assert principal_directions(np.zeros((2, 2))).condition_number == np.inf


def test_random_matrix_is_reconstructed_and_signs_are_normalised():
    rng = np.random.default_rng(4)
    j = rng.standard_normal((5, 7))
    pd = principal_directions(j, k=10)
    assert pd.k == 5
    rebuilt = pd.output_directions.T @ np.diag(pd.singular_values) @ pd.input_directions
    np.testing.assert_allclose(rebuilt, j, atol=1e-12)
    for v in pd.input_directions:
        assert v[np.argmax(np.abs(v))] > 0
    np.testing.assert_allclose(pd.input_directions @ pd.input_directions.T, np.eye(5), atol=1e-12)
    flipped = principal_directions(-j, k=5)  # same directions, u flips instead of v
    np.testing.assert_allclose(flipped.input_directions, pd.input_directions, atol=1e-12)
    np.testing.assert_allclose(flipped.output_directions, -pd.output_directions, atol=1e-12)


def test_nan_in_the_jacobian_is_a_clear_error():
    with pytest.raises(JacguiError, match="1 NaN or infinite cell"):
        principal_directions(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_result_labels_and_singular_values_of_a_model():
    model, wt = linear(6, 4)
    pd = principal_directions(jacobian(model), k=2)
    expected = np.linalg.svd(wt, compute_uv=False)
    np.testing.assert_allclose(pd.singular_values, expected, rtol=1e-6)  # float32 AD
    assert pd.input_labels[0] == "x[0]" and pd.output_labels[3] == "y[3]"
    lines = pd.summary_lines()
    assert lines[0].startswith("singular values:") and lines[2].startswith("v1 (s = ")


def test_move_along_keeps_the_point_shape():
    point = np.zeros((2, 3))
    moved = move_along(point, np.arange(6) / np.linalg.norm(np.arange(6)), -2.0)
    assert moved.shape == (2, 3)
    assert np.linalg.norm(moved) == pytest.approx(2.0)
    with pytest.raises(JacguiError, match="5 components"):
        move_along(point, np.ones(5), 1.0)


def test_export(tmp_path):
    pd = principal_directions(np.diag([2.0, 0.0]), input_labels=("p", "q"))
    doc = json.loads(save_analysis(pd, tmp_path / "svd.json").read_text())
    assert doc["condition_number"] is None and doc["singular_values"] == [2.0, 0.0]
    header = save_analysis(pd, tmp_path / "svd.csv").read_text().splitlines()[0]
    assert header == "direction,singular_value,v:p,v:q,u:y[0],u:y[1]"

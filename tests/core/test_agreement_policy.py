"""The one agreement policy, the cell cross-check that uses it, and the vanishing-Jacobian note.

Values in the policy tests are exact inputs, so the expected level follows from the rule:
tolerance = FD error + 8 eps_AD max|J_row|; green within it (if FD is not uncertain: error
below 1e-2 of max|J_row|), amber within 10x, red beyond.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from jacgui.core.agreement import (
    AMBER,
    GREEN,
    LEVELS,
    RED,
    ad_roundoff,
    agree,
    agreement_levels,
)
from jacgui.core.analysis import compare_ad_fd
from jacgui.core.cell import cross_check
from jacgui.core.engine import jacobian
from jacgui.core.vanishing import vanishing_jacobian_note

from .analysis_models import function_model

EPS32 = float(np.finfo(np.float32).eps)


def test_tiny_ad_value_against_zero_fd_agrees():
    # The old inspector rule: |1.2e-15 - 0| / 1.2e-15 = 1.00, "DISAGREES" in red.
    verdict = agree(1.2e-15, 0.0, fd_error=0.0, ad_scale=1.0, dtype="float32")
    assert verdict.level == "green" and verdict.agrees
    assert verdict.ad_roundoff == pytest.approx(8 * EPS32)
    assert "agrees" in verdict.describe()


def test_levels_follow_the_tolerance():
    tol = 1e-9 + 8 * EPS32 * 2.0
    assert agree(1.0, 1.0 + 0.9 * tol, 1e-9, 2.0, "float32").level == "green"
    assert agree(1.0, 1.0 + 5 * tol, 1e-9, 2.0, "float32").level == "amber"
    red = agree(1.0, 1.0 + 20 * tol, 1e-9, 2.0, "float32")
    assert red.level == "red" and red.ratio == pytest.approx(20, rel=1e-6)
    assert "DISAGREES" in red.describe()
    assert agree(float("nan"), 1.0, 1e-9, 2.0, "float32").level == "red"
    assert agree(1.0, 1.0, float("nan"), 2.0, "float32").level == "red"


def test_a_wide_fd_error_cannot_confirm_agreement():
    # relu'(0): AD says 0, central FD 0.5 with an error estimate as wide as the kink makes it.
    verdict = agree(0.0, 0.5, fd_error=0.7, ad_scale=4.0, dtype="float32")
    assert verdict.level == "amber" and "wide FD error" in verdict.describe()
    # A row of zeros has no scale to be uncertain against.
    assert agree(0.0, 1e-13, fd_error=1e-12, ad_scale=0.0, dtype="float32").level == "green"


def test_array_levels_match_the_scalar_verdicts():
    rng = np.random.default_rng(0)
    ad = rng.standard_normal((6, 5))
    fd = ad + rng.standard_normal((6, 5)) * np.logspace(-12, -2, 30).reshape(6, 5)
    error = np.full((6, 5), 1e-8)
    scale = np.abs(ad).max(axis=1, keepdims=True)
    levels = agreement_levels(ad, fd, error, scale, "float32")
    for (i, j), code in np.ndenumerate(levels):
        assert LEVELS[code] == agree(ad[i, j], fd[i, j], 1e-8, scale[i, 0], "float32").level
    assert {GREEN, AMBER, RED} <= set(levels.ravel().tolist())
    assert np.allclose(ad_roundoff(scale, "float32"), 8 * EPS32 * scale)


def _model():
    # y0 = x1 does not depend on x0: d y0 / d x0 is exactly 0, by FD as by any honest AD.
    return function_model(lambda x: tf.stack([x[:, 1], x[:, 0] * x[:, 1]], 1), 2, 2, [0.7, 1.3])


def test_cross_check_of_a_tiny_ad_value_is_green():
    # The case: AD gives 1.2e-15 (round-off) where FD gives 0.
    check = cross_check(_model(), {}, 0, 0, method_used="reverse", value=1.2e-15)
    assert check.method == "fd-central" and check.value == 0.0
    assert check.relative_difference == pytest.approx(1.0)  # what used to make it red
    assert check.verdict is not None and check.verdict.level == "green"
    # A real error of the same cell is red.
    assert cross_check(_model(), {}, 0, 0, value=1e-3).verdict.level == "red"


def test_cross_check_of_an_fd_value_uses_its_error_and_reverse_mode():
    model = _model()
    fd = jacobian(model, method="fd-central")
    check = cross_check(model, {}, 1, 0, method_used="fd-central", value=float(fd.matrix[1, 0]),
                        value_error=float(fd.error_estimate[1, 0]))
    assert check.method == "reverse" and check.value == pytest.approx(1.3, rel=1e-6)
    assert check.verdict.level == "green" and check.error_estimate == fd.error_estimate[1, 0]
    # Without the FD error, central differences of the column estimate it.
    check = cross_check(model, {}, 1, 0, method_used="fd-central", value=float(fd.matrix[1, 0]))
    assert check.verdict.level == "green" and check.error_estimate > 0


def test_cross_check_flags_a_kink_and_a_wrong_value():
    model = function_model(lambda x: tf.stack([tf.nn.relu(x[:, 0]) + x[:, 1] ** 2], 1), 2, 1,
                           [0.0, 2.0])
    kink = cross_check(model, {}, 0, 0, method_used="reverse", value=0.0)
    assert kink.verdict.level != "green"
    wrong = cross_check(model, {}, 0, 1, method_used="reverse", value=4.01)
    assert wrong.verdict.level == "red"


def test_compare_ad_fd_counts_levels():
    model = function_model(lambda x: tf.stack([tf.nn.relu(x[:, 0]) + x[:, 1] ** 2,
                                               x[:, 0] * x[:, 1]], 1), 2, 2, [0.0, 2.0])
    agreement = compare_ad_fd(model)
    assert agreement.levels[0, 0] != GREEN and (agreement.levels.ravel()[1:] == GREEN).all()
    assert "green / amber / red cells:" in "\n".join(agreement.summary_lines())


def test_vanishing_note_for_exact_and_near_zero_jacobians():
    relu = function_model(lambda x: tf.nn.relu(x @ tf.ones((3, 2), x.dtype)), 3, 2, np.zeros(3))
    result = jacobian(relu, method="reverse")
    assert result.matrix.max() == 0.0
    assert any("exactly zero" in w and "try another point" in w
               and "all-zero input" in w for w in result.warnings)
    flat = function_model(lambda x: 5.0 + 1e-12 * x, 2, 2, [0.3, 0.4])
    result = jacobian(flat, method="fd-central")
    # Away from zero the note must not blame an all-zero input.
    assert any("nearly zero" in w and "saturated" in w and "all-zero" not in w
               for w in result.warnings)
    smooth = function_model(lambda x: tf.sin(x), 2, 2, [0.3, 0.4])
    assert not any("zero" in w for w in jacobian(smooth, method="fd-central").warnings)


def test_vanishing_note_scale():
    outputs = np.array([2.0, -1.0])
    assert vanishing_jacobian_note(np.zeros((2, 3)), outputs) is not None
    assert vanishing_jacobian_note(np.full((2, 3), 1e-11), outputs) is not None
    assert vanishing_jacobian_note(np.full((2, 3), 1e-9), outputs) is None
    # Measured per unit of max(1, |x_j|): an input of size 1e3 makes 1e-11 matter.
    assert vanishing_jacobian_note(np.full((2, 3), 1e-11), outputs, np.full(3, 1e3)) is None
    assert vanishing_jacobian_note(np.full((2, 3), np.nan), outputs) is None
    assert vanishing_jacobian_note(np.zeros((2, 3)), np.zeros(2)) is not None

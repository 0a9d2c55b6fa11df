"""Bootstrap intervals for Jacobian statistics over many points, without holding the points.

Global sensitivity streams its per-sample Jacobians batch by batch and never keeps all N of
them. The bootstrap therefore uses **Poisson weights** (Hanley & MacGibbon 2006; Chamandy et
al. 2012): in replicate ``r`` sample ``k`` counts ``w_rk ~ Poisson(1)`` times, which for N
beyond a few dozen behaves like drawing N samples with replacement, but can be drawn batch by
batch. Each replicate keeps weighted sums of ``J - c``, ``(J - c)^2``, ``|J|`` and of the
outputs (``c`` is the first sample's Jacobian, so sums of identical Jacobians are exactly zero
and variances do not cancel catastrophically), so memory is ``R x m x n`` whatever N is.

From the replicates' spread come the standard error (their standard deviation) and the 95 %
half-width ``z_0.975 x SE`` (a normal bootstrap interval, as SALib reports). The bootstrap
treats the points as independent draws: for a Latin hypercube or a Sobol sequence, whose
estimates vary less than that, the intervals are conservative (see docs/analyses.md).
"""

from __future__ import annotations

import numpy as np

#: Fewer replicates than this give too rough a standard error to report.
MIN_RESAMPLES = 100
#: Replicate sums per cell: J - c, (J - c)^2, |J|, and one temporary product.
ARRAYS_PER_CELL = 4


def resamples_that_fit(wanted: int, cells: int, budget: int) -> int:
    """How many of ``wanted`` replicates of ``cells`` statistics fit in ``budget`` bytes."""
    return int(min(wanted, budget // (ARRAYS_PER_CELL * 8 * max(cells, 1))))


class PoissonBootstrap:
    """Replicates of the Jacobian statistics of :mod:`.global_sensitivity`, batch by batch.

    Parameters
    ----------
    m, n : int
        Outputs and inputs (the Jacobian's shape).
    n_resamples : int
        Number of bootstrap replicates ``R``.
    rng : numpy.random.Generator
        Source of the Poisson weights (seeded by the caller for reproducibility).
    """

    def __init__(self, m: int, n: int, n_resamples: int, rng: np.random.Generator) -> None:
        self.n_resamples, self._rng = int(n_resamples), rng
        r = self.n_resamples
        self._weight = np.zeros(r)
        self._shift: np.ndarray | None = None
        self._y_shift: np.ndarray | None = None
        self._sum = np.zeros((r, m * n))
        self._sum_sq = np.zeros((r, m * n))
        self._sum_abs = np.zeros((r, m * n))
        self._y_sum = np.zeros((r, m))
        self._y_sum_sq = np.zeros((r, m))
        self._shape = (m, n)

    def add(self, jac: np.ndarray, y: np.ndarray) -> None:
        """Add a batch: ``jac`` of shape (b, m, n) and outputs ``y`` of shape (b, m), float64."""
        b = jac.shape[0]
        flat = jac.reshape(b, -1)
        if self._shift is None:
            self._shift, self._y_shift = flat[0].copy(), y[0].copy()
        w = self._rng.poisson(1.0, (self.n_resamples, b)).astype(np.float64)
        deviation = flat - self._shift
        y_deviation = y - self._y_shift
        self._weight += w.sum(axis=1)
        self._sum += w @ deviation
        self._sum_sq += w @ np.square(deviation)
        self._sum_abs += w @ np.abs(flat)
        self._y_sum += w @ y_deviation
        self._y_sum_sq += w @ np.square(y_deviation)

    def replicates(self, widths: np.ndarray | None) -> dict[str, np.ndarray]:
        """Every statistic recomputed in each replicate, each of shape ``(R, m, n)``.

        ``widths`` (the box's ``high - low`` per input) adds ``dgsm_variance_bound`` and
        ``total_index_bound``; replicates with total weight below 2 are NaN.
        """
        shape = (self.n_resamples, *self._shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.where(self._weight >= 2, self._weight, np.nan)[:, None]
            mean_dev = self._sum / weight
            variance = np.maximum(self._sum_sq - self._sum * mean_dev, 0.0) / (weight - 1)
            dgsm = (self._sum_sq + 2 * self._shift * self._sum) / weight + np.square(self._shift)
            y_mean = self._y_sum / weight
            y_variance = np.maximum(self._y_sum_sq - self._y_sum * y_mean, 0.0) / (weight - 1)
            out = {
                "mean": (self._shift + mean_dev).reshape(shape),
                "mean_abs": (self._sum_abs / weight).reshape(shape),
                "std": np.sqrt(variance).reshape(shape),
                "dgsm": dgsm.reshape(shape),
            }
            total = out["dgsm"].sum(axis=2, keepdims=True)
            out["dgsm_share"] = np.where(total > 0, out["dgsm"] / total, 0.0)
            if widths is not None:
                out["dgsm_variance_bound"] = out["dgsm"] * np.square(widths) / np.pi**2
                out["total_index_bound"] = np.where(
                    y_variance[:, :, None] > 0,
                    out["dgsm_variance_bound"] / y_variance[:, :, None], np.nan)
        return out


def standard_errors(replicates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The standard deviation over replicates of each statistic (NaN replicates ignored).

    Deviations are taken from the first replicate before squaring, so identical replicates
    give exactly zero rather than round-off.
    """
    errors = {}
    for name, values in replicates.items():
        finite = np.isfinite(values)
        count = finite.sum(axis=0)
        reference = np.nanmax(np.where(finite, values, -np.inf), axis=0)
        deviation = np.where(finite, values - reference, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            variance = (np.square(deviation).sum(axis=0)
                        - np.square(deviation.sum(axis=0)) / count) / (count - 1)
            errors[name] = np.where(count >= 2, np.sqrt(np.maximum(variance, 0.0)), np.nan)
    return errors

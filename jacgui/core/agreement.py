"""One rule for "do automatic differentiation and finite differences agree here?".

The cell inspector's cross-check and the AD-vs-FD analysis both ask it, so both call this.

Two values agree when their difference is within what each method is known to get wrong:

- the finite difference's own per-cell error estimate (truncation plus measured round-off,
  :mod:`jacgui.core.finite_diff`), and
- AD round-off, ``AD_ROUNDOFF_ULPS * eps_AD * scale``, where the scale is the largest ``|J|``
  of the cell's row: one backward pass sums terms as large as its row's largest entries, so a
  cell that cancels to ~0 still carries their rounding.

A relative difference alone cries wolf at tiny values (1e-15 against 0 is "100 % off"); this
rule does not. Levels:

- ``green``: within the tolerance, and the FD error is below ``UNCERTAIN_FRACTION`` of the
  row's largest ``|J|`` (so agreeing means something);
- ``amber``: within the tolerance but FD is that uncertain here (its step crosses a kink, or
  round-off swamps it: a match within a wide error proves little), or outside the tolerance
  by at most ``AMBER_FACTOR`` (an estimate can be optimistic): look closer;
- ``red``: further apart, or NaN: at least one of the two is wrong at this cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Multiple of the AD dtype's epsilon (times the row's largest |J|) allowed for AD round-off.
AD_ROUNDOFF_ULPS = 8.0
#: A difference up to this many tolerances is "amber" rather than "red".
AMBER_FACTOR = 10.0
#: An FD error above this fraction of the row's largest |J| cannot confirm agreement.
UNCERTAIN_FRACTION = 1e-2
#: Level names, indexed by the codes :func:`agreement_levels` returns.
LEVELS = ("green", "amber", "red")
GREEN, AMBER, RED = 0, 1, 2


@dataclass(frozen=True)
class Verdict:
    """How well an AD value and an FD value of one derivative agree.

    Attributes
    ----------
    level : str
        ``"green"``, ``"amber"`` or ``"red"`` (see the module docstring).
    difference : float
        ``ad - fd``.
    fd_error : float
        The finite difference's error estimate at this cell.
    ad_roundoff : float
        The AD round-off allowed at this cell.
    """

    level: str
    difference: float
    fd_error: float
    ad_roundoff: float

    @property
    def tolerance(self) -> float:
        """``fd_error + ad_roundoff``: the largest difference that still agrees."""
        return self.fd_error + self.ad_roundoff

    @property
    def agrees(self) -> bool:
        """The level is green."""
        return self.level == LEVELS[GREEN]

    @property
    def ratio(self) -> float:
        """``|difference| / tolerance`` (inf for a nonzero difference and zero tolerance)."""
        size = abs(self.difference)
        if self.tolerance > 0:
            return size / self.tolerance
        return 0.0 if size == 0 else float("inf")

    def describe(self) -> str:
        """One line for a person.

        For example ``agrees: |AD - FD| = 3e-12 <= 2e-9 (FD error + AD round-off)``.
        """
        size, tol = abs(self.difference), self.tolerance
        if self.level == LEVELS[GREEN]:
            return f"agrees: |AD - FD| = {size:.2g} <= {tol:.2g} (FD error + AD round-off)"
        if self.level == LEVELS[AMBER] and size <= tol:
            return (f"agrees only within a wide FD error (+-{self.fd_error:.2g}): the function "
                    "may not be smooth within the FD step here; look closer")
        if self.level == LEVELS[AMBER]:
            return (f"roughly agrees: |AD - FD| = {size:.2g} is {self.ratio:.2g}x the FD error + "
                    "AD round-off; an estimate may be optimistic here (a kink inside the step?)")
        if not np.isfinite(size):
            return "disagrees: one of the values is not finite"
        return (f"DISAGREES: |AD - FD| = {size:.2g} is {self.ratio:.2g}x the FD error + AD "
                "round-off; one of the two is wrong at this cell")


def ad_roundoff(scale: np.ndarray | float, dtype: str) -> np.ndarray | float:
    """The AD round-off allowed for cells whose row has largest ``|J|`` = ``scale``."""
    return AD_ROUNDOFF_ULPS * float(np.finfo(dtype).eps) * np.abs(scale)


def agreement_levels(ad: np.ndarray, fd: np.ndarray, fd_error: np.ndarray,
                     ad_scale: np.ndarray, dtype: str) -> np.ndarray:
    """Level codes (``GREEN``, ``AMBER``, ``RED``) of arrays of AD and FD values.

    Parameters
    ----------
    ad, fd : ndarray
        The two values of the same derivatives.
    fd_error : ndarray
        The FD error estimate of each.
    ad_scale : ndarray
        The largest ``|AD|`` of each value's row (broadcast against ``ad``): it sets the AD
        round-off and what counts as an uncertain FD error.
    dtype : str
        The dtype AD ran in.

    Returns
    -------
    ndarray of int8
        NaN anywhere (a value, an estimate) is ``RED``.
    """
    size = np.abs(np.asarray(ad, np.float64) - np.asarray(fd, np.float64))
    fd_error = np.asarray(fd_error, np.float64)
    scale = np.abs(np.asarray(ad_scale, np.float64))
    tolerance = fd_error + ad_roundoff(scale, dtype)
    shape = np.broadcast_shapes(size.shape, tolerance.shape)
    levels = np.full(shape, RED, dtype=np.int8)
    levels[np.broadcast_to(size <= AMBER_FACTOR * tolerance, shape)] = AMBER  # NaN: stays red
    uncertain = (scale > 0) & (fd_error > UNCERTAIN_FRACTION * scale)  # a zero row: no scale
    confirmed = (size <= tolerance) & ~uncertain
    levels[np.broadcast_to(confirmed, shape)] = GREEN
    return levels


def agree(ad_value: float, fd_value: float, fd_error: float, ad_scale: float,
          dtype: str) -> Verdict:
    """The verdict for one derivative (see the module docstring).

    Parameters
    ----------
    ad_value, fd_value : float
        The derivative by AD and by finite differences.
    fd_error : float
        The FD error estimate of ``fd_value``.
    ad_scale : float
        The largest ``|J|`` of the row (at least ``|ad_value|``).
    dtype : str
        The dtype AD ran in.
    """
    scale = max(abs(float(ad_scale)), abs(float(ad_value)))
    code = int(agreement_levels(np.array(ad_value), np.array(fd_value), np.array(fd_error),
                                np.array(scale), dtype))
    return Verdict(LEVELS[code], float(ad_value) - float(fd_value), float(fd_error),
                   float(ad_roundoff(scale, dtype)))

"""The requests the controller sends to the worker, built from GUI-side state.

Kept apart from :mod:`jacgui.gui.controller` so that the controller reads as the bookkeeping of
Jacobian jobs, while turning widget values into core objects, and the cross-check round trip,
live here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from jacgui.core.handle import ModelHandle
from jacgui.core.job import JacobianJob, JacobianOptions, JacobianResult

from .worker import CrossCheckRequest, Worker


def job_from_fields(model: ModelHandle, fields: Mapping[str, object]) -> JacobianJob:
    """Make a Jacobian job for ``model`` from the controller's ``job_source`` fields.

    Parameters
    ----------
    model : ModelHandle
    fields : mapping
        ``point`` (name to array-like), and optionally ``method``, ``input``, ``output`` and
        ``options``.

    Returns
    -------
    JacobianJob
        With ``job_id`` left at its default; the controller numbers it on submit.
    """
    point = {k: np.asarray(v) for k, v in dict(fields["point"]).items()}  # type: ignore[call-overload]
    options = fields.get("options") or JacobianOptions()
    return JacobianJob(
        model=model,
        point=point,
        method=str(fields.get("method", "auto")),
        input=fields.get("input"),  # type: ignore[arg-type]
        output=fields.get("output"),  # type: ignore[arg-type]
        options=options,  # type: ignore[arg-type]
    )


class CrossChecks(QObject):
    """Sends cross-check requests to the worker and passes on the newest request's answer.

    Parameters
    ----------
    worker : Worker
        Lives in the worker thread; its answers arrive here queued.
    parent : QObject, optional

    Notes
    -----
    Only the newest request is wanted: a user clicking through cells must not see an older
    cell's check arrive after the newer one.
    """

    checked = Signal(object)  # CrossCheck
    check_failed = Signal(str)

    _request = Signal(object)  # queued into the worker thread

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._check_id = 0
        self._request.connect(worker.cross_check)
        worker.cross_checked.connect(self._on_checked)
        worker.cross_check_failed.connect(self._on_failed)

    def request(
        self, job: JacobianJob | None, result: JacobianResult | None, row: int, col: int
    ) -> int | None:
        """Check cell (row, col) of ``result``, made by ``job``, by the other method family.

        Returns the request id, or ``None`` when nothing is displayed. Either way older
        requests become stale.
        """
        self._check_id += 1
        if job is None or result is None:
            return None
        self._request.emit(
            CrossCheckRequest(
                self._check_id, job.model, job.point, row, col,
                result.input_name, result.output_name, result.method,
                float(result.matrix[row, col]),
            )
        )
        return self._check_id

    @Slot(int, object)
    def _on_checked(self, request_id: int, check: object) -> None:
        if request_id == self._check_id:
            self.checked.emit(check)

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        if request_id == self._check_id:
            self.check_failed.emit(message)

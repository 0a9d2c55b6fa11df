"""When and where the controller's work runs: the worker's thread and the edit timers.

Kept apart from :mod:`jacgui.gui.controller` so that the controller reads as job bookkeeping
(ids, cancelling, stale answers) while the timing rules for edits live in one place.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QTimer, Slot


class WorkerThread(QThread):
    """A QThread whose event loop runs inside a Python call.

    With the plain C++ ``QThread.run``, PySide creates a fresh Python thread state for every
    queued slot call and drops it afterwards, so ``threading.local`` data (TensorFlow's eager
    context, Keras settings) does not survive from one call to the next: importing TensorFlow
    in one slot and loading a model in the next one segfaulted. Running ``exec()`` from Python
    keeps one thread state alive for the life of the thread.
    """

    def run(self) -> None:
        """Process queued slot calls until :meth:`quit`."""
        self.exec()


class EditScheduler(QObject):
    """Turns edits into compute calls: debounced ones, and paced live ones.

    Parameters
    ----------
    compute : callable
        Starts a job for the newest state (the controller's ``compute_now``).
    is_busy : callable
        Whether a wanted job is queued or running.
    debounce_ms : int
        Quiet time after a plain edit before it is computed.
    live_interval_ms : int
        Shortest time between two live jobs.
    parent : QObject, optional
    """

    def __init__(
        self,
        compute: Callable[[], object],
        is_busy: Callable[[], bool],
        debounce_ms: int,
        live_interval_ms: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._compute = compute
        self._is_busy = is_busy
        self._live_interval_ms = live_interval_ms
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(compute)
        self.live_pending = False  # a live edit is waiting for the running job to finish
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(live_interval_ms)
        self._live_timer.timeout.connect(self.pump)

    def schedule(self, live: bool) -> None:
        """Compute after the debounce delay, or with ``live`` as soon as pacing allows."""
        if not live:
            self._debounce.start()
            return
        self.live_pending = True
        self.pump()

    @Slot()
    def pump(self) -> None:
        """Start the pending live job unless a job runs or the last one started too recently."""
        if self.live_pending and not self._is_busy() and not self._live_timer.isActive():
            self._live_timer.start(self._live_interval_ms)
            self._compute()

    def drop_pending(self) -> None:
        """Forget edits not yet computed (the caller computes, cancels or replaces them)."""
        self._debounce.stop()
        self.live_pending = False

    def stop(self) -> None:
        """Stop both timers for good (shutdown)."""
        self._debounce.stop()
        self._live_timer.stop()

    def job_done(self) -> None:
        """Follow the newest job's answer with the live edit that waited for it."""
        if self.live_pending and not self._live_timer.isActive():
            self._live_timer.start(0)  # the newest live state, once this answer is shown

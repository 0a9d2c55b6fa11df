"""The status bar: method, shape, time, memory, NaNs, device and sandbox, plus notices.

A view of :class:`~jacgui.gui.state.WindowState`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel, QStatusBar

from .state import WindowState


def format_bytes(n: int | None) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


class StatusFields(QObject):
    """Labels added to a :class:`QStatusBar` as permanent widgets, kept in step with ``state``.

    Parameters
    ----------
    bar : QStatusBar
    state : WindowState
    """

    def __init__(self, bar: QStatusBar, state: WindowState) -> None:
        super().__init__(bar)
        self._bar, self._state = bar, state
        parent = bar
        self.method = QLabel("", parent)
        self.shape = QLabel("", parent)
        self.time = QLabel("", parent)
        self.memory = QLabel("", parent)
        self.nans = QLabel("", parent)
        self.nans.setStyleSheet("color: #b00020; font-weight: bold;")
        self.device = QLabel("Starting the engine…", parent)
        self.method.setToolTip("Method actually used")
        self.shape.setToolTip("Jacobian shape: outputs × inputs")
        self.time.setToolTip("Wall time of the last computation")
        self.memory.setToolTip("Memory estimate from the planner (Jacobian / peak)")
        self.device.setToolTip("Where TensorFlow computes, and how the engine is sandboxed")
        for label in (self.method, self.shape, self.time, self.memory, self.nans, self.device):
            bar.addPermanentWidget(label)
        self.nans.hide()
        state.result_changed.connect(self._on_result)
        state.model_changed.connect(self.clear)
        state.engine_changed.connect(self._on_engine)
        state.notice.connect(self._on_notice)

    @Slot()
    def _on_result(self) -> None:
        if self._state.result is None:
            self.clear()
        else:
            self.show_result(self._state.result)

    @Slot()
    def _on_engine(self) -> None:
        engine = self._state.engine
        if engine.failure:
            self.device.setText("engine failed")
            self.device.setToolTip(engine.failure)
            return
        if not engine.ready:
            self.device.setText("Starting the engine…")
            return
        sandboxed = engine.sandbox and not engine.sandbox.startswith("no sandbox")
        self.device.setText(f"{engine.device}{' · sandboxed' if sandboxed else ''}")
        self.device.setToolTip(f"TensorFlow computes on: {engine.device}\n{engine.sandbox}")

    @Slot(str, bool)
    def _on_notice(self, text: str, error: bool) -> None:
        self._bar.showMessage(text, 15000 if error else 6000)

    def show_plan(self, plan: Any) -> None:
        """Show the planner's memory estimate before the result arrives."""
        if plan is None:
            self.memory.setText("")
            return
        jac = format_bytes(getattr(plan, "jacobian_bytes", None))
        peak = getattr(plan, "estimate_bytes", None)
        self.memory.setText(f"memory ≈ {format_bytes(peak)}" if peak else f"J {jac}")
        chunks = getattr(plan, "n_chunks", 1)
        self.memory.setToolTip(
            f"Planner's estimate: the Jacobian itself takes {jac}; peak with one chunk "
            f"{format_bytes(peak)}; {chunks} chunk(s) of {getattr(plan, 'chunk', '?')}"
            + (f"\n{plan.reason}" if getattr(plan, "reason", "") else "")
        )

    def show_result(self, result: Any) -> None:
        """Show what the last result says about itself."""
        self.method.setText(f"method: {result.method}")
        self.method.setToolTip(result.method_reason or "Method actually used")
        m, n = result.shape
        self.shape.setText(f"{m}×{n}")
        self.time.setText(f"{result.seconds * 1000:.0f} ms")
        plan = result.extra.get("plan") if isinstance(result.extra, dict) else None
        if plan is not None:
            self.show_plan(plan)
        bad = int(np.sum(~np.isfinite(result.matrix)))
        self.nans.setText(f"{bad} NaN" if bad else "")
        self.nans.setToolTip("\n".join(result.warnings))
        self.nans.setVisible(bool(bad))

    @Slot()
    def clear(self) -> None:
        """Forget the last result (another model was loaded)."""
        for label in (self.method, self.shape, self.time, self.memory, self.nans):
            label.setText("")
        self.nans.hide()

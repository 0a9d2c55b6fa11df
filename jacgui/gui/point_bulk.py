"""Reset, randomise and undo of the point editor.

A mixin of :class:`~jacgui.gui.point_editor.PointEditor`: it uses the editor's ``_spec()``,
``_default()``, ``set_values()``, ``set_input()``, ``seed``, ``table_model`` and ``_undo``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Slot

if TYPE_CHECKING:
    from .point_editor import PointEditor as _Base
else:
    _Base = object

__all__ = ["UNDO_DEPTH", "PointBulkActions"]

#: Changes that can be undone.
UNDO_DEPTH = 50


class PointBulkActions(_Base):
    """Changes of the whole edited input, and undo."""

    @Slot()
    def reset_point(self) -> None:
        """Go back to the model's default value for this input."""
        spec = self._spec()
        if spec is not None:
            self.set_values(self._default(spec))

    @Slot()
    def randomise_point(self) -> None:
        """Random point from the seed: images uniform in [0, 1], others default ±10 %."""
        spec = self._spec()
        if spec is None:
            return
        rng = np.random.default_rng(self.seed.value())
        default = self._default(spec).reshape(-1)
        if spec.is_image:
            values = rng.uniform(0.0, 1.0, spec.size)
        else:
            spread = np.where(default == 0, 0.1, 0.1 * np.abs(default))
            values = default + rng.uniform(-1.0, 1.0, spec.size) * spread
        if not spec.is_float:
            values = np.round(values)
        self.set_values(values)

    @Slot()
    def undo(self) -> None:
        """Restore the value before the last change."""
        while self._undo:
            name, values = self._undo.pop()
            if name in self._points and self._points[name].size == values.size:
                if name != self._input:
                    self.set_input(name)
                self.table_model.set_values(values)
                self._after_change()
                break
        self._update_enabled()

    @Slot()
    def _push_undo(self) -> None:
        if self._input is not None:
            self._undo.append((self._input, self._current_values()))
            del self._undo[:-UNDO_DEPTH]
            self.undo_action.setEnabled(True)

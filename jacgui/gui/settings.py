"""Persistent user preferences: window geometry, last directory, recent models, heatmap view.

A thin typed wrapper over :class:`QSettings` so that tests can hand the window an INI file in a
temporary folder instead of writing to the user's real configuration.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "jacgui"
APPLICATION = "jacgui"
MAX_RECENT = 10


class Settings:
    """Typed access to jacgui's :class:`QSettings`.

    Parameters
    ----------
    store : QSettings, optional
        Where to keep the values; by default the user's native settings for organisation and
        application "jacgui".
    """

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    @classmethod
    def in_file(cls, path: str | Path) -> Settings:
        """Settings kept in an INI file (used by tests and the screenshot script)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    # -- geometry ---------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        """The saved main-window geometry, or ``None`` on first start."""
        value = self._store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        """The saved dock/toolbar layout, or ``None`` on first start."""
        value = self._store.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        """Remember the main window's geometry and dock layout."""
        self._store.setValue("window/geometry", geometry)
        self._store.setValue("window/state", state)

    # -- directories ------------------------------------------------------------------------
    def last_dir(self) -> str:
        """The folder the last file dialog ended in (home folder by default)."""
        value = self._store.value("paths/last_dir", "")
        if isinstance(value, str) and value and Path(value).is_dir():
            return value
        return str(Path.home())

    def set_last_dir(self, path: str | Path) -> None:
        """Remember the folder of ``path`` (or ``path`` itself when it is a folder)."""
        p = Path(path)
        folder = p if p.is_dir() and not _is_savedmodel(p) else p.parent
        self._store.setValue("paths/last_dir", str(folder))

    # -- recent models ----------------------------------------------------------------------
    def recent_models(self) -> list[str]:
        """Recently opened models, newest first, at most :data:`MAX_RECENT`."""
        value = self._store.value("models/recent", [])
        if isinstance(value, str):  # QSettings collapses a one-item list to a string
            value = [value]
        return [str(v) for v in (value or [])][:MAX_RECENT]

    def add_recent_model(self, path: str | Path) -> list[str]:
        """Put ``path`` first in the recent list and return the new list."""
        entry = str(Path(path).resolve())
        recent = [entry] + [p for p in self.recent_models() if p != entry]
        recent = recent[:MAX_RECENT]
        self._store.setValue("models/recent", recent)
        return recent

    def clear_recent_models(self) -> None:
        """Forget every recent model."""
        self._store.setValue("models/recent", [])

    # -- heatmap view -------------------------------------------------------------------------
    def heatmap_colormap(self, default: str) -> str:
        """The colour map chosen in View ▸ Colour map (``default`` if none was)."""
        value = self._store.value("view/colormap", default)
        return value if isinstance(value, str) and value else default

    def set_heatmap_colormap(self, name: str) -> None:
        """Remember the heatmap's colour map."""
        self._store.setValue("view/colormap", name)

    def heatmap_value_scale(self, default: str) -> str:
        """``"linear"`` or ``"symlog"`` as chosen in View ▸ Value scale."""
        value = self._store.value("view/value_scale", default)
        return value if isinstance(value, str) and value else default

    def set_heatmap_value_scale(self, scale: str) -> None:
        """Remember the heatmap's value scale."""
        self._store.setValue("view/value_scale", scale)

    def sync(self) -> None:
        """Write pending changes to disk."""
        self._store.sync()


def _is_savedmodel(path: Path) -> bool:
    return (path / "saved_model.pb").exists()

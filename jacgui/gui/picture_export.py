"""Pictures of a heatmap (PNG, SVG) for reports; raw data export lives in ``jacgui.core``.

Both formats render the heatmap's whole graphics scene: plot, axis labels, title, colour bar
and the selection outline if one is shown (the hover read-out under the plot is not part of it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6 import QtCore, QtGui

from jacgui.core.atomic import write_atomically

from .svg_fix import ensure_svg_export_works

if TYPE_CHECKING:
    from .heatmap import HeatmapView

__all__ = [
    "PICTURE_SUFFIXES", "export_picture", "export_png", "export_svg", "render_qimage",
    "save_qimage", "settle_layout", "titled",
]

PICTURE_SUFFIXES = (".png", ".svg")


@contextlib.contextmanager
def titled(view: HeatmapView, title: str) -> Iterator[None]:
    """Show ``title`` on ``view`` while exporting it, then put the window's title back.

    A picture in a report must say what it shows; on screen the window around it does.
    """
    previous = view.title()
    view.set_title(title)
    try:
        yield
    finally:
        view.set_title(previous)


_SCREEN_DPI = 96.0


def save_qimage(image: QtGui.QImage, path: str | Path) -> Path:
    """Write ``image`` as a PNG at ``path``, whole or not at all (the one atomic writer)."""

    def write(temporary: Path) -> None:
        if not image.save(str(temporary), "PNG"):
            raise OSError(f"Qt could not encode a PNG for {Path(path).name}")

    return write_atomically(path, write)


def export_png(view: HeatmapView, path: str | Path, scale: float = 2.0) -> Path:
    """Write the heatmap as a PNG ``scale`` times the on-screen size.

    Cells stay crisp: the image item is drawn without smoothing, so each cell is a flat block.

    Parameters
    ----------
    view : HeatmapView
    path : str or Path
    scale : float
        Output pixels per screen pixel; the PNG also records ``96 * scale`` dpi.

    Returns
    -------
    Path
        ``path``.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    path = Path(path)
    image = render_qimage(view, scale)
    dots_per_metre = round(_SCREEN_DPI * scale / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    return save_qimage(image, path)


def render_qimage(view: HeatmapView, scale: float = 2.0) -> QtGui.QImage:
    """The heatmap's scene rendered into a :class:`QImage` ``scale`` times its screen size.

    Parameters
    ----------
    view : HeatmapView
    scale : float

    Returns
    -------
    QImage
    """
    settle_layout()
    scene = view.graphics_view().scene()
    exporter = ImageExporter(scene)
    width = view.graphics_view().width()
    # Height follows from the aspect ratio (the exporter locks it).
    exporter.parameters()["width"] = max(1, round(width * scale))
    image = exporter.export(toBytes=True)
    return image.convertToFormat(QtGui.QImage.Format.Format_ARGB32)


def export_svg(view: HeatmapView, path: str | Path) -> Path:
    """Write the heatmap as SVG: vector axes and text, the matrix as an embedded image.

    Uses pyqtgraph's SVG exporter (which clips to the view box) with the closed-path fix of
    :mod:`jacgui.gui.svg_fix` where the installed pyqtgraph needs it.  The embedded image is
    upscaled nearest-neighbour and marked ``image-rendering: pixelated`` so cells stay crisp.

    Parameters
    ----------
    view : HeatmapView
    path : str or Path

    Returns
    -------
    Path
        ``path``.
    """
    ensure_svg_export_works()
    settle_layout()
    path = Path(path)
    exporter = SVGExporter(view.graphics_view().scene())
    data = bytes(exporter.export(toBytes=True))
    return write_atomically(path, lambda temporary: temporary.write_bytes(data))


def export_picture(view: HeatmapView, path: str | Path, scale: float = 2.0) -> Path:
    """Write a PNG or SVG depending on the suffix of ``path``.

    Parameters
    ----------
    view : HeatmapView
    path : str or Path
        Ends in ``.png`` or ``.svg`` (any case).
    scale : float
        PNG only: output pixels per screen pixel.

    Returns
    -------
    Path
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        return export_png(view, path, scale)
    if suffix == ".svg":
        return export_svg(view, path)
    raise ValueError(f"picture format must be one of {PICTURE_SUFFIXES}, not {suffix!r}")


def settle_layout() -> None:
    """Run pending layout requests so a picture shows the final geometry.

    A changed axis width propagates through nested graphics layouts one event round per
    level (axis -> colour bar -> plot row), so a few rounds are needed right after a change.
    """
    app = QtCore.QCoreApplication.instance()
    if app is not None:
        for _ in range(4):
            app.processEvents()

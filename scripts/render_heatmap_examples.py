"""Render sample heatmaps (PNG, SVG and the SVG rasterised back to PNG) into a folder.

Usage: python scripts/render_heatmap_examples.py OUT_DIR

The pictures are for looking at, not for committing: a 16 x 5 trajectory Jacobian with a NaN
cell and a selected cell, the same on a symlog scale, a 10 x 784 image-classifier Jacobian,
a 100 x 12288 one, and a sensitivity map of the image model.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets  # noqa: E402

from jacgui.core.job import JacobianResult  # noqa: E402
from jacgui.gui.heatmap import HeatmapView  # noqa: E402
from jacgui.gui.picture_export import export_png, export_svg  # noqa: E402
from jacgui.gui.sensitivity_view import SensitivityMapView  # noqa: E402


def oscillator() -> JacobianResult:
    """d x(t) / d (mass, k, c, x0, v0) of a damped oscillator, 16 time samples."""
    t = np.arange(16) * 0.5
    mass, k, c, x0, v0 = 1.0, 4.0, 0.4, 1.0, 0.0

    def x(p: np.ndarray) -> np.ndarray:
        m_, k_, c_, x0_, v0_ = p
        w = np.sqrt(k_ / m_ - (c_ / (2 * m_)) ** 2)
        g = c_ / (2 * m_)
        return np.exp(-g * t) * (x0_ * np.cos(w * t) + (v0_ + g * x0_) / w * np.sin(w * t))

    p0 = np.array([mass, k, c, x0, v0])
    h = 1e-6
    jac = np.stack([(x(p0 + h * e) - x(p0 - h * e)) / (2 * h) for e in np.eye(5)], axis=1)
    jac[5, 2] = np.nan  # a cell the engine could not differentiate
    return JacobianResult(
        matrix=jac, outputs=x(p0), point=p0,
        input_labels=("mass", "k", "c", "x0", "v0"),
        output_labels=tuple(f"x(t={s:.2f} s)" for s in t),
        input_name="oscillator_params", output_name="trajectory",
        input_shape=(5,), output_shape=(16,), method="reverse")


def image_model(n_out: int = 10, side: int = 28, channels: int = 1) -> JacobianResult:
    """A smooth, class-dependent Jacobian of a fake image classifier."""
    yy, xx = np.mgrid[0:side, 0:side] / side
    blob = np.exp(-((yy - 0.5) ** 2 + (xx - 0.45) ** 2) / 0.05)
    rows = [np.sin((k + 1) * 3 * xx + k) * np.cos(2 * yy * (k % 3 + 1)) * blob * 0.01 * (k + 1)
            for k in range(n_out)]
    jac = np.stack([np.repeat(r[..., None], channels, axis=2).ravel() for r in rows])
    labels = [f"px[{i},{j}]" + (f",c{c}" if channels > 1 else "")
              for i in range(side) for j in range(side) for c in range(channels)]
    return JacobianResult(
        matrix=jac, outputs=np.full(n_out, 1.0 / n_out),
        point=np.repeat(blob[..., None], channels, axis=2).ravel(),
        input_labels=tuple(labels), output_labels=tuple(f"p(class={k})" for k in range(n_out)),
        input_name="image", output_name="probabilities",
        input_shape=(side, side, channels), output_shape=(n_out,), method="reverse")


def svg_to_png(svg: Path, png: Path, scale: float = 2.0) -> None:
    """Rasterise with Qt's own SVG renderer, to look at what an SVG viewer would show."""
    renderer = QtSvg.QSvgRenderer(str(svg))
    size = renderer.defaultSize() * scale
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.white)
    painter = QtGui.QPainter(image)
    renderer.render(painter)
    painter.end()
    image.save(str(png))


def main(out: Path) -> None:
    """Write every example picture into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    view = HeatmapView()
    view.resize(900, 600)
    view.show()
    cases = [
        ("oscillator", oscillator(), "linear", (2, 1), "J of the trajectory at p0"),
        ("oscillator_symlog", oscillator(), "symlog", None, "same, symlog scale"),
        ("image_10x784", image_model(), "linear", (3, 400), "10 × 784 classifier"),
        ("image_100x12288", image_model(100, 64, 3), "linear", None, "100 × 12288"),
    ]
    for name, result, scale, cell, title in cases:
        view.set_value_scale(scale)
        view.set_result(result, title=title)
        view.clear_selection()
        if cell is not None:
            view.select_cell(*cell)
        for _ in range(2):
            app.processEvents()
        export_png(view, out / f"{name}.png")
        export_svg(view, out / f"{name}.svg")
        svg_to_png(out / f"{name}.svg", out / f"{name}.svg.png")
        view.grab().save(str(out / f"{name}.screen.png"))
    sens = SensitivityMapView()
    sens.resize(900, 420)
    sens.show()
    sens.set_result(image_model(), 3)
    app.processEvents()
    sens.grab().save(str(out / "sensitivity_map.png"))
    print(f"wrote {len(list(out.iterdir()))} files to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))

"""Make the figures of docs/analyses.md from the bundled demo models.

Usage: python scripts/analysis_figures.py OUT_DIR [--no-png]

For every analysis it writes the data (CSV, and JSON with metadata) with the core's own export
to OUT_DIR/data/, then renders OUT_DIR/analysis_<name>.png with pyqtgraph offscreen (skipped
with ``--no-png``). To refresh the documentation:

    python scripts/analysis_figures.py /tmp/figs && cp /tmp/figs/analysis_*.png docs/img/


  slice       oscillator: x(t=2.00 s) along stiffness, tangent and trust interval
  svd         oscillator: singular values and the input weights of v1, v2
  compare     oscillator: AD - FD heatmap (float32 reverse mode vs float64 central differences)
  sweep       oscillator: |FD - AD| of d x(t=1.00 s)/d stiffness against the step, float32/64
  global      borehole: DGSM upper bounds on the total Sobol indices, 2048 Sobol points
  sobol       borehole: first-order and total Sobol indices (N = 2048) and their convergence
  saliency    digits CNN: the input "3", saliency and gradient x input of the class-3 logit
  attributions digits CNN: integrated gradients (zeros and blur baselines) and SmoothGrad
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from jacgui.core import analysis as an  # noqa: E402
from jacgui.core.engine import jacobian  # noqa: E402
from jacgui.core.loading import load_model  # noqa: E402

MODELS = ROOT / "resources" / "models"
BOREHOLE_BOX = np.array([[0.05, 0.15], [100, 50000], [63070, 115600], [990, 1110],
                         [63.1, 116], [700, 820], [1120, 1680], [9855, 12045]])
BLUE, ORANGE, GREEN, GREY = (31, 119, 180), (230, 120, 20), (44, 160, 44), (120, 120, 120)


def compute(out: Path) -> dict:
    """Run every analysis, save its data under ``out``, and return what the pictures need."""
    osc = load_model(MODELS / "oscillator.keras")
    bore = load_model(MODELS / "borehole.keras")
    digits = load_model(MODELS / "digits_cnn.keras")
    data = {
        "slice": an.slice_cell(osc, None, "x(t=2.00 s)", "stiffness [N/m]", t_range=1.5,
                               samples=301),
        "svd": an.principal_directions(jacobian(osc), k=2),
        "compare": an.compare_ad_fd(osc),
        "sweep": an.step_sweep(osc, None, "x(t=1.00 s)", "stiffness [N/m]", dtype="both"),
    }
    points = an.sample_box(BOREHOLE_BOX, 2048, "sobol", seed=0)
    data["global"] = an.global_sensitivity(bore, points, bounds=BOREHOLE_BOX,
                                           provenance={"sampling": "sobol", "seed": 0})
    data["sobol"] = an.sobol_indices(bore, BOREHOLE_BOX, 2048, seed=0)
    data["ig_zeros"] = an.integrated_gradients(digits, None, 3, steps=64)
    data["ig_blur"] = an.integrated_gradients(digits, None, 3, steps=64, baseline="blur")
    data["smoothgrad"] = an.smoothgrad(digits, None, 3, samples=100, noise=0.15)
    for name, result in data.items():
        an.save_analysis(result, out / f"{name}.csv")
        an.save_analysis(result, out / f"{name}.json")
    cnn = jacobian(digits)
    maps = {"input": cnn.point.reshape(28, 28), "saliency": an.saliency(cnn, 3),
            "gradient_x_input": an.gradient_times_input(cnn, 3)}
    for name, image in maps.items():
        np.savetxt(out / f"saliency_{name}.csv", image, delimiter=",", fmt="%.9g")
    data["saliency"] = (maps, cnn)
    data["attributions"] = (data.pop("ig_zeros"), data.pop("ig_blur"), data.pop("smoothgrad"))
    return data


# --- pictures ------------------------------------------------------------------------------


def render(data: dict, out: Path) -> list[Path]:
    """One PNG per analysis; returns the paths."""
    import pyqtgraph as pg
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["figures"])
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    paths = []
    for name, draw, size in (("slice", _slice, (760, 440)), ("svd", _svd, (900, 380)),
                             ("sweep", _sweep, (760, 460)), ("global", _global, (820, 420)),
                             ("sobol", _sobol, (1000, 420)), ("saliency", _saliency, (960, 360)),
                             ("attributions", _attributions, (1280, 360))):
        window = pg.GraphicsLayoutWidget()
        window.resize(*size)
        draw(window, data[name])
        paths.append(_export(app, window, out / f"analysis_{name}.png"))
    paths.append(_compare(data["compare"], out / "analysis_compare.png"))
    return paths


def _export(app, window, path: Path) -> Path:  # noqa: ANN001 - Qt objects
    import pyqtgraph.exporters as exporters

    window.show()
    for _ in range(3):
        app.processEvents()
    exporter = exporters.ImageExporter(window.scene())
    exporter.parameters()["width"] = window.width()
    exporter.export(str(path))
    window.close()
    return path


def _pen(color, width=2, dash=None):  # noqa: ANN001, ANN202
    import pyqtgraph as pg
    from PySide6 import QtCore

    pen = pg.mkPen(color=color, width=width)
    if dash:
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
    return pen


def _slice(window, s) -> None:  # noqa: ANN001
    import pyqtgraph as pg

    plot = window.addPlot(title=f"{s.output_label} along {s.input_label}: tangent within "
                                f"{s.rtol:.0%} for t in [{s.t_minus:.3g}, {s.t_plus:.3g}]")
    x = s.x_j + s.t
    region = pg.LinearRegionItem((s.x_j + s.t_minus, s.x_j + s.t_plus), movable=False,
                                 brush=(44, 160, 44, 50), pen=_pen(GREEN, 1))
    plot.addItem(region)
    plot.addLegend(offset=(10, 10))
    plot.plot(x, s.values, pen=_pen(BLUE, 3), name="model f(x + t e_j)")
    plot.plot(x, s.tangent, pen=_pen(ORANGE, 2, dash=True), name="tangent f(x) + t J_ij")
    plot.plot([s.x_j], [s.f_x], pen=None, symbol="o", symbolBrush="k", name="the point")
    plot.setLabel("bottom", s.input_label)
    plot.setLabel("left", f"{s.output_label}  [m]")
    _plain_axes(plot)
    span = np.nanmax(s.values) - np.nanmin(s.values)
    plot.setYRange(np.nanmin(s.values) - 0.3 * span, np.nanmax(s.values) + 0.3 * span)
    plot.showGrid(x=True, y=True, alpha=0.2)


def _plain_axes(plot) -> None:  # noqa: ANN001
    # pyqtgraph would rescale ticks and append "(x0.001)" to the label: easy to misread.
    for side in ("left", "bottom"):
        plot.getAxis(side).enableAutoSIPrefix(False)


def _bars(plot, values, labels, color, offset=0.0, width=0.6) -> None:  # noqa: ANN001
    import pyqtgraph as pg

    x = np.arange(len(values)) + offset
    plot.addItem(pg.BarGraphItem(x=x, height=values, width=width, brush=color, pen=None))
    plot.getAxis("bottom").setTicks([[(i, lab) for i, lab in enumerate(labels)]])


def _svd(window, pd) -> None:  # noqa: ANN001
    import pyqtgraph as pg

    left = window.addPlot(title=f"singular values (condition number {pd.condition_number:.3g})")
    s = pd.singular_values
    left.setLogMode(y=True)
    left.plot(np.arange(s.size), s, pen=_pen(BLUE, 1), symbol="o", symbolBrush=BLUE,
              symbolPen=None, symbolSize=10)
    for k, value in enumerate(s):
        label = pg.TextItem(f"{value:.3g}", color="k", anchor=(-0.2, 0.5))
        label.setPos(k, np.log10(value))
        left.addItem(label)
    left.getAxis("bottom").setTicks([[(k, f"s{k + 1}") for k in range(s.size)]])
    left.setXRange(-0.4, s.size + 0.3)
    left.showGrid(y=True, alpha=0.25)
    _plain_axes(left)
    right = window.addPlot(title="input weights of v1 (blue) and v2 (orange)")
    labels = [lab.split(" [")[0] for lab in pd.input_labels]
    _bars(right, pd.input_directions[0], labels, BLUE, -0.18, 0.34)
    _bars(right, pd.input_directions[1], labels, ORANGE, 0.18, 0.34)
    right.addLine(y=0, pen=_pen(GREY, 1))
    right.setYRange(-1.05, 1.05)
    right.showGrid(y=True, alpha=0.2)
    window.ci.layout.setColumnStretchFactor(1, 2)


def _sweep(window, sw) -> None:  # noqa: ANN001
    plot = window.addPlot(title=f"|central difference - AD| of d {sw.output_label} / d "
                                f"{sw.input_label.split(' [')[0]}")
    plot.setLogMode(x=True, y=True)
    plot.addLegend(offset=(-10, 10))
    for d, (dtype, color) in enumerate(zip(sw.dtypes, (ORANGE, BLUE), strict=False)):
        keep = np.isfinite(sw.error[d]) & (sw.error[d] > 0) & (sw.steps[d] > 0)
        plot.plot(sw.steps[d][keep], sw.error[d][keep], pen=_pen(color, 2), symbol="o",
                  symbolSize=5, symbolBrush=color, symbolPen=None, name=dtype)
        plot.addLine(x=np.log10(sw.rule_step[d]), pen=_pen(color, 1, dash=True))
    plot.setLabel("bottom", "absolute step h  (dashed: rule-of-thumb step)")
    plot.setLabel("left", "absolute error")
    _plain_axes(plot)
    plot.showGrid(x=True, y=True, alpha=0.25)


def _global(window, g) -> None:  # noqa: ANN001
    import pyqtgraph as pg

    plot = window.addPlot(title=f"borehole: DGSM bound on each total Sobol index "
                                f"({g.n_samples} Sobol points, 95% intervals)")
    bound, error = g.total_index_bound[0], g.conf_total_index_bound[0]
    _bars(plot, bound, list(g.input_labels), BLUE)
    x = np.arange(bound.size)
    plot.addItem(pg.ErrorBarItem(x=x, y=bound, height=2 * error, beam=0.2, pen=_pen("k", 1)))
    for i, value in enumerate(bound):
        text = pg.TextItem(f"{value:.2g}", color="k", anchor=(0.5, 1.0))
        text.setPos(i, value + error[i] + 0.01)
        plot.addItem(text)
    plot.setYRange(0, 1.25 * float(np.max(bound + error)))
    plot.setLabel("left", "(b-a)^2 E[(df/dx)^2] / (pi^2 Var f)")
    plot.showGrid(y=True, alpha=0.2)


def _sobol(window, s) -> None:
    import pyqtgraph as pg

    ranked = s.ranked(0)
    labels = [r[0] for r in ranked]
    first, first_conf = np.array([r[1] for r in ranked]), np.array([r[2] for r in ranked])
    total, total_conf = np.array([r[3] for r in ranked]), np.array([r[4] for r in ranked])
    bars = window.addPlot(title=f"borehole: Sobol indices, N = {s.n_samples} "
                                f"({s.evaluations} runs), 95% intervals")
    x = np.arange(len(labels))
    _bars(bars, first, labels, BLUE, -0.18, 0.34)
    _bars(bars, total, labels, ORANGE, 0.18, 0.34)
    for offset, values, conf in ((-0.18, first, first_conf), (0.18, total, total_conf)):
        bars.addItem(pg.ErrorBarItem(x=x + offset, y=values, height=2 * conf, beam=0.12,
                                     pen=_pen("k", 1)))
    legend = bars.addLegend(offset=(-10, 10))
    legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=0.3, brush=BLUE), "first order S1")
    legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=0.3, brush=ORANGE), "total ST")
    bars.addLine(y=0, pen=_pen(GREY, 1))
    bars.setYRange(-0.05, 1.0)
    bars.showGrid(y=True, alpha=0.2)
    c = s.convergence
    lines = window.addPlot(title="ST against N (same design, prefixes)")
    lines.addLegend(offset=(-10, 10))
    steps = np.log2(c.n_samples)  # evenly spaced doublings, labelled by N
    lines.getAxis("bottom").setTicks([[(v, str(n)) for v, n in zip(steps, c.n_samples,
                                                                    strict=True)]])
    colours = (BLUE, ORANGE, GREEN, (200, 40, 40), (140, 90, 190))
    for colour, (label, *_rest) in zip(colours, ranked[:5], strict=False):
        j = s.input_labels.index(label)
        lines.plot(steps, c.total_order[:, 0, j], pen=_pen(colour, 2), symbol="o",
                   symbolSize=6, symbolBrush=colour, symbolPen=None, name=label)
        lines.addItem(pg.ErrorBarItem(x=steps, y=c.total_order[:, 0, j],
                                      height=2 * c.total_order_conf[:, 0, j], beam=0.08,
                                      pen=_pen(colour, 1)))
    lines.setLabel("bottom", "N (base samples)")
    lines.setYRange(-0.05, 1.0)
    lines.showGrid(x=True, y=True, alpha=0.2)
    _plain_axes(lines)
    window.ci.layout.setColumnStretchFactor(0, 3)
    window.ci.layout.setColumnStretchFactor(1, 2)


def _attributions(window, payload) -> None:
    import pyqtgraph as pg

    ig_zeros, ig_blur, smooth = payload
    panels = (("input (default point)", ig_zeros.point[..., 0], None),
              (f"blur baseline (f = {ig_blur.f_baseline:.2f})", ig_blur.baseline[..., 0], None),
              (f"IG from zeros, gap {ig_zeros.relative_gap:.1%}", ig_zeros.attributions[..., 0],
               "signed"),
              (f"IG from blur, gap {ig_blur.relative_gap:.1%}", ig_blur.attributions[..., 0],
               "signed"),
              (f"SmoothGrad, N = {smooth.samples}", smooth.mean_gradient[..., 0], "signed"))
    for title, image, kind in panels:
        plot = window.addPlot(title=title)
        item = pg.ImageItem(image, axisOrder="row-major")
        plot.addItem(item)
        plot.invertY(True)
        plot.setAspectLocked(True)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        if kind == "signed":
            limit = float(np.abs(image).max())
            item.setLookupTable(pg.colormap.get("CET-D1").getLookupTable(nPts=256))
            item.setLevels((-limit, limit))
        else:
            item.setLevels((0.0, 1.0))


def _saliency(window, payload) -> None:  # noqa: ANN001
    import pyqtgraph as pg

    maps, _ = payload
    titles = {"input": "input (default point)", "saliency": "saliency |d logit_3 / d x|",
              "gradient_x_input": "gradient x input (class 3)"}
    for name, image in maps.items():
        plot = window.addPlot(title=titles[name])
        item = pg.ImageItem(image, axisOrder="row-major")
        plot.addItem(item)
        plot.invertY(True)
        plot.setAspectLocked(True)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        if name == "gradient_x_input":
            limit = float(np.abs(image).max())
            cmap, levels = pg.colormap.get("CET-D1"), (-limit, limit)
        elif name == "saliency":
            cmap, levels = pg.colormap.get("CET-L3"), (0.0, float(image.max()))
        else:
            cmap, levels = pg.colormap.get("CET-L1"), (0.0, 1.0)
        bar = pg.ColorBarItem(values=levels, colorMap=cmap, interactive=False, width=12)
        bar.setImageItem(item, insert_in=plot)


def _compare(agreement, path: Path) -> Path:  # noqa: ANN001
    from jacgui.core.job import JacobianResult
    from jacgui.gui.render import render_result_image

    m, n = agreement.difference.shape
    result = JacobianResult(agreement.difference, np.zeros(m), np.zeros(n),
                            agreement.input_labels, agreement.output_labels, "params",
                            "displacement", (n,), (m,), "AD - FD")
    title = (f"AD ({agreement.ad_dtype}) - FD ({agreement.fd_dtype}): "
             f"{agreement.fraction_agree:.0%} of cells agree within the error estimate")
    return render_result_image(result, path, title=title, size=(760, 560), scale=1.0)


def main(argv: list[str]) -> int:
    """Entry point; returns the exit status."""
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    data = compute(out / "data")
    print(f"data written to {out / 'data'}")
    if "--no-png" not in argv:
        for path in render(data, out):
            print(f"{path}  {path.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

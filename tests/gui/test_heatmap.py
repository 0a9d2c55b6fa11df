"""HeatmapView: real widgets, real signals, synthesized mouse and key events (offscreen)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from jacgui.core.job import JacobianResult
from jacgui.gui import colormaps
from jacgui.gui.heatmap import HeatmapView
from jacgui.gui.heatmap_math import (
    cell_at,
    color_levels,
    label_step,
    symlog,
    symlog_threshold,
    symlog_ticks,
    visible_label_indices,
)
from jacgui.gui.picture_export import render_qimage


def make_result(matrix: np.ndarray, **kw: object) -> JacobianResult:
    m, n = matrix.shape
    fields = dict(
        matrix=matrix,
        outputs=np.linspace(1.0, 2.0, m),
        point=np.linspace(-1.0, 1.0, n),
        input_labels=tuple(f"in{j}" for j in range(n)),
        output_labels=tuple(f"out{i}" for i in range(m)),
        input_name="x",
        output_name="y",
        input_shape=(n,),
        output_shape=(m,),
        method="reverse",
    )
    fields.update(kw)
    return JacobianResult(**fields)


@pytest.fixture
def view(qtbot) -> HeatmapView:
    w = HeatmapView()
    # These tests read cell colours at cell centres; the value texts of small matrices sit
    # there (they have their own test).
    w.show_values(False)
    qtbot.addWidget(w)
    w.resize(700, 450)
    w.show()
    qtbot.waitExposed(w)
    return w


def settle(qtbot, view: HeatmapView) -> None:
    """Wait until the deferred range update has stretched the image over the whole view box."""
    vb = view.plot_item().vb

    def laid_out() -> None:
        img = view.image_item().sceneBoundingRect()
        box = vb.sceneBoundingRect()
        assert box.width() > 200 and box.height() > 150
        for a, b in ((img.left(), box.left()), (img.right(), box.right()),
                     (img.top(), box.top()), (img.bottom(), box.bottom())):
            assert abs(a - b) < 1.0

    qtbot.waitUntil(laid_out)


def send_mouse(view: HeatmapView, kind: QtCore.QEvent.Type, scene_pos: QtCore.QPointF) -> None:
    # Hand-built events to the viewport, as pyqtgraph's own ui_testing does for GraphicsView.
    gv = view.graphics_view()
    local = QtCore.QPointF(gv.mapFromScene(scene_pos))
    left = QtCore.Qt.MouseButton.LeftButton
    button = QtCore.Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseMove else left
    pressed = kind == QtCore.QEvent.Type.MouseButtonPress
    buttons = left if pressed else QtCore.Qt.MouseButton.NoButton
    event = QtGui.QMouseEvent(kind, local, gv.viewport().mapToGlobal(local), button, buttons,
                              QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(gv.viewport(), event)


def hover(qtbot, view: HeatmapView, scene_pos: QtCore.QPointF, expected: list[int]) -> None:
    """Move the mouse to ``scene_pos`` until ``cell_hovered`` reports ``expected``.

    pyqtgraph drops move events that follow each other within its ``mouseRateLimit``, so the
    move is re-sent while waiting instead of sleeping a fixed time.
    """
    seen: list[list[int]] = []
    view.cell_hovered.connect(lambda r, c: seen.append([r, c]))

    def arrived() -> None:
        if expected not in seen:
            send_mouse(view, QtCore.QEvent.Type.MouseMove, scene_pos)
        assert expected in seen

    qtbot.waitUntil(arrived)


def click_cell(view: HeatmapView, row: int, col: int) -> None:
    pos = view.cell_scene_pos(row, col)
    send_mouse(view, QtCore.QEvent.Type.MouseMove, pos)
    send_mouse(view, QtCore.QEvent.Type.MouseButtonPress, pos)
    send_mouse(view, QtCore.QEvent.Type.MouseButtonRelease, pos)


# ------------------------------------------------------------------ pure helpers (no Qt)
def test_cell_at_floors_and_clips() -> None:
    assert cell_at(0.0, 0.0, (3, 4)) == (0, 0)
    assert cell_at(3.99, 2.5, (3, 4)) == (2, 3)
    assert cell_at(4.0, 3.0, (3, 4)) == (2, 3)  # outer edge -> border cell
    assert cell_at(-0.2, -5.0, (3, 4)) == (0, 0)
    assert cell_at(1.5, 0.5, (3, 4)) == (0, 1)


def test_levels_use_finite_values_only() -> None:
    m = np.array([[1.0, -3.0], [np.nan, np.inf]])
    assert color_levels(m) == (-3.0, 3.0)
    assert color_levels(np.zeros((2, 2))) == (-1.0, 1.0)
    assert color_levels(np.full((2, 2), np.nan)) == (-1.0, 1.0)
    assert color_levels(np.array([[0.5, 2.0]]), diverging=False) == (0.0, 2.0)


def test_symlog_ticks_show_real_values() -> None:
    t = symlog_threshold(10.0)
    ticks = symlog_ticks(10.0, t)
    labels = [label for _, label in ticks]
    assert labels[len(labels) // 2] == "0"
    assert {"0.01", "0.1", "1", "10", "-10"} <= set(labels)
    for pos, label in ticks:
        assert pos == pytest.approx(float(symlog(float(label), t)))


def test_label_thinning_uses_round_steps() -> None:
    assert label_step(20.0, 15.0) == 1
    assert label_step(1.0, 15.0) == 20
    assert label_step(0.4, 15.0) == 50
    assert visible_label_indices(0.0, 100.0, 100, 20) == [0, 20, 40, 60, 80]
    assert visible_label_indices(10.2, 13.0, 100, 1) == [10, 11, 12]


# ------------------------------------------------------------------ widget behaviour
def test_click_emits_cell_and_selects(qtbot, view: HeatmapView) -> None:
    view.set_result(make_result(np.arange(12.0).reshape(3, 4)))
    settle(qtbot, view)
    for row, col in [(0, 0), (2, 3), (1, 2)]:
        with qtbot.waitSignal(view.cell_clicked) as clicked:
            click_cell(view, row, col)
        assert clicked.args == [row, col]
        assert view.selected_cell() == (row, col)


def test_arrow_keys_move_selection_clamped(qtbot, view: HeatmapView) -> None:
    view.set_result(make_result(np.ones((3, 4))))
    view.select_cell(0, 0)
    seen: list[tuple[int, int]] = []
    view.selection_changed.connect(lambda r, c: seen.append((r, c)))
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Right)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Down)
    # Through the graphics view too: that is where focus is after a click.
    qtbot.keyClick(view.graphics_view(), QtCore.Qt.Key.Key_Down)
    qtbot.keyClick(view.graphics_view(), QtCore.Qt.Key.Key_Down)  # clamped at the last row
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Up)
    assert seen == [(0, 1), (1, 1), (2, 1), (1, 1)]
    assert view.selected_cell() == (1, 1)
    with pytest.raises(IndexError):
        view.select_cell(3, 0)


def test_hover_text_has_labels_and_value(qtbot, view: HeatmapView) -> None:
    m = np.array([[1.0, 2.0], [3.0, 0.123456789]])
    view.set_result(make_result(m, output_labels=("flow", "head"), input_labels=("rw", "Tu")))
    settle(qtbot, view)
    hover(qtbot, view, view.cell_scene_pos(1, 1), [1, 1])
    text = view.hover_text()
    assert "head" in text and "Tu" in text and "(row 1, col 1)" in text and "0.123457" in text
    outside = view.plot_item().getAxis("left").sceneBoundingRect().center()
    hover(qtbot, view, outside, [-1, -1])
    assert view.hover_text() == ""


def test_levels_symmetric_and_nan_ignored(view: HeatmapView) -> None:
    m = np.array([[0.5, -2.0, np.nan], [1.0, np.nan, 0.0]])
    view.set_result(make_result(m))
    assert view.levels() == (-2.0, 2.0)
    assert tuple(view.image_item().getLevels()) == (-2.0, 2.0)
    assert tuple(view.colorbar().levels()) == (-2.0, 2.0)
    assert view.nan_count() == 2


def test_nan_cells_are_grey_not_a_colormap_colour(qtbot, view: HeatmapView) -> None:
    m = np.array([[1.0, np.nan], [-1.0, 0.0]])
    view.set_result(make_result(m))
    settle(qtbot, view)
    image = render_qimage(view, scale=1.0)
    gv = view.graphics_view()

    def rgb(row: int, col: int) -> tuple[int, int, int]:
        p = gv.mapFromScene(view.cell_scene_pos(row, col))
        c = image.pixelColor(p.x(), p.y())
        return c.red(), c.green(), c.blue()

    assert rgb(0, 1) == colormaps.NAN_COLOR
    lut = colormaps.lookup_table(view.colormap()).astype(int)
    assert np.abs(lut - np.array(colormaps.NAN_COLOR)).sum(axis=1).min() > 60
    assert np.abs(np.array(rgb(1, 1)) - lut[128]).max() <= 3  # zero -> neutral centre


def test_symlog_scale_keeps_real_values_on_colorbar(view: HeatmapView) -> None:
    m = np.array([[1e-4, -1.0], [0.01, np.nan]])
    view.set_result(make_result(m))
    view.set_value_scale("symlog")
    t = symlog_threshold(1.0)
    top = float(symlog(1.0, t))
    assert view.image_item().getLevels() == pytest.approx((-top, top))
    np.testing.assert_allclose(view.image_item().image, symlog(m, t))
    axis = view.colorbar().getAxis("right")
    labels = {label for _, label in axis._tickLevels[0]}
    assert {"0", "1", "-1", "0.01", "0.001"} <= labels
    assert "symlog" in axis.labelText
    assert view.levels() == (-1.0, 1.0)  # reported in real J units
    assert view.cell_text(0, 0).endswith("= 0.0001")
    view.set_value_scale("linear")
    assert view.image_item().getLevels() == pytest.approx((-1.0, 1.0))
    with pytest.raises(ValueError):
        view.set_value_scale("log")


def test_matrix_override_and_sequential_colormap(view: HeatmapView) -> None:
    m = np.array([[1.0, -4.0], [2.0, 0.0]])
    view.set_result(make_result(m), matrix=np.abs(m), title="|J|")
    view.set_colormap("viridis")
    assert view.levels() == (0.0, 4.0)
    assert view.plot_item().titleLabel.text == "|J|"
    assert set(colormaps.available_colormaps()) >= {"CET-D1", "RdBu_r", "PiYG", "viridis"}
    with pytest.raises(ValueError):
        view.set_colormap("jet")
    with pytest.raises(ValueError):
        view.set_result(make_result(m), matrix=np.ones((3, 3)))


def test_axis_labels_thin_out_and_return_on_zoom(qtbot, view: HeatmapView) -> None:
    n = 1000
    view.set_result(make_result(np.ones((n, 3))))
    settle(qtbot, view)
    axis = view.plot_item().getAxis("left")
    assert axis.labels()[7] == "out7"
    height = view.plot_item().vb.height()
    ticks = axis.tickValues(0.0, float(n), height)[0][1]
    assert 2 <= len(ticks) < height / 10
    ticks = axis.tickValues(10.0, 20.0, height)[0][1]
    assert [round(t - 0.5) for t in ticks] == list(range(10, 20))
    assert axis.tickStrings(ticks[:2], 1.0, 1.0) == ["out10", "out11"]
    assert view.plot_item().getAxis("bottom").labelText == "input: x"


def test_set_result_none_clears(view: HeatmapView) -> None:
    view.set_result(make_result(np.ones((2, 2))))
    view.select_cell(1, 1)
    view.set_result(None)
    assert view.selected_cell() is None and view.nan_count() == 0 and view.hover_text() == ""


def test_large_jacobian_sets_and_renders(qtbot, view: HeatmapView) -> None:
    rng = np.random.default_rng(0)
    view.set_result(make_result(rng.normal(size=(1000, 1000))))
    view.select_cell(999, 999)
    view.grab()
    assert view.image_item().image.shape == (1000, 1000)


def test_repaints_do_not_drop_none_references(qtbot, view: HeatmapView) -> None:
    # PySide6 6.12 on Python 3.11 lowers None's refcount on every QPainter call and aborts after
    # a few thousand repaints; on Python >= 3.12 None is immortal and this holds trivially.
    view.set_result(make_result(np.array([[1.0, -1.0], [np.nan, 0.5]])))
    view.select_cell(0, 0)
    view.resize(240, 160)  # small: the loop measures calls, not pixels
    viewport = view.graphics_view().viewport()
    viewport.repaint()
    before = sys.getrefcount(None)
    for i in range(3000):
        viewport.repaint()
        if i % 100 == 0:  # fail with a message before the interpreter would abort
            assert sys.getrefcount(None) > before - 500, f"None refs dropped after {i} repaints"
    assert sys.getrefcount(None) > before - 500


# ------------------------------------------------------------------ sensitivity map
def test_sensitivity_map_sums_channels(qtbot) -> None:
    from jacgui.gui.sensitivity_view import SensitivityMapView

    view = SensitivityMapView()
    qtbot.addWidget(view)
    jac = np.arange(2 * 4 * 5 * 3, dtype=float).reshape(2, -1)
    view.set_result(make_result(jac, point=np.ones(60), input_shape=(4, 5, 3)), row=1)
    expected = jac[1].reshape(4, 5, 3).sum(axis=2)  # the image rule: signed maps are summed
    np.testing.assert_allclose(view.map_image().image, expected)
    assert view.summed_channels() == 3
    assert tuple(view.map_image().getLevels()) == (-expected.max(), expected.max())


def test_sensitivity_map_panels_are_equal_unpadded_and_fit(qtbot) -> None:
    from jacgui.gui.sensitivity_view import SensitivityMapView

    view = SensitivityMapView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    jac = np.random.default_rng(0).standard_normal((2, 32 * 48 * 3))
    view.set_result(make_result(jac, point=np.ones(jac.shape[1]), input_shape=(32, 48, 3),
                                output_labels=("a very long class name for a cat " * 3, "b")))
    qtbot.wait(50)
    boxes = [plot.vb.sceneBoundingRect() for plot in (view.input_plot(), view.map_plot())]
    assert boxes[0].size() == boxes[1].size()  # equal panels
    # Unpadded: each box shows exactly the 48 x 32 image, so its aspect is the image's.
    for box, plot in zip(boxes, (view.input_plot(), view.map_plot()), strict=True):
        assert box.width() / box.height() == pytest.approx(48 / 32, rel=0.03)
        (x0, x1), (y0, y1) = plot.vb.viewRange()
        assert (x0, y0) == pytest.approx((0, 0), abs=0.5)
        assert (x1, y1) == pytest.approx((48, 32), abs=0.5)
    # Everything fits in the widget, the colour bar too, and the long title was cut.
    right = view.graphics_view().mapFromScene(view._bar.sceneBoundingRect().topRight())
    assert right.x() <= view.graphics_view().viewport().width()
    assert "…" in view.map_plot().titleLabel.text


# ------------------------------------------------------------------ bottom-axis label layout
OSCILLATOR_INPUTS = ("mass [kg]", "stiffness [N/m]", "damping [N s/m]", "x0 [m]", "v0 [m/s]")


def drawn_label_rects(axis) -> list[QtCore.QRectF]:
    """Scene-independent rectangles of the labels the axis draws (as its paint() does)."""
    picture = QtGui.QPicture()
    painter = QtGui.QPainter(picture)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    if axis.label_layout() != "rotated":
        return [painter.boundingRect(rect, int(flags), text)
                for rect, flags, text in specs[2] if text]
    metrics = QtGui.QFontMetricsF(axis.style["tickFont"])
    return [QtCore.QRectF(anchor.x() - metrics.height() / 2, anchor.y(),
                          metrics.height(), metrics.horizontalAdvance(text))
            for anchor, text in specs[2]]


def assert_no_overlap(rects: list[QtCore.QRectF]) -> None:
    for a, b in zip(rects, rects[1:], strict=False):
        assert not a.intersects(b), (a, b)


def test_wrap_label_breaks_before_the_unit() -> None:
    from jacgui.gui.heatmap_axes import wrap_label

    assert wrap_label("damping [N s/m]") == "damping\n[N s/m]"
    assert wrap_label("v0 (initial) [m/s]") == "v0 (initial)\n[m/s]"
    assert wrap_label("feature number seven") in ("feature\nnumber seven", "feature number\nseven")
    assert wrap_label("image[0,1,0]") == "image[0,1,0]"


def test_every_demo_input_label_shows_at_the_demo_width(qtbot, view: HeatmapView) -> None:
    # The demo window gives the heatmap ~85 px per input column: too narrow for
    # "damping [N s/m]" on one line, which used to thin the axis to 3 of 5 labels.
    view.resize(560, 450)
    view.set_result(make_result(np.ones((20, 5)), input_labels=OSCILLATOR_INPUTS))
    settle(qtbot, view)
    axis = view.plot_item().getAxis("bottom")
    per_column = view.plot_item().vb.width() / 5
    metrics = QtGui.QFontMetricsF(axis.style["tickFont"])
    assert per_column < metrics.horizontalAdvance("damping [N s/m]") + 8
    view.grab()
    assert axis.shown_indices() == [0, 1, 2, 3, 4]
    assert axis.label_layout() == "wrapped"
    rects = drawn_label_rects(axis)
    assert len(rects) == 5
    assert_no_overlap(rects)


@pytest.mark.parametrize(("width", "layout"), [(1000, "horizontal"), (300, "rotated")])
def test_demo_labels_all_show_wide_and_narrow(qtbot, view: HeatmapView, width: int,
                                              layout: str) -> None:
    view.resize(width, 450)
    view.set_result(make_result(np.ones((20, 5)), input_labels=OSCILLATOR_INPUTS))
    axis = view.plot_item().getAxis("bottom")
    view.grab()
    qtbot.waitUntil(lambda: axis.label_layout() == layout)
    view.grab()
    assert axis.shown_indices() == [0, 1, 2, 3, 4]
    rects = drawn_label_rects(axis)
    assert len(rects) == 5
    assert_no_overlap(rects)
    if layout == "rotated":  # the axis grew to hold the longest label standing up
        longest = max(r.height() for r in rects)
        qtbot.waitUntil(lambda: axis.height() > longest)


def test_rotated_labels_still_thin_when_columns_are_narrower_than_a_line(
        qtbot, view: HeatmapView) -> None:
    labels = tuple(f"image[{i // 28},{i % 28},0]" for i in range(784))
    view.set_result(make_result(np.ones((10, 784)), input_labels=labels))
    settle(qtbot, view)
    axis = view.plot_item().getAxis("bottom")
    view.grab()
    assert axis.label_layout() == "rotated"
    shown = axis.shown_indices()
    assert 5 <= len(shown) < 784 / 10
    rects = drawn_label_rects(axis)
    assert len(rects) == len(shown)
    assert_no_overlap(rects)
    # Zooming in brings every label of the visible range back.
    view.plot_item().setXRange(100, 110, padding=0)
    qtbot.waitUntil(lambda: (view.grab(), axis.shown_indices() == list(range(100, 110)))[1])


def test_new_values_keep_zoom_and_axes_a_new_matrix_resets(qtbot, view: HeatmapView) -> None:
    # Live updates (a dragged slider) bring new values of the same matrix: the user's zoom
    # stays and the axes are not re-labelled; another shape or input is shown whole.
    view.set_result(make_result(np.ones((20, 5))))
    settle(qtbot, view)
    view.plot_item().setXRange(1, 3, padding=0)
    axis = view.plot_item().getAxis("bottom")
    labels = axis.labels()
    view.set_result(make_result(np.full((20, 5), 2.0)))
    assert view.plot_item().vb.viewRange()[0] == pytest.approx([1, 3])
    assert axis.labels() is labels  # not rebuilt
    assert view.levels() == (-2.0, 2.0)
    view.set_result(make_result(np.ones((20, 5)), input_name="z"))
    qtbot.waitUntil(lambda: view.plot_item().vb.viewRange()[0] == pytest.approx([0, 5]))
    view.set_result(make_result(np.ones((4, 8))))
    qtbot.waitUntil(lambda: view.plot_item().vb.viewRange()[0] == pytest.approx([0, 8]))


def test_levels_fast_path_matches_masking() -> None:
    rng = np.random.default_rng(3)
    m = rng.normal(size=(50, 40))
    assert color_levels(m) == (-np.abs(m).max(), np.abs(m).max())
    m[3, 4], m[7, 1] = np.inf, np.nan
    finite = m[np.isfinite(m)]
    assert color_levels(m) == (-np.abs(finite).max(), np.abs(finite).max())
    assert color_levels(m, diverging=False) == (finite.min(), finite.max())
    assert color_levels(np.full((2, 2), np.nan)) == (-1.0, 1.0)


def test_parentless_view_is_garbage_collected_without_crashing(tmp_path) -> None:
    # The image item held the view's bound methods: a cycle through the scene that the garbage
    # collector broke in an order that segfaulted (a benchmark died after its first view).
    import os
    import subprocess
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent("""
        import gc
        import numpy as np
        from PySide6 import QtWidgets
        from jacgui.gui.heatmap import HeatmapView
        from tests.gui.test_heatmap import make_result

        app = QtWidgets.QApplication([])
        for _ in range(3):
            view = HeatmapView()
            view.show()
            view.set_result(make_result(np.ones((30, 20))))
            view.select_cell(2, 3)
            view.grab()
            view.close()
            del view
            gc.collect()
        print("collected")
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "collected" in proc.stdout


def test_small_matrices_carry_their_values(qtbot) -> None:
    w = HeatmapView()
    qtbot.addWidget(w)
    w.resize(600, 400)
    w.show()
    qtbot.waitExposed(w)
    w.set_result(make_result(np.array([[0.123456, np.nan]])))
    assert w.value_labels() == ["0.123", "no data"]
    w.set_result(make_result(np.ones((6, 6))))  # 36 cells: too many to write on
    assert w.value_labels() == []
    w.set_result(None)
    assert w.value_labels() == []


def test_values_that_do_not_fit_their_cells_are_not_written(qtbot) -> None:
    w = HeatmapView()
    qtbot.addWidget(w)
    w.resize(300, 300)
    w.show()
    qtbot.waitExposed(w)
    # Eight cells in about 200 pixels: "-0.000343" would overlap its neighbours.
    w.set_result(make_result(np.full((1, 8), -0.000343)))
    qtbot.waitUntil(lambda: w.value_labels() == [], timeout=2000)
    w.resize(1800, 300)
    qtbot.waitUntil(lambda: w.value_labels() == ["-0.000343"] * 8, timeout=2000)

"""The parent never maps TensorFlow; isolated models give the in-process numbers; real models
work inside the sandbox.

"Same numbers" is checked against the in-process computation of the same function on the same
machine, to float32 round-off: TensorFlow's thread pool may order a reduction differently in
another process, and anything larger would be a transport or dispatch error. The textbook model
is also checked against its analytic Jacobian.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jacgui
from jacgui.core.analysis import compare_ad_fd, global_sensitivity, slice_cell, step_sweep
from jacgui.core.process.remote import RemoteModel
from tests.core import model_factory as mf
from tests.process.conftest import WAIT_S, demo, require_landlock

#: Relative tolerance between the engine's and this process's numbers (float32 round-off).
SAME = 1e-6


def test_the_parent_never_maps_tensorflow_but_the_engine_does():
    script = textwrap.dedent(f"""
        import json, sys
        import jacgui

        model = jacgui.load_model({str(demo())!r}, isolated=True)
        result = jacgui.jacobian(model)
        check = jacgui.cross_check(model, None, 0, 0, value=float(result.matrix[0, 0]))
        engine = model.client.pid

        def mapped(pid):
            with open(f"/proc/{{pid}}/maps") as maps:
                return any("tensorflow" in line for line in maps)

        print(json.dumps({{
            "modules": sorted(m for m in sys.modules if m.split(".")[0] in
                              ("tensorflow", "keras", "tf_keras", "jax")),
            "parent_maps_tf": mapped("self"), "engine_maps_tf": mapped(engine),
            "shape": list(result.shape), "checked": check.method}}))
        model.close()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=WAIT_S)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["modules"] == [] and report["parent_maps_tf"] is False
    assert report["engine_maps_tf"] is True  # the check can see TensorFlow where it is
    assert report["shape"] == [20, 5] and report["checked"] == "fd-central"


@pytest.fixture(scope="module")
def borehole():
    """The borehole demo in-process and isolated (sandboxed)."""
    local = jacgui.load_model(demo("borehole"))
    remote = jacgui.load_model(demo("borehole"), isolated=True, timeout=WAIT_S)
    yield local, remote
    remote.close()


def test_isolated_model_describes_itself_like_the_handle(borehole):
    local, remote = borehole
    assert isinstance(remote, RemoteModel)
    assert remote.inputs == local.inputs and remote.outputs == local.outputs
    assert remote.param_count == local.param_count and remote.notes == local.notes
    np.testing.assert_array_equal(remote.default_point["borehole_inputs"],
                                  local.default_point["borehole_inputs"])
    assert remote.summary().startswith(local.summary().replace(local.path, remote.path))


@pytest.mark.parametrize("method", ["reverse", "forward", "fd-central"])
def test_isolated_jacobian_equals_in_process(borehole, method):
    local, remote = borehole
    point = local.default_point["borehole_inputs"] * 1.01
    near, far = jacgui.jacobian(local, point, method=method), \
        jacgui.jacobian(remote, point, method=method)
    assert far.method == near.method and far.input_labels == near.input_labels
    np.testing.assert_allclose(far.matrix, near.matrix, rtol=SAME)
    if near.error_estimate is not None:
        np.testing.assert_allclose(far.error_estimate, near.error_estimate, rtol=SAME)


def test_isolated_analyses_equal_in_process(borehole):
    local, remote = borehole
    progress = []
    near = compare_ad_fd(local)
    far = compare_ad_fd(remote, progress=progress.append)
    np.testing.assert_allclose(far.ad, near.ad, rtol=SAME)
    np.testing.assert_allclose(far.fd, near.fd, rtol=SAME)
    assert far.fraction_agree == near.fraction_agree
    assert progress and progress[-1].done == progress[-1].total  # reported across the boundary
    near_slice, far_slice = slice_cell(local, None, 0, "Hu"), slice_cell(remote, None, 0, "Hu")
    np.testing.assert_allclose(far_slice.values, near_slice.values, rtol=SAME)
    assert (far_slice.t_minus, far_slice.t_plus) == (near_slice.t_minus, near_slice.t_plus)
    near_sweep, far_sweep = step_sweep(local, None, 0, 1), step_sweep(remote, None, 0, 1)
    np.testing.assert_allclose(far_sweep.derivative, near_sweep.derivative, rtol=SAME)
    points = local.default_point["borehole_inputs"] * np.linspace(0.9, 1.1, 16)[:, None]
    near_global = global_sensitivity(local, points, batch_size=8)
    far_global = global_sensitivity(remote, points, batch_size=8)
    np.testing.assert_allclose(far_global.dgsm, near_global.dgsm, rtol=SAME)


def test_isolated_textbook_model_matches_its_analytic_jacobian(tmp_path):
    path = mf.write_py(tmp_path, "textbook.py", mf.TEXTBOOK)
    with jacgui.load_model(path, isolated=True, timeout=WAIT_S) as remote:
        x = np.array([0.3, -1.2, 2.0])
        result = jacgui.jacobian(remote, x, method="reverse")
        # f(x) = x^2 + 2x + 1 elementwise: J = diag(2x + 2); float32 arithmetic.
        np.testing.assert_allclose(result.matrix, np.diag(2 * x + 2), rtol=1e-6, atol=1e-6)


REAL = {"oscillator": lambda d: demo("oscillator"), "borehole": lambda d: demo("borehole"),
        "digits_cnn": lambda d: demo("digits_cnn"), "savedmodel": mf.build_module,
        "py": lambda d: mf.write_py(d, "textbook.py", mf.TEXTBOOK)}


@pytest.mark.parametrize("name", REAL)
def test_real_models_work_in_the_sandbox(window, tmp_path, name):
    require_landlock()
    path = REAL[name](tmp_path)
    info = window.open_model(path, timeout=WAIT_S)
    assert info.sandbox.active
    far = window.call("jacobian", {"method": "reverse"}, timeout=WAIT_S)
    near = jacgui.jacobian(jacgui.load_model(path), method="reverse")
    np.testing.assert_allclose(far.matrix, near.matrix, rtol=SAME, atol=SAME * np.abs(
        near.matrix).max())


def test_isolated_load_raises_the_in_process_errors(tmp_path):
    lambda_model = mf.build_lambda(tmp_path)
    with pytest.raises(jacgui.UnsafeModelError) as near:
        jacgui.load_model(lambda_model)
    with pytest.raises(jacgui.UnsafeModelError) as far:
        jacgui.load_model(lambda_model, isolated=True, timeout=WAIT_S)
    assert str(far.value) == str(near.value)


def test_jobs_and_plans_run_in_the_engine_with_their_ids(borehole):
    local, remote = borehole
    progress = []
    job = jacgui.JacobianJob(remote, {}, "fd-central", job_id=41,
                             options=jacgui.JacobianOptions(memory_budget=1 << 20))
    result = jacgui.run_job(job, progress.append)
    assert result.job_id == 41 and progress and {p.job_id for p in progress} == {41}
    near = jacgui.run_job(jacgui.JacobianJob(local, {}, "fd-central", job_id=41,
                                             options=job.options))
    np.testing.assert_allclose(result.matrix, near.matrix, rtol=SAME)
    assert jacgui.plan_job(job) == jacgui.plan_job(jacgui.JacobianJob(local, {}, "fd-central",
                                                                      options=job.options))


def test_bench_times_each_method_inside_the_engine(borehole):
    from jacgui.bench import run_bench

    _, remote = borehole
    out = io.StringIO()
    timings = run_bench(remote, out=out, runs=2)
    assert [t.status for t in timings] == ["timed"] * 4
    table = out.getvalue()
    for method in ("reverse", "forward", "fd-forward", "fd-central"):
        assert any(line.startswith(method + " ") for line in table.splitlines()), table
    assert "auto picks reverse" in table

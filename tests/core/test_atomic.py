"""Every file jacgui writes is whole or absent, and gets a normal file's permissions."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from jacgui.core.atomic import write_atomically
from jacgui.core.errors import JacguiError


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_files_get_0666_minus_the_umask(tmp_path, umask_022):
    # A temporary file is created 0600; a user's export must be readable like any other file.
    target = write_atomically(tmp_path / "out.txt", lambda p: p.write_text("hello"))
    assert target.read_text() == "hello" and _mode(target) == 0o644


def test_every_writer_uses_it(tmp_path, umask_022):
    from jacgui.core.export import save_result
    from jacgui.core.job import JacobianResult
    from jacgui.core.points import write_point
    from jacgui.core.spec import TensorInfo

    result = JacobianResult(np.eye(2), np.zeros(2), np.zeros(2), ("a", "b"), ("u", "v"), "x",
                            "y", (2,), (2,), "reverse")
    for suffix in (".npy", ".csv", ".npz", ".json"):
        assert _mode(save_result(result, tmp_path / f"j{suffix}")) == 0o644
        path = tmp_path / f"p{suffix}"
        write_point(path, [1.0, 2.0], TensorInfo("x", (2,)))
        assert _mode(path) == 0o644
    assert not list(tmp_path.glob("*.part"))


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def broken(path):
        path.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(JacguiError, match="cannot write .*keep.txt: No space left on device"):
        write_atomically(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_an_interrupted_write_leaves_nothing(tmp_path):
    def interrupted(path):
        path.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "new.txt", interrupted)
    assert list(tmp_path.iterdir()) == []

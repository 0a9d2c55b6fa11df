"""CI strictness: under CI=true nothing the window test needs may be quietly missing.

``.ci/system-packages`` runs here against stand-ins for apt-get, id and ldconfig on a PATH
that holds nothing else, so each case is decided by the script's own logic (and no package
is installed). The real-window test's skip-or-fail rule is checked on its own function.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.e2e import test_real_window as e2e

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "system-packages"
BASH = shutil.which("bash")
REQUIRED = ("xvfb", "xauth", "xdotool", "x11-utils", "libxcb-cursor0", "libegl1",
            "libglib2.0-0", "libdbus-1-3", "libfontconfig1")
LIBRARIES = ("libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libxcb-icccm.so.4",
             "libxcb-keysyms.so.1", "libEGL.so.1", "libglib-2.0.so.0", "libdbus-1.so.3",
             "libfontconfig.so.1")


def _executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _run(tmp_path: Path, *, ci: bool, apt_status: int = 0, uid: int = 0,
         tools: tuple[str, ...] = ("Xvfb", "xauth", "xdotool"),
         libraries: tuple[str, ...] = LIBRARIES) -> tuple[subprocess.CompletedProcess, str]:
    """Run the script with fakes; returns the process and what apt-get was asked to do."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("cat", "grep", "mktemp", "rm"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    calls = tmp_path / "apt-calls.txt"
    _executable(bin_dir / "apt-get",
                f'#!{BASH}\necho "$*" >> {calls}\necho "E: fake apt failure" >&2\n'
                f'exit {apt_status}\n')
    _executable(bin_dir / "id", f"#!{BASH}\necho {uid}\n")
    listing = "".join(f"\t{name} (libc6,x86-64) => /usr/lib/{name}\n" for name in libraries)
    _executable(bin_dir / "ldconfig", f"#!{BASH}\nprintf '%s' '{listing}'\n")
    for tool in tools:
        _executable(bin_dir / tool, f"#!{BASH}\nexit 0\n")
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    if ci:
        env["CI"] = "true"
    proc = subprocess.run([BASH, str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)
    return proc, calls.read_text(encoding="utf-8") if calls.exists() else ""


def test_installs_every_package_the_window_test_needs(tmp_path):
    proc, calls = _run(tmp_path, ci=True)
    assert proc.returncode == 0, proc.stderr
    update, install = calls.splitlines()
    assert update.startswith("update") and install.startswith("install")
    assert set(REQUIRED) <= set(install.split()), install


def test_an_apt_failure_fails_under_ci_and_warns_elsewhere(tmp_path):
    proc, _ = _run(tmp_path / "ci", ci=True, apt_status=100)
    assert proc.returncode == 1
    assert "ci: error: apt-get update failed" in proc.stderr
    assert "E: fake apt failure" in proc.stderr  # apt's own words are shown, not thrown away
    proc, calls = _run(tmp_path / "dev", ci=False, apt_status=100, tools=())
    assert proc.returncode == 0, proc.stderr
    assert "warning: apt-get install failed" in proc.stderr and "skipped" in proc.stderr
    assert "still missing after the install: Xvfb xauth xdotool" in proc.stderr
    assert len(calls.splitlines()) == 2  # it still tried to install after update failed


def test_a_tool_or_library_still_missing_fails_under_ci(tmp_path):
    proc, _ = _run(tmp_path / "tool", ci=True, tools=("Xvfb", "xauth"))
    assert proc.returncode == 1
    assert "ci: error: still missing after the install: xdotool" in proc.stderr
    proc, _ = _run(tmp_path / "lib", ci=True, libraries=LIBRARIES[1:])
    assert proc.returncode == 1 and "libxcb-cursor.so.0" in proc.stderr


def test_without_root_under_ci_a_missing_tool_fails(tmp_path):
    proc, calls = _run(tmp_path / "missing", ci=True, uid=1000, tools=("Xvfb",))
    assert proc.returncode == 1 and "needs root and apt-get" in proc.stderr
    assert calls == ""
    proc, calls = _run(tmp_path / "present", ci=True, uid=1000)
    assert proc.returncode == 0 and proc.stderr == "" and calls == ""


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception),
                                         ("", pytest.skip.Exception)])
def test_real_window_test_fails_under_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(e2e.shutil, "which", lambda tool: None)
    with pytest.raises(outcome, match="Xvfb, xdotool"):
        e2e.require_tools()
    monkeypatch.setattr(e2e.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    e2e.require_tools()  # everything there: neither


def test_ci_runs_the_package_script_before_the_tests():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    install = lines.index("bash .ci/system-packages")
    tests = next(i for i, line in enumerate(lines) if "pytest" in line)
    assert install < tests and "set -euo pipefail" in lines
    assert os.access(SCRIPT, os.R_OK)

"""The one way jacgui writes a file: whole or not at all, with the permissions of a normal file.

Every export (Jacobian data, analyses, points, pictures) goes through :func:`write_atomically`:
the content is written to a temporary file in the same folder and renamed over the target, so
a full disk, Ctrl+C or a bug never leaves half a file; and the file gets the mode any program
would give a new file (``0o666`` minus the umask), not the ``0o600`` of a temporary file.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from .errors import JacguiError

__all__ = ["write_atomically"]

_umask_lock = threading.Lock()


def write_atomically(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(temporary_path)``, then move the result to ``path``.

    Parameters
    ----------
    path : path-like
        The file to create or replace; its folder is created if needed.
    write : callable
        Writes the whole content to the path it is given.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    JacguiError
        When the file cannot be written (one line naming the file and the reason).
    """
    target = Path(path)
    temporary: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                             suffix=".part")
        os.close(handle)
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
        temporary = None
    except OSError as error:
        raise JacguiError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        # Whatever stopped the writer (a full disk, Ctrl+C, a bug), drop the partial file.
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
    return target


def _umask() -> int:
    try:  # Linux shows the umask without changing it
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # elsewhere it can only be read by setting it, briefly
        mask = os.umask(0o022)
        os.umask(mask)
    return mask

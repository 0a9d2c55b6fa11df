"""The window's engine: a sandboxed child process, behind the runner's :class:`EngineLink`.

The process is spawned before Qt is imported (:func:`start_engine` is called first thing by
``python -m jacgui``), so TensorFlow's import in the child overlaps the window's start. This
module imports neither Qt nor TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ProcessEngine", "start_engine"]

Done = Callable[[Any, BaseException | None], None]


class ProcessEngine:
    """:class:`~jacgui.gui.runner.EngineLink` over an :class:`EngineClient`.

    Parameters
    ----------
    client : EngineClient
        Already spawned; with a warm spare engine, so that opening another model does not wait
        for a TensorFlow import.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def start(self, on_ready: Done) -> None:
        """Report the engine's handshake (or why it could not start) to ``on_ready``."""
        self.client.start(on_ready)

    def open_model(self, path: str, unsafe: bool, done: Done) -> None:
        """Load ``path`` in a fresh, sandboxed engine (unless ``unsafe``)."""
        self.client.submit_open(path, unsafe=unsafe, on_done=done)

    def submit(self, op: str, args: dict[str, Any], progress: Callable[[int, int], None],
               done: Done) -> int:
        """Run operation ``op`` in the engine; callbacks arrive on the client's threads."""
        job = self.client.submit(op, args, on_progress=lambda p: progress(p.done, p.total),
                                 on_done=done)
        return int(job.job_id)

    def cancel(self, job_id: int) -> None:
        """Stop the job between chunks, or restart the engine after the grace period."""
        self.client.cancel(job_id)

    def close(self) -> None:
        """Stop every engine process."""
        self.client.close()


def start_engine() -> ProcessEngine:
    """Spawn the engine (returns at once) and wrap it for the window."""
    from jacgui.core.process.client import EngineClient

    return ProcessEngine(EngineClient(spare=True))

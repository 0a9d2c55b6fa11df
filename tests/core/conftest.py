"""Session-wide test models: each is built on first use and loaded at most once.

``models["multi"]`` is the path of a built model; ``loaded["multi"]`` its ModelHandle (loaded
with ``unsafe=False``). Builders live in :mod:`tests.core.model_factory`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.core import model_factory as mf

BUILDERS: dict[str, Callable[[Path], Path]] = {
    "multi": mf.build_multi_io,
    "multi_h5": lambda d: mf.build_multi_io(d, ".h5"),
    "dict": mf.build_dict_io,
    "lambda": mf.build_lambda,
    "custom": mf.build_unregistered,
    "embedding": mf.build_embedding,
    "subclassed": mf.build_subclassed,
    "fixed": mf.build_fixed_batch,
    "mixed": mf.build_mixed_precision,
    "image": mf.build_image,
    "exported": mf.build_exported,
    "module": mf.build_module,
    "module_fixed": lambda d: mf.build_module(d, batch=2),
    "writer": lambda d: mf.build_module(d, write_file=True),
    "nosig": mf.build_no_signature,
    "keras2": mf.write_keras2_h5,
    "textbook": lambda d: mf.write_py(d, "textbook.py", mf.TEXTBOOK),
    "stacked": lambda d: mf.write_py(d, "stacked.py", mf.STACKED),
}


class _Lazy:
    def __init__(self, make: Callable[[str], Any]) -> None:
        self._make = make
        self._cache: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._cache:
            self._cache[key] = self._make(key)
        return self._cache[key]


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> _Lazy:
    """Paths of the test models, built on first access, each in its own folder."""
    return _Lazy(lambda key: BUILDERS[key](tmp_path_factory.mktemp(key)))


@pytest.fixture(scope="session")
def loaded(models: _Lazy) -> _Lazy:
    """ModelHandles of the test models, loaded once per session."""
    from jacgui.core.loading import load_model

    return _Lazy(lambda key: load_model(models[key]))

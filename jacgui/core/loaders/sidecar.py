"""Default points and element names from a ``.jacgui.json`` file next to the model.

Where jacgui looks (first found wins):

- ``borehole.keras`` / ``.h5`` / ``.py`` -> ``borehole.jacgui.json`` in the same folder;
- SavedModel folder ``mydir/`` -> ``mydir.jacgui.json`` beside it, else ``mydir/jacgui.json``.

Format (every key optional)::

    {
      "inputs":  {"<input name>":  {"names": ["rw", "r", "Tu", ...], "point": [0.1, 500, ...]}},
      "outputs": {"<output name>": {"names": ["flow"]}}
    }

``names`` gives one label per flattened (row-major) element of that tensor; ``point`` is the
default value of that input, in any form :func:`jacgui.core.points.validate_point` accepts
(nested lists or a flat list). For a ``.py`` model the sidecar wins over the file's ``POINT``
and ``INPUT_NAMES``/``OUTPUT_NAMES``. A sidecar that cannot be used never fails the load: the
problem becomes a note on the model and zeros (or the file's point) are used. That includes a
sidecar larger than :data:`MAX_SIDECAR_BYTES` (not read at all), one nested beyond Python's
recursion limit, and names that are not strings.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from ..errors import PointError
from ..handle import ModelHandle
from ..points import validate_point
from ..spec import TensorInfo
from ..text import printable

SUFFIX = ".jacgui.json"
#: Largest sidecar read: names of a 224x224x3 image input take about 3 MB.
MAX_SIDECAR_BYTES = 64 << 20


class _UnusableSidecarError(ValueError):
    """The sidecar as a whole cannot be used; the message says why, on one line."""


def find_sidecar(model_path: str | Path) -> Path | None:
    """The sidecar file of a model, or ``None`` when there is none."""
    path = Path(model_path)
    if path.is_dir():
        candidates = [path.with_name(path.name + SUFFIX), path / "jacgui.json"]
    else:
        candidates = [path.with_name(path.stem + SUFFIX)]
    return next((c for c in candidates if c.is_file()), None)


def apply_sidecar(handle: ModelHandle) -> ModelHandle:
    """A copy of ``handle`` with the sidecar's names and default point applied."""
    source = find_sidecar(handle.path)
    if source is None:
        return handle
    notes = list(handle.notes)
    try:
        data = _read(source)
        input_entries = _section(data, "inputs")
        output_entries = _section(data, "outputs")
    except _UnusableSidecarError as exc:
        notes.append(f"sidecar {printable(source.name)} ignored: {exc}")
        return dataclasses.replace(handle, notes=tuple(notes))

    point = dict(handle.default_point)
    point_source = handle.point_source
    inputs = []
    for spec in handle.inputs:
        entry = input_entries.pop(spec.name, {})
        spec = _named(spec, entry, printable(source.name), notes)
        if "point" in entry:
            try:
                value = validate_point(entry["point"], spec)
                point[spec.name] = value if spec.is_float else value.astype(spec.dtype)
                point_source = "sidecar"
            except PointError as exc:
                notes.append(f"sidecar point for {spec.name!r} ignored: {exc}")
            except RecursionError:
                notes.append(f"sidecar point for {spec.name!r} ignored: it nests too deeply")
        inputs.append(spec)
    where = printable(source.name)
    outputs = [_named(s, output_entries.pop(s.name, {}), where, notes) for s in handle.outputs]
    for kind, rest in (("input", input_entries), ("output", output_entries)):
        if rest:
            unknown = ", ".join(repr(name)[:60] for name in list(rest)[:8])
            notes.append(f"sidecar {printable(source.name)} names unknown {kind}s: {unknown}")
    return dataclasses.replace(
        handle,
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        default_point=point,
        point_source=point_source,
        notes=tuple(notes),
    )


def _read(source: Path) -> dict[str, Any]:
    try:
        size = source.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            limit = MAX_SIDECAR_BYTES >> 20
            raise _UnusableSidecarError(f"it is {size >> 20} MiB, more than {limit} MiB")
        data = json.loads(source.read_bytes().decode("utf-8-sig"))
    except RecursionError:
        raise _UnusableSidecarError("it nests too deeply") from None
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        if isinstance(exc, _UnusableSidecarError):
            raise
        text = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        raise _UnusableSidecarError(printable(text)) from None
    if not isinstance(data, dict):
        raise _UnusableSidecarError("the top level is not an object")
    return data


def _section(data: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    section = data.get(key, {})
    if not isinstance(section, dict) or not all(isinstance(v, dict) for v in section.values()):
        raise _UnusableSidecarError(f'"{key}" must map names to objects')
    return dict(section)


def _named(spec: TensorInfo, entry: dict[str, Any], where: str, notes: list[str]) -> TensorInfo:
    names = entry.get("names")
    if names is None:
        return spec
    if isinstance(names, list) and not all(
        isinstance(n, (str, int, float)) and not isinstance(n, bool) for n in names
    ):
        notes.append(f"sidecar {where}: names for {spec.name!r} must be strings; names ignored")
        return spec
    if not isinstance(names, list) or len(names) != spec.size:
        count = len(names) if isinstance(names, list) else "no list of"
        notes.append(
            f"sidecar {where}: {count} names for {spec.name!r}, which has {spec.size} elements; "
            "names ignored"
        )
        return spec
    return dataclasses.replace(spec, feature_names=tuple(str(n) for n in names))


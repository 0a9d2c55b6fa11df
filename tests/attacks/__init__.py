"""Attack files against jacgui's static defences, one builder per attack class.

Every builder takes a fresh folder, writes the attack file into it and returns an
:class:`Attack`: the file to hand to jacgui, the canary paths the attack would create or
change if any of its code ran, and the one folder that stands in for ``site-packages``. The
attacks are real: loaded with trust (``unsafe=True``), each one touches its canaries
(``tests/test_attacks_static.py`` checks that too, so a refusal can never pass because an
attack file was broken).

Modules: :mod:`tests.attacks.savedmodels` (graphs that read, write, glob or call Python),
:mod:`tests.attacks.keras_files` (configs that walk around Keras safe mode) and
:mod:`tests.attacks.inputs` (decompression bombs, hostile sidecars and names).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Attack:
    """One attack file and what it would touch.

    Attributes
    ----------
    path : Path
        The model file or folder (or point file) to give to jacgui.
    canaries : tuple of Path
        Files that exist only if attack code ran (or, for ``victims``, that it would change).
    site_packages : Path
        A stand-in ``site-packages`` folder: no ``.pth`` file may ever appear in it.
    victims : dict of Path to bytes
        Existing files the attack would overwrite, move or delete, with their contents.
    """

    path: Path
    canaries: tuple[Path, ...] = ()
    site_packages: Path | None = None
    victims: dict[Path, bytes] = field(default_factory=dict)

    def untouched(self) -> list[str]:
        """Problems found: canaries that exist, ``.pth`` files, changed or missing victims."""
        problems = [f"canary written: {c}" for c in self.canaries if c.exists()]
        if self.site_packages is not None:
            problems += [f".pth dropped: {p}" for p in self.site_packages.rglob("*.pth")]
        for victim, content in self.victims.items():
            if not victim.is_file() or victim.read_bytes() != content:
                problems.append(f"victim changed: {victim}")
        return problems

    def touched(self) -> bool:
        """Whether the attack code ran (used to prove the attack is live under trust)."""
        return bool(self.untouched())


def canary_folder(folder: Path) -> tuple[Path, Path]:
    """A canary folder holding a fake ``lib/python3/site-packages``; returns (root, site)."""
    root = folder / "canary"
    site = root / "lib" / "python3" / "site-packages"
    site.mkdir(parents=True)
    return root, site

"""``jacgui`` / ``python -m jacgui``: the window, or a headless command when one is named."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the CLI for ``compute``/``info``/``bench``, else open the window."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from .cli import COMMANDS
        from .cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C while Python is still importing
        print("jacgui: interrupted", file=sys.stderr)
        return 130

    if args and (args[0] in COMMANDS or args[0] in ("-h", "--help")):
        return cli_main(args)
    # The engine process starts first, so its TensorFlow import overlaps Qt's start-up.
    from .gui.engine_link import start_engine

    link = start_engine()
    from .gui.app import main as gui_main

    return gui_main(args, link)


if __name__ == "__main__":
    sys.exit(main())

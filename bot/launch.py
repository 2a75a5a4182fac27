"""The `newsqa` command: Python's start-up and exit costs paid only where they buy something.

A one-question process (`newsqa search QUERY`, `newsqa ask QUESTION`) lives about a second and a
half. Measured on the 15,000-post archive, Python's cyclic garbage collector ran 196 times in it
(107 ms) over objects that all live until the process ends, and tearing the interpreter down
after the answer was printed took another 0.2 s. So the collector is off from the first import,
and such a process leaves through os._exit once its output is flushed and its engine closed
(nothing it holds needs more: the index and the manifest are committed as they are written).
Every other command (the bot, the chat, index) turns the collector back on before it starts and
ends as usual.
"""

from __future__ import annotations

import gc
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    gc.disable()
    from . import cli

    one_shot = cli.is_one_shot(cli.build_parser().parse_args(argv))
    if not one_shot:
        gc.enable()
    code = cli.main(argv)
    if not one_shot:
        return code
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())

"""`newsqa bot` with a configuration it cannot run with: one line, then a new look every 10 minutes.

A missing or malformed TELEGRAM_BOT_TOKEN, or any other setting that does not validate, is
treated as a token Telegram rejects (bot.service): the process says what is wrong on one line
and waits, reading the environment and `.env` again every ten minutes, instead of exiting. Under
Docker's `restart: unless-stopped` an exit would become a restart loop that fixes nothing and
floods the log. SIGTERM (`docker stop`) or SIGINT (Ctrl-C) ends the wait with status 0. The
lines name the variable, never its value.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from pydantic import ValidationError

from .service import TOKEN_RETRY
from .settings import Settings, settings_error_line


def bot_problem(settings: Settings) -> str | None:
    from .app import token_problem

    return token_problem(settings)


def usable_settings(load: Callable[[], Settings], pause: float = TOKEN_RETRY,
                    err: TextIO | None = None) -> Settings | None:  # fmt: skip
    """Settings the bot can run with, loaded again every `pause` seconds until they are; None when
    SIGTERM or SIGINT came first. Each look that fails writes one line to `err` (standard error)."""
    stop = threading.Event()
    handlers = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                settings = load()
                problem = bot_problem(settings)
            except ValidationError as error:
                problem = settings_error_line(error)
            if problem is None:
                return settings
            when = f"{pause / 60:.0f} minutes" if pause >= 60 else f"{pause:.0f} s"
            print(f"{problem}; reading the configuration again in {when}", file=err or sys.stderr, flush=True)
            if stop.wait(pause):
                return None
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)

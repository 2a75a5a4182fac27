"""Logging that never shows the bot token.

httpx logs every request URL at INFO, and Bot API URLs contain the token, so its loggers
are turned down to WARNING; on top of that every log record is passed through
`TokenRedactor` when it is created (a record factory), so the token cannot reach any
handler, including ones added later such as pytest's caplog.

`configure` (for `newsqa bot`) also writes the records of expected failures (an unreachable
Bot API, timeouts, 5xx answers, a rejected token) on one line each, without the traceback
python-telegram-bot attaches to them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback

REDACTED = "<redacted-token>"
QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "urllib3")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_lock = threading.Lock()
_secrets: set[str] = set()
_factory_installed = False


class TokenRedactor(logging.Filter):
    """Replaces every known secret in a record's message, traceback and stack with a marker."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = sorted(_secrets, key=len, reverse=True)
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: show its template, never fail logging
            message = str(record.msg)
        if any(secret in message for secret in secrets):
            record.msg, record.args = _redact(message, secrets), ()
        if record.exc_info and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = _redact(text, secrets)
        elif record.exc_text:
            record.exc_text = _redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = _redact(record.stack_info, secrets)
        return True


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def protect_token(token: str) -> None:
    """Redact `token` (and its secret half) from every log record from now on."""
    global _factory_installed
    for logger_name in QUIET_LOGGERS:
        logging.getLogger(logger_name).setLevel(logging.WARNING)
    with _lock:
        _secrets.add(token)
        secret_half = token.partition(":")[2]
        if len(secret_half) >= 8:
            _secrets.add(secret_half)
        if _factory_installed:
            return
        redactor = TokenRedactor()
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            redactor.filter(record)
            return record

        logging.setLogRecordFactory(redacting_factory)
        _factory_installed = True
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TokenRedactor) for f in handler.filters):
            handler.addFilter(TokenRedactor())


def one_line(error: BaseException) -> str:
    """`Type: message` on one line (just `Type` when the message is empty)."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def expected(error: BaseException) -> bool:
    """Failures of the network or of Telegram, not of our code: worth a line, not a traceback.

    BadRequest is Telegram refusing what the bot sent (a bug of ours): its traceback stays.
    """
    from telegram.error import BadRequest, TelegramError

    if isinstance(error, TelegramError):
        return not isinstance(error, BadRequest)
    import httpx

    return isinstance(error, (httpx.TransportError, OSError, TimeoutError, asyncio.CancelledError))


class OneLineFormatter(logging.Formatter):
    """Records of expected failures on one line, the error's type and text appended.

    python-telegram-bot logs network errors with their tracebacks (its polling loop, the
    webhook bootstrap, shutdown); an outage would fill the console with them.
    """

    def format(self, record: logging.LogRecord) -> str:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not expected(error):
            return super().format(record)
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return _redact(f"{line} ({one_line(error)})", sorted(_secrets, key=len, reverse=True))


def configure(level: str) -> None:
    """Plain timestamped lines on standard error; expected failures without tracebacks."""
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(OneLineFormatter(FORMAT))
    for logger_name in QUIET_LOGGERS:
        logging.getLogger(logger_name).setLevel(logging.WARNING)

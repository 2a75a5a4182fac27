"""Logging that never shows the bot token.

httpx logs every request URL at INFO, and Bot API URLs contain the token, so its loggers
are turned down to WARNING; on top of that every log record is passed through
`TokenRedactor` when it is created (a record factory), so the token cannot reach any
handler, including ones added later such as pytest's caplog.
"""

from __future__ import annotations

import logging
import threading
import traceback

REDACTED = "<redacted-token>"
QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "urllib3")

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


def configure(level: str) -> None:
    """Plain timestamped lines on standard error."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for logger_name in QUIET_LOGGERS:
        logging.getLogger(logger_name).setLevel(logging.WARNING)

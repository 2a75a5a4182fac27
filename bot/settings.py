"""Configuration from the environment (and `.env`), validated once at start-up."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPOSITORY = Path(__file__).resolve().parent.parent
TOKEN_SHAPE = r"^\d{3,}:[A-Za-z0-9_-]{20,}$"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Settings(BaseSettings):
    """Every setting the product reads; see the README's configuration table."""

    # An empty variable (`TELEGRAM_BOT_TOKEN=` in .env) means unset, as if the line were absent.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)  # fmt: skip

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL")
    corpus_dir: Path = Field(default=REPOSITORY / "corpus", alias="NEWSQA_CORPUS_DIR")
    index_dir: Path | None = Field(default=None, alias="NEWSQA_INDEX_DIR")
    allowed_chats: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="NEWSQA_ALLOWED_CHATS")
    webhook_url: str | None = Field(default=None, alias="NEWSQA_WEBHOOK_URL")
    webhook_listen: str = Field(default="0.0.0.0", alias="NEWSQA_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, alias="NEWSQA_WEBHOOK_PORT", ge=1, le=65535)
    questions_per_minute: int = Field(default=12, alias="NEWSQA_QUESTIONS_PER_MINUTE", ge=1)
    max_concurrent_searches: int = Field(default=8, alias="NEWSQA_MAX_CONCURRENT_SEARCHES", ge=1)
    quotes_per_page: int = Field(default=3, alias="NEWSQA_QUOTES_PER_PAGE", ge=1, le=10)
    refresh_seconds: float = Field(default=60.0, alias="NEWSQA_REFRESH_SECONDS", ge=0)
    embed_budget: int = Field(default=2, alias="NEWSQA_EMBED_BUDGET", ge=0, le=20)
    log_level: str = Field(default="INFO", alias="NEWSQA_LOG_LEVEL")
    heartbeat_file: Path | None = Field(default=None, alias="NEWSQA_HEARTBEAT_FILE")
    # Empty: /start shows questions drawn from the newest articles, each checked to be answered.
    example_questions: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="NEWSQA_EXAMPLE_QUESTIONS")

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _https_webhook(cls, value: object, info: ValidationInfo) -> object:
        """Telegram delivers webhooks over https only; plain http is allowed only on loopback
        when the Bot API is a local emulator too (the tests)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        url = urlsplit(str(value).strip())
        api_host = urlsplit(str(info.data.get("telegram_api_base_url", ""))).hostname
        local = url.scheme == "http" and url.hostname in LOOPBACK and api_host in LOOPBACK
        if not url.hostname or (url.scheme != "https" and not local):
            raise ValueError("must be an https:// URL (Telegram sends webhooks over TLS only)")
        return str(value).strip()

    @field_validator("allowed_chats", mode="before")
    @classmethod
    def _split_chat_ids(cls, value: object) -> object:
        """Accept "1,-100200" as well as a JSON list."""
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("example_questions", mode="before")
    @classmethod
    def _split_examples(cls, value: object) -> object:
        """Accept "问题一|问题二" as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split("|") if part.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def resolved_index_dir(self) -> Path:
        """The index folder: NEWSQA_INDEX_DIR, else one per corpus in the user's cache folder
        (`$XDG_CACHE_HOME/newsqa/`, else `~/.cache/newsqa/`), so a read-only corpus works."""
        if self.index_dir is not None:
            return self.index_dir
        return default_index_dir(self.corpus_dir)


def default_index_dir(corpus_dir: Path) -> Path:
    """`<cache>/newsqa/<corpus folder name>-<hash of its absolute path>`: one index per corpus."""
    corpus = corpus_dir.resolve()
    key = hashlib.sha256(str(corpus).encode()).hexdigest()[:12]
    return cache_dir() / f"{corpus.name or 'corpus'}-{key}"


def cache_dir() -> Path:
    """newsqa's folder in the user's cache: `$XDG_CACHE_HOME/newsqa/`, else `~/.cache/newsqa/`."""
    cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return root / "newsqa"


def settings_error_line(error: ValidationError) -> str:
    """One clear line naming the variable that is wrong, never echoing its value."""
    first = error.errors()[0]
    name = str(first["loc"][0]) if first.get("loc") else "configuration"
    return f"configuration error: {name}: {first['msg'].removeprefix('Value error, ')}"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]

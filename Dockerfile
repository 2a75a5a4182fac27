# newsqa: the Telegram bot over a news corpus. See docker-compose.yml for the volumes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 newsqa

# Installed in place, so the source tree is what runs (its data ships inside retrieval/).
COPY pyproject.toml README.md* ./
COPY retrieval ./retrieval
COPY bot ./bot
COPY corpus ./corpus
RUN pip install -e . \
    && mkdir -p /data/index \
    && chown newsqa:newsqa /data/index

ENV NEWSQA_CORPUS_DIR=/app/corpus \
    NEWSQA_INDEX_DIR=/data/index \
    NEWSQA_HEARTBEAT_FILE=/tmp/newsqa-heartbeat

USER newsqa
VOLUME ["/data/index"]

# Healthy while the bot's event loop keeps touching its heartbeat file. While the index is
# opened (built, on a first start: minutes for a large archive) the heartbeat says "starting"
# and counts as healthy too, so the start period need only cover Python starting up.
HEALTHCHECK --interval=30s --timeout=10s --start-period=1m --retries=3 CMD ["newsqa", "health"]

CMD ["newsqa", "bot"]

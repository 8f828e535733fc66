# syntax=docker/dockerfile:1
# Stage 1: build wheels for the bot and every dependency.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY bot ./bot
COPY knowledge ./knowledge
# Exactly the locked versions, then the bot itself without resolving again.
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.lock \
 && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# Stage 2: a slim runtime with only the installed wheels.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /wheels /tmp/wheels
# The image's defaults live in the bot's defaults file, not in ENV: an env file
# with `HEALTH_PORT=` (as copied from .env.example) would replace an ENV value
# with nothing, while the bot reads an empty variable as unset and falls back
# to this file.
RUN pip install --no-cache-dir --no-index --find-links=/tmp/wheels "deepseek-faq-bot[all]" \
 && rm -rf /tmp/wheels \
 && mkdir -p /etc/deepseek-faq-bot \
 && printf 'DATABASE_PATH=/data/bot.sqlite3\nHEALTH_PORT=8080\n' > /etc/deepseek-faq-bot/defaults.env \
 && useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home bot \
 && mkdir -p /data \
 && chown bot:bot /data
USER bot
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# SIGTERM makes the bot stop taking updates, finish replies and flush the database.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot", "run"]

"""Prometheus metrics, in a registry of our own (no global state to leak between tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.domain.models import AskContext, Reply
from bot.engine.engine import QuestionSink

# Created up front for these, so the dashboard and alerts see 0 instead of no series.
PLATFORMS = ("telegram", "discord")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "faqbot_questions",
            "Questions answered, by platform and outcome",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "faqbot_answer_latency_seconds",
            "Time from question to reply inside the engine",
            ["platform"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        self.adapter_up = Gauge(
            "faqbot_adapter_connected",
            "1 while the adapter is connected",
            ["adapter"],
            registry=self.registry,
        )
        self.knowledge = Gauge(
            "faqbot_knowledge_info",
            "Loaded knowledge (version label)",
            ["version"],
            registry=self.registry,
        )
        self.storage_up = Gauge(
            "faqbot_storage_healthy", "1 while database writes succeed", registry=self.registry
        )
        self.storage_errors = Counter(
            "faqbot_storage_errors", "Database writes that failed", registry=self.registry
        )
        self.retries = Counter(
            "faqbot_send_retries",
            "Sends tried again after a broken connection or a 5xx answer",
            ["platform"],
            registry=self.registry,
        )
        self.limited = Counter(
            "faqbot_rate_limited",
            "HTTP 429 answers from the platform",
            ["platform"],
            registry=self.registry,
        )
        for platform in PLATFORMS:
            self.retries.labels(platform)
            self.limited.labels(platform)

    # -- what the adapters report (bot.platforms.base.Telemetry) ------------------------

    def send_retried(self, platform: str) -> None:
        self.retries.labels(platform).inc()

    def rate_limited(self, platform: str) -> None:
        self.limited.labels(platform).inc()

    def storage_failed(self, rows: int = 1) -> None:
        self.storage_errors.inc(rows)

    def set_knowledge(self, version: str) -> None:
        self.knowledge.clear()
        self.knowledge.labels(version=version).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class ObservedSink:
    """Counts and times every question, then hands it on to storage."""

    def __init__(self, inner: QuestionSink | None, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    def record_question(self, ctx: AskContext, reply: Reply, latency_ms: float) -> None:
        self.metrics.questions.labels(ctx.platform, reply.outcome.value).inc()
        self.metrics.latency.labels(ctx.platform).observe(latency_ms / 1000)
        if self.inner is not None:
            self.inner.record_question(ctx, reply, latency_ms)

"""The monitoring files (deploy/monitoring, compose.yaml) against what the bot exports.

Metric names come from a scrape of the bot's real /metrics endpoint, so a
renamed or dropped metric fails here instead of as an empty Grafana panel or an
alert that can never fire. The structure checks stand in for Grafana and
Prometheus, which CI does not run; promtool, where installed, checks the
Prometheus files for real (Debian: apt-get install --no-install-recommends prometheus).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.engine.engine import Engine
from bot.runtime.health import HealthServer, HealthState
from bot.runtime.metrics import Metrics
from tests.conftest import REPO
from tests.promql import names

MONITORING = REPO / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "faqbot.json"
DATASOURCE = MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yaml"
PROVIDER = MONITORING / "grafana" / "provisioning" / "dashboards" / "faqbot.yaml"
PROMETHEUS = MONITORING / "prometheus.yml"
ALERTS = MONITORING / "alerts.yml"
ALERT_TESTS = MONITORING / "alerts.test.yml"
COMPOSE = REPO / "compose.yaml"

# What the bot promises to export (docs/monitoring.md); `up` is Prometheus' own.
CONTRACT = {
    "faqbot_questions_total",
    "faqbot_answer_latency_seconds_bucket",
    "faqbot_answer_latency_seconds_sum",
    "faqbot_answer_latency_seconds_count",
    "faqbot_adapter_connected",
    "faqbot_storage_healthy",
    "faqbot_storage_errors_total",
    "faqbot_send_retries_total",
    "faqbot_rate_limited_total",
    "faqbot_knowledge_info",
}
# Labels Prometheus adds or histograms carry, beside the ones the bot sets.
PROMETHEUS_LABELS = {"job", "instance", "le", "__name__"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    """(where, expr) for every query of every panel."""
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            yield f"panel {panel['id']} {panel['title']!r} {target['refId']}", target["expr"]


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(ALERTS)["groups"] for rule in group["rules"]]


def all_exprs() -> list[tuple[str, str]]:
    return [*dashboard_exprs(), *((f"alert {r['alert']}", r["expr"]) for r in alert_rules())]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def scrape(engine: Engine) -> str:
    """/metrics of a running health server, after one question so labels show."""
    metrics = Metrics()
    # Labelled series only appear once used; one of each lets the test see labels.
    metrics.questions.labels("telegram", "answered").inc()
    metrics.latency.labels("telegram").observe(0.004)
    metrics.adapter_up.labels("telegram").set(1)
    state = HealthState(engine, store=None, adapters=lambda: [], metrics=metrics)
    port = free_port()
    server = HealthServer(state, "127.0.0.1", port)
    try:
        await server.start()
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            assert response.status == 200
            return await response.text()
    finally:
        await server.stop()


def exported(text: str) -> dict[str, set[str]]:
    """Every series name a scrape can give, with the label names seen on it."""
    out: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for suffix in SUFFIXES.get(family.type, ("",)):
            out.setdefault(family.name + suffix, set())
        for sample in family.samples:
            out.setdefault(sample.name, set()).update(sample.labels)
    return out


@pytest.fixture
async def scraped(engine: Engine) -> dict[str, set[str]]:
    return exported(await scrape(engine))


async def test_the_bot_exports_the_promised_metrics(engine: Engine) -> None:
    text = await scrape(engine)
    assert CONTRACT - set(exported(text)) == set()
    samples = {
        (s.name, tuple(sorted(s.labels.items())))
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    # New counters are there at 0 for both platforms before anything happened.
    for name in ("faqbot_send_retries_total", "faqbot_rate_limited_total"):
        for platform in ("telegram", "discord"):
            assert (name, (("platform", platform),)) in samples
    assert ("faqbot_storage_errors_total", ()) in samples


def test_promql_names_reads_metrics_and_labels() -> None:
    found = names(
        'histogram_quantile(0.99, sum by (le) (rate(x_bucket{platform="a"}[$__rate_interval])))'
        " / on(instance) group_left(version) max without (job) (info)"
        ' > 2 * sum(increase(y_total[5m] offset 1h)) and up{job="faqbot"} == 0'
    )
    assert found.metrics == {"x_bucket", "info", "y_total", "up"}
    assert found.labels == {"le", "platform", "instance", "version", "job"}


async def test_dashboard_and_alerts_query_only_exported_metrics(
    scraped: dict[str, set[str]],
) -> None:
    known = set(scraped) | {"up"}
    unknown = [(where, m) for where, expr in all_exprs() for m in names(expr).metrics - known]
    assert unknown == []


async def test_dashboard_and_alerts_use_only_labels_the_metrics_have(
    scraped: dict[str, set[str]],
) -> None:
    wrong = []
    for where, expr in all_exprs():
        found = names(expr)
        have = set(PROMETHEUS_LABELS)
        for metric in found.metrics:
            have |= scraped.get(metric, set())
        wrong += [(where, label) for label in found.labels - have]
    assert wrong == []


async def test_every_exported_metric_is_on_the_dashboard(scraped: dict[str, set[str]]) -> None:
    shown = {m for _, expr in dashboard_exprs() for m in names(expr).metrics}
    assert {"faqbot_answer_latency_seconds_bucket", "up"} <= shown
    families = {name.removesuffix("_total") for name in CONTRACT if "latency" not in name}
    missing = {f for f in families if not any(m.startswith(f) for m in shown)}
    assert missing == set()


def test_dashboard_has_the_structure_grafana_expects() -> None:
    board = dashboard()
    assert board["uid"] == "faqbot"
    assert board["title"] == "DeepSeek FAQ bot"
    assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 39
    panels = board["panels"]
    assert panels
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        where = panel["title"]
        assert panel["type"] in {"timeseries", "stat", "heatmap", "state-timeline"}, where
        assert panel["title"] and panel.get("description"), where
        assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}, where
        grid = panel["gridPos"]
        assert set(grid) == {"x", "y", "w", "h"}, where
        assert all(isinstance(v, int) and v >= 0 for v in grid.values()), where
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, where
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not mine & cells, f"{where} overlaps another panel"
        cells |= mine
        targets = panel["targets"]
        assert targets, where
        refs = [t["refId"] for t in targets]
        assert len(refs) == len(set(refs)), where
        for target in targets:
            assert target["expr"].strip(), where
            assert target["datasource"]["uid"] == "prometheus", where


def panels_querying(*needles: str) -> list[dict[str, Any]]:
    return [
        p
        for p in dashboard()["panels"]
        if all(any(n in t["expr"] for t in p["targets"]) for n in needles)
    ]


def test_dashboard_has_the_panels_operators_need() -> None:
    (questions,) = panels_querying("rate(faqbot_questions_total", "by (platform, outcome)")
    assert questions["type"] == "timeseries"
    shares = panels_querying('outcome=~"fallback|refused"')
    assert len(shares) >= 2  # a stat for the last 24 h, a time series
    assert {p["fieldConfig"]["defaults"]["unit"] for p in shares} == {"percentunit"}
    (latency,) = panels_querying(
        "histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,"
    )
    assert latency["fieldConfig"]["defaults"]["unit"] == "s"
    (heatmap,) = [p for p in dashboard()["panels"] if p["type"] == "heatmap"]
    assert "faqbot_answer_latency_seconds_bucket" in heatmap["targets"][0]["expr"]
    assert heatmap["targets"][0]["format"] == "heatmap"
    assert heatmap["options"]["calculate"] is False  # the buckets are already histograms
    assert panels_querying("faqbot_storage_healthy")
    assert panels_querying("faqbot_storage_errors_total")
    (adapters,) = panels_querying("faqbot_adapter_connected")
    assert "by (adapter)" in adapters["targets"][0]["expr"]
    (sends,) = panels_querying("faqbot_send_retries_total", "faqbot_rate_limited_total")
    assert all("by (platform)" in t["expr"] for t in sends["targets"])
    (version,) = panels_querying("faqbot_knowledge_info")
    assert version["options"]["textMode"] == "name"


def test_grafana_provisioning_files() -> None:
    sources = load_yaml(DATASOURCE)
    assert sources["apiVersion"] == 1
    (source,) = sources["datasources"]
    assert source["uid"] == "prometheus" and source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    providers = load_yaml(PROVIDER)
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    mounted = mounts("grafana")
    assert mounted[provider["options"]["path"]] == DASHBOARD.parent
    assert mounted["/etc/grafana/provisioning"] == DATASOURCE.parent.parent


def test_prometheus_config_scrapes_the_bot_and_loads_the_alerts() -> None:
    config = load_yaml(PROMETHEUS)
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "faqbot"]
    targets = [t for static in job["static_configs"] for t in static["targets"]]
    assert targets == ["bot:8080"]
    assert job.get("scrape_interval", config["global"]["scrape_interval"]) == "15s"
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert config["rule_files"] == ["alerts.yml"]
    # The rule file must sit beside the config inside the container.
    mounted = mounts("prometheus")
    config_dir = Path(next(c for c, h in mounted.items() if h == PROMETHEUS)).parent
    assert mounted[str(config_dir / "alerts.yml")] == ALERTS


def test_alert_rules_are_complete() -> None:
    rules = alert_rules()
    assert {r["alert"] for r in rules} == {
        "FaqbotDown",
        "FaqbotPlatformDisconnected",
        "FaqbotStorageFailing",
        "FaqbotUnansweredShareJumped",
    }
    for rule in rules:
        assert rule["expr"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    by_name = {r["alert"]: r for r in rules}
    assert "up" in names(by_name["FaqbotDown"]["expr"]).metrics
    assert by_name["FaqbotDown"]["for"] == "2m"
    assert by_name["FaqbotPlatformDisconnected"]["for"] == "5m"
    assert "$labels.adapter" in by_name["FaqbotPlatformDisconnected"]["annotations"]["summary"]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE)
    return data


def mounts(service: str) -> dict[str, Path | str]:
    """Container path -> repo path (bind mount) or volume name, read-only ones only."""
    out: dict[str, Path | str] = {}
    for spec in compose()["services"][service]["volumes"]:
        source, target, *mode = spec.split(":")
        if source.startswith("."):
            assert mode == ["ro"], f"{service}: {spec} should be read-only"
            out[target] = (REPO / source).resolve()
        else:
            out[target] = source
    return out


def test_compose_monitoring_is_a_profile_and_leaves_the_bot_alone() -> None:
    services = compose()["services"]
    bot = services["bot"]
    assert "profiles" not in bot
    assert bot["image"] == "deepseek-faq-bot:latest"
    assert bot["env_file"] == ".env"
    assert bot["volumes"] == ["bot-data:/data"]
    assert bot["ports"] == ["127.0.0.1:8080:8080"]
    volumes = set(compose()["volumes"])
    for name, image in (("prometheus", "prom/prometheus"), ("grafana", "grafana/grafana-oss")):
        service = services[name]
        assert service["profiles"] == ["monitoring"], name
        repo, tag = service["image"].split(":")
        assert repo == image and re.fullmatch(r"v?\d+\.\d+\.\d+", tag), service["image"]
        for target, source in mounts(name).items():
            if isinstance(source, Path):
                assert source.exists(), f"{name}: {source} is mounted but not in the repo"
            else:
                assert source in volumes, f"{name}: volume {source} for {target} not declared"
        assert all(p.startswith("127.0.0.1:") for p in service.get("ports", [])), name
    grafana = services["grafana"]
    assert grafana["ports"] == ["127.0.0.1:3000:3000"]
    env = grafana["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:-\S+\}", env["GF_SECURITY_ADMIN_PASSWORD"])
    assert mounts("prometheus")["/prometheus"] == "prometheus-data"
    assert mounts("grafana")["/var/lib/grafana"] == "grafana-data"


PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not installed (Debian: apt-get install --no-install-recommends prometheus)",
)


def promtool(*args: str | Path) -> str:
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@needs_promtool
def test_promtool_accepts_config_and_rules() -> None:
    assert "SUCCESS" in promtool("check", "config", PROMETHEUS)
    assert "SUCCESS: 4 rules found" in promtool("check", "rules", ALERTS)


@needs_promtool
def test_promtool_alert_unit_tests_pass() -> None:
    """alerts.test.yml: each alert fires when it should, and a quiet night stays quiet."""
    assert "SUCCESS" in promtool("test", "rules", ALERT_TESTS)


@needs_promtool
def test_promtool_parses_every_dashboard_query(tmp_path: Path) -> None:
    """The dashboard's PromQL, as recording rules, so promtool parses each query."""
    rules = [
        {
            "record": f"dashboard:panel{n}",
            "expr": re.sub(r"\$\{?__\w+\}?", "1m", expr),
        }
        for n, (_, expr) in enumerate(dashboard_exprs())
    ]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(rules)} rules found" in promtool("check", "rules", path)

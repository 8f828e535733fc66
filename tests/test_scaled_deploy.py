"""compose.scaled.yaml and haproxy.cfg keep their shape: services, env the bot reads, checks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.scaled.yaml"
HAPROXY = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
CONTRACT_ENV = {
    "DATABASE_URL",
    "HASH_KEY_FILE",
    "DISCORD_TOKEN",
    "TELEGRAM_TOKEN",
    "TELEGRAM_WEBHOOK_LISTEN",
    "TELEGRAM_WEBHOOK_PORT",
    "HEALTH_HOST",
    "HEALTH_PORT",
}


def _services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"])


def test_services_are_the_scaled_set() -> None:
    assert set(_services()) == {
        "postgres",
        "haproxy",
        "telegram1",
        "telegram2",
        "telegram3",
        "discord-primary",
        "discord-standby",
    }


def test_every_bot_uses_postgres_and_the_secret_key() -> None:
    for name, service in _services().items():
        if name in {"postgres", "haproxy"}:
            continue
        env = service["environment"]
        assert set(env) <= CONTRACT_ENV, name
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert env["HASH_KEY_FILE"] == "/run/secrets/hash_key"
        assert service["secrets"] == ["hash_key"]
        assert "healthcheck" in service


def test_ports_are_localhost_only() -> None:
    for service in _services().values():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:")


def test_haproxy_balances_per_request_and_checks_readyz() -> None:
    text = HAPROXY.read_text(encoding="utf-8")
    assert re.search(r"^\s*mode http$", text, re.M)
    assert "option http-server-close" in text and "http-reuse never" in text
    assert "option httpchk GET /readyz" in text
    assert re.search(r"retry-on conn-failure empty-response 503", text)
    servers = re.findall(r"^\s*server \S+ (telegram\d):", text, re.M)
    assert set(servers) == {s for s in _services() if s.startswith("telegram")}


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_haproxy_validates_the_config() -> None:
    haproxy = shutil.which("haproxy")
    assert haproxy is not None
    done = subprocess.run(
        [haproxy, "-c", "-f", str(HAPROXY)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stdout + done.stderr

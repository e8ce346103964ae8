"""The production shape: docker-compose.yml, the Dockerfile, the web start script and /healthz.

There is no container engine in CI, so the compose file is checked two ways: parsed here with PyYAML,
and, where a compose command line is installed, validated by `docker compose config` itself.
The web process is started for real with gunicorn in production mode and probed with the same
script the container health check runs.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils.module_loading import import_string

ROOT = Path(settings.BASE_DIR)
COMPOSE_FILE = ROOT / "docker-compose.yml"
REQUIRED_ENV = {
    "SECRET_KEY": "compose-config-test-key",
    "ALLOWED_HOSTS": "portal.example.org",
    "PUBLIC_BASE_URL": "https://portal.example.org",
    "POSTGRES_PASSWORD": "compose-config-test-password",
}
PORTAL_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def command_text(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "beat"}
    assert compose["services"]["postgres"]["image"].split(":")[1].startswith(("16", "15"))


def test_compose_healthchecks(compose):
    services = compose["services"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "/app/docker/healthcheck.py"]
    assert "/healthz" in (ROOT / "docker" / "healthcheck.py").read_text(encoding="utf-8")
    assert "inspect ping" in services["worker"]["healthcheck"]["test"][1]


def test_compose_waits_for_healthy_dependencies(compose):
    services = compose["services"]
    for name in PORTAL_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"] == {"condition": "service_healthy"}, name
        assert depends_on["redis"] == {"condition": "service_healthy"}, name
    # The worker and beat start once web has migrated the schema.
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_compose_volumes(compose):
    assert {"postgres_data", "media"} <= set(compose["volumes"])
    services = compose["services"]
    assert "postgres_data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in ("web", "worker"):
        assert "media:/data/media" in services[name]["volumes"], name


def test_compose_commands(compose):
    services = compose["services"]
    assert command_text(services["web"]) == "sh /app/docker/web.sh"
    assert command_text(services["worker"]).startswith("celery -A portal worker")
    beat = command_text(services["beat"])
    assert beat.startswith("celery -A portal beat")
    assert "--scheduler django_celery_beat.schedulers:DatabaseScheduler" in beat
    assert import_string("django_celery_beat.schedulers.DatabaseScheduler")


def test_web_script_migrates_and_loads_reference_data_before_serving():
    lines = [line.strip() for line in (ROOT / "docker" / "web.sh").read_text(encoding="utf-8").splitlines()]
    migrate = lines.index("python manage.py migrate --noinput")
    reference = lines.index("python manage.py load_reference_data")
    serve = next(i for i, line in enumerate(lines) if line.startswith("exec gunicorn portal.wsgi:application"))
    assert migrate < reference < serve
    assert "set -eu" in lines  # a failed migration stops the container instead of serving


def test_compose_environment(compose):
    env = compose["services"]["web"]["environment"]
    for name in ("worker", "beat"):
        assert compose["services"][name]["environment"] == env
    assert env["DEBUG"] == "0"
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert env["DATABASE_URL"].startswith("postgres://portal:${POSTGRES_PASSWORD:?")
    assert env["DATABASE_URL"].endswith("@postgres:5432/portal")
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "PUBLIC_BASE_URL"} <= set(env)


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim-bookworm" in text.splitlines()
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-noto-cjk", "libpq-dev", "gcc", "gettext"):
        assert package in text, package
    assert "pip install ." in text
    assert "manage.py collectstatic" in text
    assert "manage.py compilemessages" in text
    assert "\nUSER portal\n" in text
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".git", ".venv", ".env", "var"} <= set(ignored)


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def run_compose_config(cli: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    # An empty env file, so that a developer's own .env cannot fill in what the test leaves out.
    empty_env = tmp_path / "empty.env"
    empty_env.write_text("")
    base = {key: value for key, value in os.environ.items() if key not in REQUIRED_ENV}
    return subprocess.run(
        [*cli, "--env-file", str(empty_env), "-f", str(COMPOSE_FILE), "config"],
        env={**base, **env}, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


@pytest.fixture
def cli():
    found = compose_cli()
    if found is None:
        pytest.skip("no compose command line here (neither `docker compose` nor `docker-compose`); "
                    "scripts/test installs docker-compose when run as root")
    return found


def test_compose_config_validates(cli, tmp_path):
    result = run_compose_config(cli, REQUIRED_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == {"postgres", "redis", "web", "worker", "beat"}
    env = resolved["services"]["worker"]["environment"]
    assert env["SECRET_KEY"] == REQUIRED_ENV["SECRET_KEY"]
    assert env["DATABASE_URL"] == "postgres://portal:compose-config-test-password@postgres:5432/portal"


@pytest.mark.parametrize("missing", sorted(REQUIRED_ENV))
def test_compose_config_refuses_a_missing_required_value(cli, tmp_path, missing):
    env = {key: value for key, value in REQUIRED_ENV.items() if key != missing}
    result = run_compose_config(cli, env, tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_healthz_reports_a_dead_cache(client, db, settings):
    # Nothing listens on port 1: the Redis client fails to connect, as when Redis is down.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_healthz_in_production_mode(tmp_path):
    """DEBUG=0 settings boot under gunicorn, and the container health check passes through host
    validation and the HTTPS redirect."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "production-mode-test-key",
        "ALLOWED_HOSTS": ".portal.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'healthz.sqlite3'}",
        "PORTAL_VAR_DIR": str(tmp_path),
        "PORT": str(port),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    probe = [sys.executable, str(ROOT / "docker" / "healthcheck.py")]
    try:
        deadline = time.monotonic() + 60
        while True:
            result = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=30)
            if result.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(0.5)
        assert result.returncode == 0, result.stderr + (tmp_path / "gunicorn.log").read_text()
        # A host outside ALLOWED_HOSTS is refused: the probe's success is not a blanket 200.
        result = subprocess.run(probe, env={**env, "ALLOWED_HOSTS": "elsewhere.example.net"},
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 1
        assert "HTTP 400" in result.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

"""docker-compose.yml, checked as far as a machine without a Docker engine allows: it runs the
same commands and files as `make serve` (tested for real in test_deployment.py), nothing is
published but the login proxy, credentials reach only the code server, every service has a
health check, and every variable it reads is documented."""

import re
import shutil
import subprocess

import pytest
import yaml
from conftest import ROOT

from supplier_pipeline.lib.settings import _READ, REQUIRED_IN_PRODUCTION

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SERVE_MODES = set(re.findall(r"^  ([a-z-]+)\)", (ROOT / "deploy" / "serve.sh").read_text(), re.M))
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
DOCUMENTED = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, re.M))


def test_dagster_services_run_the_commands_make_serve_runs():
    for name in ("user_code", "webserver", "webserver_read_only", "daemon"):
        script, mode = SERVICES[name]["command"]
        assert script == "deploy/serve.sh" and mode in SERVE_MODES, name
    assert SERVICES["setup"]["command"] == ["supplier-pipeline", "setup"]
    # the same instance and workspace files: the image copies them where serve.sh reads them
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY dagster.yaml workspace.yaml ./" in dockerfile
    assert "cp dagster.yaml /opt/dagster/home/dagster.yaml" in dockerfile


def test_only_the_login_proxy_is_published_and_only_on_this_host_by_default():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"proxy"}
    for port in SERVICES["proxy"]["ports"]:
        assert port.startswith("${PROXY_BIND:-127.0.0.1}:")
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    # editors and viewers both log in
    assert len(re.findall(r"^\s*basicauth \{", caddyfile, re.M)) == 2


def test_supplier_credentials_reach_only_the_code_server():
    assert [name for name, s in SERVICES.items() if "env_file" in s] == ["user_code"]
    for name in ("webserver", "webserver_read_only", "daemon", "proxy", "setup"):
        variables = set(SERVICES[name].get("environment", {}))
        secrets = {v for v in variables if v.endswith(("_TOKEN", "_EMAIL"))
                   or (v.endswith("PASSWORD") and v != "DAGSTER_POSTGRES_PASSWORD")}
        assert not secrets, (name, secrets)


def test_every_service_is_healthy_before_what_depends_on_it_starts():
    for name, service in SERVICES.items():
        if name != "setup":  # a one-shot job: the others wait for it to complete
            assert service["healthcheck"]["test"], name
        for dependency, rule in service.get("depends_on", {}).items():
            expected = ("service_completed_successfully" if dependency == "setup"
                        else "service_healthy")
            assert rule["condition"] == expected, (name, dependency)


def test_inbox_outbox_are_bind_mounts_and_state_survives_restarts():
    mounts = SERVICES["user_code"]["volumes"]
    assert any(m.startswith("${SHOP_INBOX_HOST_DIR:-./") for m in mounts)
    assert any(m.startswith("${PO_OUTBOX_HOST_DIR:-./") for m in mounts)
    named = {m.split(":")[0] for m in mounts if not m.startswith(("$", "."))}
    assert {"session_cookies", "dagster_artifacts"} <= named <= set(COMPOSE["volumes"])
    settings = SERVICES["user_code"]["environment"]
    assert settings["SUPPLIER_PIPELINE_ENV"] == "production"


def test_image_is_pinned_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-c requirements.lock" in dockerfile
    assert "-c requirements.lock" in (ROOT / "Makefile").read_text()  # the same set as make
    assert re.search(r"^USER pipeline$", dockerfile, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".env", ".data"} <= set(ignored)


def test_every_variable_is_documented_in_env_example():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    # `$${X}` is the container's own variable, not one compose reads
    read_by_compose = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]+)", compose_text))
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    caddy = set(re.findall(r"\{\$([A-Z][A-Z0-9_]+)", caddyfile))
    internal = {"DAGSTER_WEBSERVER_UPSTREAM", "DAGSTER_READ_ONLY_UPSTREAM"}  # compose's defaults
    missing = (read_by_compose | caddy | set(_READ) | set(REQUIRED_IN_PRODUCTION)) - internal
    assert missing - DOCUMENTED == set()
    # copying the example must not set a path or DSN to an empty value
    assert not re.search(r"^[A-Z_]+(DIR|DSN|HOME|PATH)=\s*$", ENV_EXAMPLE, re.M)


def test_docker_compose_config_accepts_the_file(tmp_path):
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    # the project folder holds the .env that compose and the code server read
    (tmp_path / ".env").write_text(
        "DAGSTER_POSTGRES_PASSWORD=only-for-the-test\nDAGSTER_UI_EDITOR_USER=e\n"
        "DAGSTER_UI_EDITOR_PASSWORD_HASH=x\nDAGSTER_UI_VIEWER_USER=v\n"
        "DAGSTER_UI_VIEWER_PASSWORD_HASH=y\n")
    result = subprocess.run([compose, "--project-directory", str(tmp_path), "--env-file",
                             str(tmp_path / ".env"), "-f", str(ROOT / "docker-compose.yml"),
                             "config"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    expanded = yaml.safe_load(result.stdout)
    assert set(expanded["services"]) == set(SERVICES)
    assert "ports" not in expanded["services"]["webserver"]

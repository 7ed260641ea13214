"""The stack test's working copy: a snapshot of the repository, a test .env and certificates.

The stack runs from a snapshot of the working tree (tracked files and untracked ones git does
not ignore) under .tsh/stack-test/src, so a developer's own .env is never touched and edits
made while the test runs cannot change what it tests. The snapshot holds the real
Dockerfile, docker-compose.yml and deploy/, byte for byte.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "sync.tsh.test"
APP_ORIGIN = "https://app.tsh.test"
# What zoho_sandbox/config.py serves; the sandbox is not imported here (it is an outside system).
SANDBOX_CREDENTIALS = {
    "ZOHO_CLIENT_ID": "sandbox-client",
    "ZOHO_CLIENT_SECRET": "sandbox-secret",
    "ZOHO_REFRESH_TOKEN": "sandbox-refresh-token",
    "ZOHO_ORGANIZATION_ID": "10234695",
}


@dataclass(frozen=True)
class Ports:
    http: int = 18080
    https: int = 18443
    sandbox: int = 18090


@dataclass(frozen=True)
class Workdir:
    base: Path

    @property
    def src(self) -> Path:
        return self.base / "src"

    @property
    def certs(self) -> Path:
        return self.base / "certs"

    @property
    def ca(self) -> Path:
        return self.certs / "stack-test-ca.pem"

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    @property
    def env_file(self) -> Path:
        return self.src / ".env"


def snapshot(work: Workdir) -> None:
    """Copy the working tree's files git would commit, plus the host-built wheelhouse."""
    if work.src.exists():
        shutil.rmtree(work.src)
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            target = work.src / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    wheels = ROOT / "wheelhouse"
    if wheels.is_dir():  # hard links: the snapshot's `make wheels` finds them already there
        shutil.copytree(wheels, work.src / "wheelhouse", copy_function=_link)


def _link(source: str, target: str) -> None:
    Path(target).hardlink_to(source)


def certificates(work: Workdir) -> None:
    """A throwaway CA and a certificate for DOMAIN (and 127.0.0.1) in certbot's layout."""
    live = work.certs / "live" / DOMAIN
    live.mkdir(parents=True, exist_ok=True)
    if (live / "fullchain.pem").exists() and work.ca.exists():
        return
    tmp = work.certs / "tmp"
    tmp.mkdir(exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=tmp, check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=TSH stack test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        f"/CN={DOMAIN}",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    )
    (tmp / "san.ext").write_text(f"subjectAltName=DNS:{DOMAIN},IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    )
    shutil.copy(tmp / "server.pem", live / "fullchain.pem")
    shutil.copy(tmp / "server.key", live / "privkey.pem")
    shutil.copy(tmp / "ca.pem", work.ca)
    work.ca.chmod(0o644)
    shutil.rmtree(tmp)


def test_env(work: Workdir, tag: str, ports: Ports) -> dict[str, str]:
    """.env.example with the test's values: the sandbox as Zoho, fresh passwords, local ports."""
    pw = {
        name: secrets.token_hex(12)
        for name in ("TSH_OWNER", "TSH_PIPELINES", "TSH_WEBHOOKS", "TSH_CONSUMER", "DAGSTER_PG")
    }
    webhook_secret = "stacktest" + secrets.token_hex(8)
    sandbox = "http://zoho-sandbox:8090"
    values = {
        "DATABASE_URL": f"postgresql://tsh_pipelines:{pw['TSH_PIPELINES']}@postgres:5432/tsh",
        "CONSUMER_DATABASE_URL": f"postgresql://tsh_consumer:{pw['TSH_CONSUMER']}@postgres:5432/tsh",
        **{f"{name}_DB_PASSWORD": value for name, value in pw.items() if name != "DAGSTER_PG"},
        "DAGSTER_PG_PASSWORD": pw["DAGSTER_PG"],
        **SANDBOX_CREDENTIALS,
        "ZOHO_API_BASE_URL": sandbox,
        "ZOHO_ACCOUNTS_URL": sandbox,
        # The sandbox runs without limits; the client's own limiter must not slow the test.
        "ZOHO_BOOKS_RPM": "6000",
        "ZOHO_INVENTORY_RPM": "6000",
        "ZOHO_WEBHOOK_SECRETS": webhook_secret,
        "ADMIN_API_TOKEN": secrets.token_hex(16),
        "DAGSTER_UI_URL": f"https://{DOMAIN}",
        "CONSUMER_CORS_ORIGINS": APP_ORIGIN,
        # A run the PostgreSQL restart kills leaves its batch claimed: reclaimed within the
        # test's patience instead of production's 30 minutes (the rule is the same).
        "TSH_QUEUE_CLAIM_MINUTES": "1",
        "TSH_QUEUE_LEASE_MINUTES": "1",
        "TSH_QUEUE_RETRY_BASE_SECONDS": "5",
        "TSH_DOMAIN": DOMAIN,
        "TSH_IMAGE": "tsh-zoho-sync",
        "TSH_TAG": tag,
        "TSH_PUBLISH_ADDRESS": "127.0.0.1",
        "TSH_HTTP_PORT": str(ports.http),
        "TSH_HTTPS_PORT": str(ports.https),
        "TSH_CERTS_DIR": str(work.certs),
        # Read only by deploy/stack-test/compose.stack-test.yml.
        "STACK_SANDBOX_IMAGE": f"tsh-zoho-sync:{tag}",
        "STACK_WEBHOOK_SECRET": webhook_secret,
        "STACK_SANDBOX_PORT": str(ports.sandbox),
    }
    lines, seen = [], set()
    for line in (work.src / ".env.example").read_text().splitlines():
        key = line.split("=", 1)[0]
        if line and not line.startswith("#") and key in values:
            line, _ = f"{key}={values[key]}", seen.add(key)
        lines.append(line)
    lines += ["", "# ---- stack test only"]
    lines += [f"{k}={v}" for k, v in values.items() if k not in seen]
    work.env_file.write_text("\n".join(lines) + "\n")
    work.env_file.chmod(0o600)
    return values


def set_env(work: Workdir, key: str, value: str) -> None:
    """Change one line of .env, as an operator would with an editor."""
    lines = work.env_file.read_text().splitlines()
    lines = [f"{key}={value}" if line.startswith(f"{key}=") else line for line in lines]
    work.env_file.write_text("\n".join(lines) + "\n")

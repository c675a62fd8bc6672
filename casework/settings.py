"""Settings, read lazily from ``CASEWORK_*`` environment variables.

Use :func:`get_settings` everywhere; tests override values by setting the
environment and calling :func:`get_settings.cache_clear`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The repository (or installed source tree) root: shipped definitions live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything casework can be configured with."""

    model_config = SettingsConfigDict(env_prefix="CASEWORK_", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        description=(
            "Directory for the embedded stack: Temporal's SQLite file, records, outbox, reports."
        ),
    )
    definitions_dir: Path = Field(
        default=PROJECT_ROOT / "definitions",
        description="Directory of process definition YAML files.",
    )
    policies_dir: Path = Field(
        default=PROJECT_ROOT / "policies",
        description=(
            "Directory of policy YAML files"
            " (calendars, SLA, escalation, routing, approval, directory)."
        ),
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the records database; empty means SQLite in data_dir.",
    )
    temporal_address: str = Field(
        default="127.0.0.1:7233", description="Temporal frontend host:port."
    )
    temporal_namespace: str = Field(default="default", description="Temporal namespace.")
    temporal_tls: bool = Field(default=False, description="Connect to Temporal over TLS.")
    temporal_tls_cert: Path | None = Field(
        default=None, description="Client certificate (PEM) for mTLS to Temporal."
    )
    temporal_tls_key: Path | None = Field(
        default=None, description="Client private key (PEM) for mTLS to Temporal."
    )
    temporal_tls_ca: Path | None = Field(
        default=None, description="CA bundle (PEM) that signed the Temporal server certificate."
    )
    temporal_api_key: str = Field(
        default="", description="API key for Temporal Cloud; implies TLS when set."
    )
    task_queue: str = Field(default="casework", description="Temporal task queue of the workers.")
    temporal_ui_port: int = Field(default=8233, description="Port of the embedded Temporal Web UI.")
    api_host: str = Field(default="127.0.0.1", description="Address the HTTP API binds to.")
    api_port: int = Field(default=8400, description="Port the HTTP API binds to.")
    user: str = Field(default="", description="Person id the CLI acts as when --as is not given.")
    reports_dir: Path | None = Field(
        default=None, description="Where report files are written; default data_dir/reports."
    )
    worker_sandbox: bool = Field(
        default=False,
        description=(
            "Run case workflows in Temporal's determinism sandbox. Off by default: the only"
            " workflow code is casework's own interpreter, which the test suite runs sandboxed"
            " and the replay tests guard, and the sandbox costs a fifth to a third of a"
            " worker's CPU (the SDK enters it for every payload it converts)."
        ),
    )
    worker_cached_cases: int = Field(
        default=1000,
        ge=1,
        description=(
            "Cases a worker keeps in memory (Temporal's sticky workflow cache). A case"
            " waiting on people costs a worker about 90-100 KB; an evicted case costs"
            " nothing until its next event, which replays its history first."
        ),
    )
    history_event_budget: int = Field(
        default=2000,
        description="A case continues-as-new once its history passes this many events.",
    )

    def records_url(self) -> str:
        """Return the records database URL, defaulting to SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'records.db'}"

    def reports_path(self) -> Path:
        """Return the directory report files are written to."""
        return self.reports_dir or self.data_dir / "reports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use."""
    return Settings()

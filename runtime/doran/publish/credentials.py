"""Schema registry credentials, read from DORAN_REGISTRY_USERNAME / DORAN_REGISTRY_PASSWORD."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["RegistryCredentials", "registry_credentials_from_env"]


class RegistryCredentials(BaseSettings):
    """HTTP basic credentials of the schema registry; the password is revealed only to build the request."""

    model_config = SettingsConfigDict(env_prefix="DORAN_REGISTRY_", frozen=True, extra="ignore")

    username: str | None = Field(default=None, description="Registry user (Redpanda SASL/basic-auth user).")
    password: SecretStr | None = Field(default=None, description="Password of that user.")


def registry_credentials_from_env() -> RegistryCredentials | None:
    """Credentials from the environment, or None when no username is set (anonymous access)."""
    credentials = RegistryCredentials()
    return credentials if credentials.username else None

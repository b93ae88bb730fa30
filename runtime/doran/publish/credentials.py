"""Schema registry credentials: DORAN_REGISTRY_USERNAME / DORAN_REGISTRY_PASSWORD, read by `Settings`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr

from doran.settings import Settings

__all__ = ["RegistryCredentials", "registry_credentials", "registry_credentials_from_env"]


class RegistryCredentials(BaseModel):
    """HTTP basic credentials of the schema registry; the password is revealed only to build the request."""

    model_config = ConfigDict(frozen=True)

    username: str | None = None
    password: SecretStr | None = None


def registry_credentials(settings: Settings) -> RegistryCredentials | None:
    """The credentials `settings` give, or None when no username is set (anonymous access)."""
    if not settings.registry_username:
        return None
    return RegistryCredentials(username=settings.registry_username, password=settings.registry_password)


def registry_credentials_from_env() -> RegistryCredentials | None:
    """Credentials from the environment (DORAN_REGISTRY_USERNAME / DORAN_REGISTRY_PASSWORD), or None."""
    return registry_credentials(Settings())

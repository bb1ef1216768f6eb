"""QGIS's saved PostgreSQL connections, as the server packs use them: the connection's
keywords without any password (a connection whose password is kept in QGIS's settings is
refused: keep it in the authentication database or a pg_service file), and QGIS's
authentication database asked for the user and password when a connection is made."""

from __future__ import annotations

from qgis.core import QgsApplication, QgsDataSourceUri, QgsProviderRegistry

from ..core.errors import JsnaInputError
from ..core.packstore import use_credentials

CONNECTION_KEYS = ("service", "host", "port", "dbname", "user", "sslmode", "authcfg")


def saved_connections() -> list[str]:
    """The names of QGIS's saved PostgreSQL connections."""
    metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
    return sorted(metadata.connections().keys()) if metadata is not None else []


def connection_conninfo(name: str) -> str:
    """A saved connection as libpq keywords (and authcfg), never with a password."""
    metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
    connections = metadata.connections() if metadata is not None else {}
    if name not in connections:
        raise JsnaInputError(f"No saved PostgreSQL connection called '{name}' in QGIS")
    uri = QgsDataSourceUri(connections[name].uri())
    if uri.password():
        raise JsnaInputError(f"The connection '{name}' keeps its password in QGIS's settings: "
                             "store it in QGIS's authentication database (authcfg) or a "
                             "pg_service file, then try again")
    parts = {"service": uri.service(), "host": uri.host(), "port": uri.port(),
             "dbname": uri.database(), "user": uri.username(), "authcfg": uri.authConfigId()}
    mode = uri.sslMode()
    if mode not in (QgsDataSourceUri.SslMode.SslPrefer, QgsDataSourceUri.SslMode.SslAllow):
        parts["sslmode"] = QgsDataSourceUri.encodeSslMode(mode)
    return " ".join(f"{key}={parts[key]}" for key in CONNECTION_KEYS if parts.get(key))


def use_qgis_authentication() -> None:
    """Connections naming an authcfg get their user and password from QGIS's authentication
    database at the moment they connect."""
    def resolve(authcfg: str) -> dict:
        items = ["user=", "password="]
        ok, resolved = QgsApplication.authManager().updateDataSourceUriItems(items, authcfg,
                                                                             "postgres")
        if not ok:
            raise JsnaInputError(f"QGIS's authentication configuration '{authcfg}' cannot be "
                                 "read (is the master password entered?)")
        values = dict(item.split("=", 1) for item in resolved if "=" in item)
        return {k: v.strip("'") for k, v in values.items() if k in ("user", "password") and v}
    use_credentials(resolve)

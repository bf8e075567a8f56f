"""CIB import and export: a Pacemaker CIB's configuration into the store (all of it,
replacing what is there, in one transaction, after validation) and the stored
configuration out as CIB XML (``write_cib``; the status section is left empty)."""

from __future__ import annotations

from corral.commands.change import Changed, apply_change
from corral.commands.config_store import DEFAULT_CLUSTER, load_config
from corral.model.config import Config
from corral.model.errors import Problems
from corral.model.status import Status
from corral.pacemaker.cib_reader import read_cib
from corral.pacemaker.cib_writer import write_cib
from corral.store.base import Store


def parse_cib(xml: str | bytes) -> Config:
    """The configuration of a CIB (``ParseError`` if it is not one, ``ValidationFailed``
    listing every problem if its configuration is wrong)."""
    config, _status = read_cib(xml)
    return config


async def import_cib(
    store: Store, xml: str | bytes, *, cluster: str = DEFAULT_CLUSTER
) -> Changed[Config]:
    """Replace the stored configuration with the CIB's. Value: the configuration written."""
    imported = parse_cib(xml)

    def replace(c: Config, p: Problems) -> Config:
        del p
        for name in Config.__dataclass_fields__:
            setattr(c, name, getattr(imported, name))
        return imported

    return await apply_change(store, cluster, replace, change="cib import")


async def export_cib(store: Store, *, cluster: str = DEFAULT_CLUSTER) -> str:
    """The stored configuration as CIB XML."""
    config, _revision = await load_config(store, cluster)
    return write_cib(config, Status())


__all__ = ["export_cib", "import_cib", "parse_cib"]

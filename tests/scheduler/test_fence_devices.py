"""Fencing with devices made by ``corral stonith create`` (``Config.fence_devices``),
not only with the CIB's ``stonith`` primitives: on-fail=fence and unclean nodes
must be fenced the same way whichever way the device was configured."""

from __future__ import annotations

import pytest
from cib_builder import NOW, cib, crm_simulate_summary, line

from corral.model.config import FenceDevice
from corral.pacemaker.cib_reader import read_cib
from corral.scheduler import schedule

STONITH = '<primitive id="fence" class="stonith" type="fence_dummy"/>'
FENCING = {"stonith-enabled": "true"}


def _fence_on_fail(rid: str) -> str:
    return (
        f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"><operations>'
        f'<op id="{rid}-mon" name="monitor" interval="10000ms" on-fail="fence"/>'
        f"</operations></primitive>"
    )


CASES = [
    ("on-fail-fence", dict(resources=_fence_on_fail("r1"), running={"r1": "n1"},
                           failed={"r1": "n1"})),
    ("unclean-node", dict(resources=_fence_on_fail("r1"), running={"r1": "n1"},
                          unclean=("n1",))),
]  # fmt: skip


def _with_cli_device(kw: dict) -> list[str]:
    """corral's answer when the only device is a configured FenceDevice."""
    config, status = read_cib(cib(kw["resources"], props=FENCING, **_rest(kw)))
    config.fence_devices.append(FenceDevice(id="fence", agent="fence_dummy"))
    return [line(c) for c in schedule(config, status, NOW).summary]


def _rest(kw: dict) -> dict:
    return {k: v for k, v in kw.items() if k != "resources"}


def _pacemaker(kw: dict) -> list[str]:
    """crm_simulate's answer with the same device as a stonith primitive, minus
    the device's own start (a configured FenceDevice is not a resource)."""
    xml = cib(STONITH + kw["resources"], props=FENCING, **_rest(kw))
    return [x for x in crm_simulate_summary(xml) if not x.startswith("Start fence ")]


@pytest.mark.parametrize(("name", "kw"), CASES, ids=[c[0] for c in CASES])
def test_configured_device_fences(name: str, kw: dict) -> None:
    got = _with_cli_device(kw)
    assert any(x.startswith("Fence (reboot) n1") for x in got)
    assert got == _pacemaker(kw)


@pytest.mark.parametrize(("name", "kw"), CASES, ids=[c[0] for c in CASES])
def test_without_any_device_nothing_is_fenced(name: str, kw: dict) -> None:
    config, status = read_cib(cib(kw["resources"], props=FENCING, **_rest(kw)))
    assert not any(c.verb == "Fence" for c in schedule(config, status, NOW).summary)

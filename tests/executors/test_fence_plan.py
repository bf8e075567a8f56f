"""The pure part of fencing (corral.model.fencing_plan): devices from attributes,
which device can fence which node, the plan for a node, topology checks,
metadata parsing and secrets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corral.model.config import Config, FenceDevice, FencingLevel, Op, Primitive
from corral.model.errors import Problems, ValidationFailed
from corral.model.fence_agent import check_params, parse_metadata, redact, scrub
from corral.model.fencing_plan import (
    all_devices,
    check_topology,
    device_from_attrs,
    device_to_attrs,
    fencing_plan,
    format_host_map,
    host_argument,
    host_check_mode,
    levels_for,
    parse_host_map,
    ports_for,
    statically_fences,
)

META = """<?xml version="1.0" ?>
<resource-agent name="fence_x" shortdesc="X">
<longdesc>x</longdesc>
<parameters>
  <parameter name="action" required="1"><content type="string" default="reboot"/></parameter>
  <parameter name="ip" required="1" obsoletes="ipaddr"><content type="string"/></parameter>
  <parameter name="ipaddr" required="1" deprecated="1"><content type="string"/></parameter>
  <parameter name="plug" required="1" obsoletes="port"><content type="string"/></parameter>
  <parameter name="port" required="1" deprecated="1"><content type="string"/></parameter>
  <parameter name="api_secret_value"><content type="string"/></parameter>
  <parameter name="kg" secret="1"><content type="string"/></parameter>
  <parameter name="mode"><content type="select"><option value="a"/><option value="b"/></content>
  </parameter>
</parameters>
<actions><action name="off"/><action name="status"/><action name="list"/></actions>
</resource-agent>"""


def test_parse_metadata_and_required_aliases() -> None:
    m = parse_metadata(META)
    assert m.name == "fence_x" and m.actions == {"off", "status", "list"}
    assert m.required() == ["ip"]  # action and plug are supplied by the fencer
    assert m.aliases("ipaddr") == {"ip", "ipaddr"}
    assert m.params["mode"].options == ("a", "b")
    assert m.secret_params == {"kg"}
    assert redact({"kg": "zz", "ip": "1"}, m) == {"kg": "****", "ip": "1"}


def test_parse_metadata_rejects_non_metadata() -> None:
    with pytest.raises(Exception) as e:
        parse_metadata("not xml")
    assert getattr(e.value, "code", "") == "fence-metadata"
    with pytest.raises(Exception) as e:
        parse_metadata("<html/>")
    assert getattr(e.value, "code", "") == "fence-metadata"


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"ip": "1"}, []),
        ({"ipaddr": "1"}, []),
        ({}, ["fence-param-missing"]),
        ({"ip": "1", "nope": "2"}, ["fence-param-unknown"]),
        ({"ip": "1", "mode": "c"}, ["fence-param-value"]),
        ({"ip": "1", "port": "3"}, ["fence-param-reserved"]),
        ({"ip": "1\naction=on"}, ["fence-param-invalid"]),
    ],
)
def test_check_params(params: dict[str, str], codes: list[str]) -> None:
    problems = Problems()
    check_params("d", params, parse_metadata(META), problems)
    assert [p.code for p in problems.items] == codes


def test_device_from_attrs_splits_pcmk_settings() -> None:
    d = device_from_attrs(
        "ipmi-n1",
        "fence_ipmilan",
        {
            "ip": "127.0.0.1",
            "password": "pw",
            "pcmk_host_list": "n1 n2,n3",
            "pcmk_host_map": "n1:1;n2:2,3",
            "pcmk_delay_max": "5s",
            "pcmk_off_timeout": "30s",
            "pcmk_reboot_action": "off",
        },
        monitor_interval_ms=30_000,
    )
    assert d.params == {"ip": "127.0.0.1", "password": "pw"}
    assert d.host_list == ["n1", "n2", "n3"]
    assert d.host_map == {"n1": "1", "n2": "2,3"}
    assert d.delay_max_ms == 5000 and d.monitor_interval_ms == 30_000
    assert d.meta == {"pcmk_off_timeout": "30s", "pcmk_reboot_action": "off"}
    assert ports_for(d, "n2") == ["2", "3"] and ports_for(d, "n4") == ["n4"]
    back = device_to_attrs(d)
    assert device_from_attrs("ipmi-n1", "fence_ipmilan", back, monitor_interval_ms=30_000) == d


@pytest.mark.parametrize(
    ("attrs", "codes"),
    [
        ({"pcmk_host_check": "sometimes"}, ["fence-host-check"]),
        ({"pcmk_host_check": "static-list"}, ["fence-host-list-missing"]),
        ({"pcmk_host_map": "n1"}, ["fence-host-map"]),
        ({"pcmk_delay_max": "soon"}, ["bad-duration"]),
    ],
)
def test_device_from_attrs_errors(attrs: dict[str, str], codes: list[str]) -> None:
    with pytest.raises(ValidationFailed) as e:
        device_from_attrs("d", "fence_dummy", attrs)
    assert e.value.codes == codes


def test_bad_agent_name() -> None:
    with pytest.raises(ValidationFailed) as e:
        device_from_attrs("d", "/bin/sh", {})
    assert e.value.codes == ["fence-agent-unknown"]


@pytest.mark.parametrize(
    ("dev", "actions", "mode", "n1"),
    [
        (FenceDevice("d", "fence_x", host_list=["n1"]), {"list"}, "static-list", True),
        (FenceDevice("d", "fence_x", host_map={"n2": "2"}), set(), "static-list", False),
        (FenceDevice("d", "fence_x"), {"list", "status"}, "dynamic-list", None),
        (FenceDevice("d", "fence_x"), {"status"}, "status", None),
        (FenceDevice("d", "fence_x"), {"off"}, "none", True),
        (FenceDevice("d", "fence_x", host_check="none", host_list=["n2"]), set(), "none", True),
    ],
)
def test_host_check(dev: FenceDevice, actions: set[str], mode: str, n1: bool | None) -> None:
    assert host_check_mode(dev, actions) == mode
    assert statically_fences(dev, "n1", actions) is n1


def test_host_argument() -> None:
    m = parse_metadata(META)
    assert host_argument(FenceDevice("d", "fence_x"), m) == "plug"
    assert host_argument(FenceDevice("d", "fence_x", host_argument="none"), m) is None
    assert host_argument(FenceDevice("d", "fence_x", host_argument="uuid"), m) == "uuid"


def test_levels_for_target_pattern_and_attribute() -> None:
    levels = [
        FencingLevel("a", 2, ["d2"], target="n1"),
        FencingLevel("b", 1, ["d1"], target_pattern=r"n\d+"),
        FencingLevel("c", 3, ["d3"], target_attribute="rack", target_value="r1"),
        FencingLevel("d", 1, ["d4"], target="n2"),
    ]
    assert [lv.id for lv in levels_for("n1", levels, {"rack": "r1"})] == ["b", "a", "c"]
    assert [lv.id for lv in levels_for("n1", levels)] == ["b", "a"]
    assert [lv.id for lv in levels_for("web", levels)] == []


def test_plan_without_topology_orders_by_priority() -> None:
    a = FenceDevice("a", "fence_x", host_list=["n1"])
    b = FenceDevice("b", "fence_x", host_list=["n1"], meta={"priority": "10"})
    c = FenceDevice("c", "fence_x", host_list=["n2"])
    plan = fencing_plan("n1", Config(fence_devices=[a, b, c]))
    assert [(lv.index, lv.devices, lv.from_topology) for lv in plan] == [
        (1, ("b",), False),
        (2, ("a",), False),
    ]


def test_stonith_primitives_are_devices() -> None:
    prim = Primitive(
        id="st-ipmi",
        cls="stonith",
        type="fence_ipmilan",
        instance={"ip": "10.0.0.5", "pcmk_host_list": "n1"},
        ops=[Op(id="st-ipmi-mon", name="monitor", interval_ms=60_000)],
    )
    config = Config(resources=[prim])
    devs = all_devices(config)
    assert devs[0].id == "st-ipmi" and devs[0].host_list == ["n1"]
    assert [lv.devices for lv in fencing_plan("n1", config)] == [("st-ipmi",)]
    config.fencing_levels = [FencingLevel("l", 1, ["st-ipmi"], target="n1")]
    assert check_topology(config).items == []


def test_check_topology_codes() -> None:
    config = Config(
        fence_devices=[FenceDevice("d1", "fence_x"), FenceDevice("d1", "fence_x")],
        fencing_levels=[
            FencingLevel("l1", 1, ["d1", "nope"], target="n1"),
            FencingLevel("l2", 1, ["d1"], target="n1"),
            FencingLevel("l3", 0, [], target="n2"),
            FencingLevel("l4", 1, ["d1"]),
        ],
    )
    codes = [p.code for p in check_topology(config).items]
    assert codes == [
        "duplicate-id",
        "fence-level-unknown-device",
        "fence-level-duplicate",
        "fence-level-index",
        "fence-level-devices",
        "fence-level-target",
    ]


_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=8)


@given(st.dictionaries(_names, st.lists(_names, min_size=1, max_size=3).map(",".join)))
def test_host_map_round_trip(m: dict[str, str]) -> None:
    assert parse_host_map(format_host_map(m)) == m


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=3, max_size=20))
def test_secrets_never_survive_redact_or_scrub(secret: str) -> None:
    params = {"ip": "10.0.0.1", "passwd": secret, "api_token": secret[::-1]}
    assert redact(params) == {"ip": "10.0.0.1", "passwd": "****", "api_token": "****"}
    text = f"ipmitool -P {secret} -> <{secret}> token={secret[::-1]}"
    cleaned = scrub(text, params)
    assert secret not in cleaned and secret[::-1] not in cleaned

"""``corral stonith ...`` words: parsing and checks (pure, no store)."""

from __future__ import annotations

import pytest

from corral.commands.fencing_args import (
    FenceRequest,
    check_create,
    check_level_add,
    parse_create,
    parse_fence,
    parse_level_add,
    parse_one_name,
)
from corral.model.config import Config, FenceDevice, FencingLevel
from corral.model.errors import ValidationFailed
from corral.model.fence_agent import parse_metadata

META = parse_metadata(
    """<resource-agent name="fence_x"><parameters>
    <parameter name="ip" required="1"><content type="string"/></parameter>
    <parameter name="password"><content type="string"/></parameter>
    </parameters><actions><action name="off"/></actions></resource-agent>"""
)


def test_create_full() -> None:
    dev = parse_create(
        [
            "ipmi-n1",
            "stonith:fence_ipmilan",
            "ip=10.0.0.5",
            "password=pw",
            "pcmk_host_list=n1",
            "op",
            "monitor",
            "interval=30s",
            "timeout=20s",
            "meta",
            "priority=5",
        ]
    )
    assert dev.id == "ipmi-n1" and dev.agent == "fence_ipmilan"
    assert dev.params == {"ip": "10.0.0.5", "password": "pw"}
    assert dev.host_list == ["n1"] and dev.monitor_interval_ms == 30_000
    assert dev.meta == {"priority": "5", "pcmk_monitor_timeout": "20000ms"}


def test_create_defaults() -> None:
    dev = parse_create(["d", "fence_dummy"])
    assert dev.monitor_interval_ms == 60_000 and dev.params == {}


@pytest.mark.parametrize(
    ("words", "codes"),
    [
        ("d", ["bad-argument"]),
        ("1d fence_x", ["bad-id"]),
        ("d /bin/sh", ["fence-agent-unknown"]),
        ("d fence_x ip", ["bad-argument"]),
        ("d fence_x op start interval=0", ["bad-argument"]),
        ("d fence_x op monitor interval=soon", ["bad-duration"]),
        ("d fence_x pcmk_host_check=maybe", ["fence-host-check"]),
        ("1d /bin/sh pcmk_host_map=n1", ["bad-id", "fence-agent-unknown", "fence-host-map"]),
    ],
)
def test_create_errors(words: str, codes: list[str]) -> None:
    with pytest.raises(ValidationFailed) as e:
        parse_create(words.split())
    assert e.value.codes == codes


def test_check_create() -> None:
    config = Config(fence_devices=[FenceDevice("d", "fence_x", {"ip": "1"})])
    check_create(FenceDevice("e", "fence_x", {"ip": "1"}), config, META)
    with pytest.raises(ValidationFailed) as e:
        check_create(FenceDevice("d", "fence_x", {"nope": "1"}), config, META)
    assert e.value.codes == ["duplicate-id", "fence-param-unknown", "fence-param-missing"]
    check_create(FenceDevice("e", "fence_x", {"nope": "1"}), config, None)  # no metadata: ok


@pytest.mark.parametrize(
    ("words", "expect"),
    [
        ("1 n1 ipmi-n1", ("fl-n1-1", ["ipmi-n1"], "n1", None, None)),
        ("2 n1 a,b c", ("fl-n1-2", ["a", "b", "c"], "n1", None, None)),
        ("1 regexp%n[0-9]+ a", ("fl-re-n_0_9__-1", ["a"], None, "n[0-9]+", None)),
        ("1 attrib%rack=r1 a", ("fl-rack-r1-1", ["a"], None, None, ("rack", "r1"))),
    ],
)
def test_level_add(words: str, expect: tuple[object, ...]) -> None:
    lv = parse_level_add(words.split())
    attr = (lv.target_attribute, lv.target_value) if lv.target_attribute else None
    assert (lv.id, lv.devices, lv.target, lv.target_pattern, attr) == expect


@pytest.mark.parametrize(
    ("words", "codes"),
    [
        ("1 n1", ["bad-argument"]),
        ("0 n1 a", ["fence-level-index"]),
        ("x n1 a", ["fence-level-index"]),
        ("1 attrib%rack a", ["bad-argument"]),
        ("1 n1 a,1b", ["bad-id"]),
    ],
)
def test_level_add_errors(words: str, codes: list[str]) -> None:
    with pytest.raises(ValidationFailed) as e:
        parse_level_add(words.split())
    assert e.value.codes == codes


def test_check_level_add() -> None:
    config = Config(
        fence_devices=[FenceDevice("a", "fence_x")],
        fencing_levels=[FencingLevel("fl-n1-1", 1, ["a"], target="n1")],
    )
    check_level_add(parse_level_add(["2", "n1", "a"]), config)
    with pytest.raises(ValidationFailed) as e:
        check_level_add(parse_level_add(["2", "n1", "a,missing"]), config)
    assert e.value.codes == ["fence-level-unknown-device"]
    with pytest.raises(ValidationFailed) as e:
        check_level_add(parse_level_add(["1", "n1", "a"]), config)
    assert e.value.codes == ["fence-level-duplicate"]


def test_fence_history_delete_describe() -> None:
    assert parse_fence(["n1"]) == FenceRequest("n1", "reboot")
    assert parse_fence(["--off", "n1"]) == FenceRequest("n1", "off")
    for bad in ([], ["n1", "n2"], ["--reboot"]):
        with pytest.raises(ValidationFailed):
            parse_fence(bad)
    assert parse_one_name([], usage="stonith history [NODE]", optional=True) is None
    assert parse_one_name(["n1"], usage="stonith history [NODE]", optional=True) == "n1"
    assert parse_one_name(["stonith:fence_x"], usage="stonith describe AGENT") == "fence_x"
    with pytest.raises(ValidationFailed):
        parse_one_name([], usage="stonith delete NAME")

"""The CIB reader: the whole Pacemaker corpus parses, and small CIBs read right."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import cib, dummy

from corral.model.config import Clone, Group, Primitive
from corral.model.durations import parse_ms, try_parse_ms
from corral.model.errors import ConfigError, ParseError, ValidationFailed
from corral.pacemaker.cib_reader import read_cib, read_cib_file


def test_every_corpus_cib_parses(corpus: Path) -> None:
    files = sorted((corpus / "xml").glob("*.xml"))
    assert len(files) >= 600
    failures = []
    for f in files:
        try:
            config, status = read_cib_file(f)
        except Exception as e:
            failures.append(f"{f.name}: {type(e).__name__}: {e}")
            continue
        assert config.nodes or status.nodes or f.name
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("10", 10_000),
        ("10s", 10_000),
        ("500ms", 500),
        ("1m", 60_000),
        ("2min", 120_000),
        ("2h", 7_200_000),
        ("PT10S", 10_000),
        ("P40S", 40_000),
        ("PT1M30S", 90_000),
        ("P1D", 86_400_000),
        ("0", 0),
        ("1500us", 2),
    ],
)
def test_durations(text: str, ms: int) -> None:
    assert parse_ms(text) == ms


@pytest.mark.parametrize("text", ["bad", "10x", "P", "PT1X", "-5s"])
def test_bad_durations(text: str) -> None:
    assert try_parse_ms(text) is None
    with pytest.raises(ConfigError) as e:
        parse_ms(text, element="op1")
    assert e.value.code == "bad-duration"


def test_primitive_ops_roles_and_attributes() -> None:
    ops = (
        '<operations><op id="m1" name="monitor" interval="PT10S" timeout="20s" role="Master"/>'
        '<op id="m2" name="monitor" interval="11s" role="Slave" on-fail="restart"/>'
        '<op id="st" name="start" interval="0" timeout="bad" enabled="false"/></operations>'
        '<instance_attributes id="ia"><nvpair id="ia1" name="state" value="/tmp/x"/>'
        "</instance_attributes>"
        '<meta_attributes id="ma"><nvpair id="ma1" name="resource-stickiness" value="100"/>'
        "</meta_attributes>"
    )
    config, _ = read_cib(cib(resources=f"<master id='ms'>{dummy('r', ops)}</master>"))
    ms = config.resources[0]
    assert isinstance(ms, Clone) and ms.promotable and ms.legacy_master
    r = ms.child
    assert isinstance(r, Primitive)
    assert r.agent == "ocf:pacemaker:Dummy"
    assert r.instance == {"state": "/tmp/x"}
    assert r.meta == {"resource-stickiness": "100"}
    m1, m2, st = r.ops
    assert (m1.interval_ms, m1.timeout_ms, m1.role) == (10_000, 20_000, "Promoted")
    assert (m2.role, m2.on_fail) == ("Unpromoted", "restart")
    assert st.timeout_ms is None and not st.enabled  # a bad timeout means "the default"


def test_templates_tags_and_id_refs() -> None:
    resources = (
        '<template id="t" class="ocf" provider="pacemaker" type="Dummy">'
        '<operations id="t-ops"><op id="t-mon" name="monitor" interval="10s"/></operations>'
        '<meta_attributes id="t-meta"><nvpair id="t-m1" name="target-role" value="Started"/>'
        '<nvpair id="t-m2" name="is-managed" value="true"/></meta_attributes></template>'
        '<primitive id="a" template="t"><meta_attributes id="a-meta">'
        '<nvpair id="a-m1" name="target-role" value="Stopped"/></meta_attributes></primitive>'
        '<primitive id="b" template="t"/>'
        + dummy("c", '<operations id-ref="t-ops"/><meta_attributes id-ref="t-meta"/>')
    )
    constraints = (
        '<rsc_colocation id="col" rsc="c" with-rsc="t" score="INFINITY"/>'
        '<rsc_order id="ord" first="tg" then="c" kind="Optional"/>'
        '<rsc_location id="loc" rsc="tg" node="n1" score="50"/>'
    )
    tags = '<tags><tag id="tg"><obj_ref id="a"/><obj_ref id="b"/></tag></tags>'
    config, _ = read_cib(cib(resources, constraints, extra_config=tags))
    a, b, c = config.resources
    assert isinstance(a, Primitive) and a.agent == "ocf:pacemaker:Dummy"
    assert a.meta == {"target-role": "Stopped", "is-managed": "true"}
    assert [o.interval_ms for o in b.ops] == [10_000]  # type: ignore[union-attr]
    assert isinstance(c, Primitive) and [o.id for o in c.ops] == ["t-mon"]
    assert c.meta["is-managed"] == "true"
    (col,) = config.colocations
    assert col.rsc is None and [s.resources for s in col.sets] == [["c"], ["a", "b"]]
    assert not col.sets[1].sequential
    (ord_,) = config.orders
    assert ord_.kind == "Optional" and [s.resources for s in ord_.sets] == [["a", "b"], ["c"]]
    assert sorted((loc.id, loc.rsc, loc.score) for loc in config.locations) == [
        ("loc-a", "a", 50),
        ("loc-b", "b", 50),
    ]
    assert config.tags == {"tg": ["a", "b"]}


def test_attribute_sets_by_score_and_rules() -> None:
    props = ""
    extra = (
        '<rsc_defaults><meta_attributes id="rd-dummy">'
        '<rule id="rd-r" score="INFINITY"><rsc_expression id="rd-e" class="ocf" type="Dummy"/>'
        '</rule><nvpair id="rd1" name="migration-threshold" value="3"/></meta_attributes>'
        '<meta_attributes id="rd"><nvpair id="rd2" name="resource-stickiness" value="5"/>'
        "</meta_attributes></rsc_defaults>"
    )
    crm = (
        '<cluster_property_set id="later" score="10">'
        '<nvpair id="p1" name="stonith-enabled" value="false"/></cluster_property_set>'
        '<cluster_property_set id="dated"><rule id="dr" score="INFINITY">'
        '<date_expression id="de" operation="gt" start="2020-01-01"/></rule>'
        '<nvpair id="p2" name="maintenance-mode" value="true"/></cluster_property_set>'
        '<cluster_property_set id="by-node"><rule id="nr" score="INFINITY">'
        '<expression id="ne" attribute="#uname" operation="eq" value="n1"/></rule>'
        '<nvpair id="p3" name="symmetric-cluster" value="false"/></cluster_property_set>'
    )
    xml = cib(dummy("r"), props=props, extra_config=extra).replace(
        '<cluster_property_set id="cib-bootstrap-options"></cluster_property_set>', crm
    )
    config, _ = read_cib(xml, now=1_700_000_000)
    assert config.properties == {"stonith-enabled": "false", "maintenance-mode": "true"}
    assert config.rsc_defaults == {"resource-stickiness": "5"}
    assert config.resources[0].meta == {"migration-threshold": "3"}
    config2, _ = read_cib(xml, now=1_500_000_000)
    assert "maintenance-mode" not in config2.properties


def test_location_rules_and_roles() -> None:
    constraints = (
        '<rsc_location id="l1" rsc="r"><rule id="l1-r" score-attribute="pingd" role="Master"'
        ' boolean-op="or"><expression id="l1-e1" attribute="#uname" operation="eq" value="n1"/>'
        '<rule id="l1-r2" score="-INFINITY"><date_expression id="l1-d" operation="date_spec">'
        '<date_spec id="l1-ds" hours="9-17" weekdays="1-5"/></date_expression></rule>'
        "</rule></rsc_location>"
        '<rsc_location id="l2" rsc-pattern="^r" node="n2" score="-INFINITY"/>'
        '<rsc_colocation id="c1" rsc="r" with-rsc="g" score="-100" rsc-role="Slave"'
        ' with-rsc-role="Master" node-attribute="rack"/>'
        '<rsc_order id="o1" first="g" then="r" score="0" symmetrical="false"'
        ' first-action="promote" then-action="start"/>'
        '<rsc_order id="o2" first="g" then="r" score="10"/>'
    )
    g = f'<group id="g">{dummy("g1")}{dummy("g2")}</group>'
    config, _ = read_cib(cib(dummy("r") + g, constraints))
    assert isinstance(config.resources[1], Group)
    l1, l2 = config.locations
    (rule,) = l1.rules
    assert (rule.score_attribute, rule.role, rule.boolean_op) == ("pingd", "Promoted", "or")
    assert rule.expressions[0].attribute == "#uname"  # type: ignore[union-attr]
    nested = rule.expressions[1]
    assert nested.score == -1_000_000  # type: ignore[union-attr]
    assert nested.expressions[0].date_spec == {"hours": "9-17", "weekdays": "1-5"}  # type: ignore[union-attr]
    assert (l2.rsc, l2.rsc_pattern, l2.score) == (None, "^r", -1_000_000)
    (c1,) = config.colocations
    assert (c1.score, c1.rsc_role, c1.with_rsc_role, c1.node_attribute) == (
        -100,
        "Unpromoted",
        "Promoted",
        "rack",
    )
    o1, o2 = config.orders
    assert (o1.kind, o1.symmetrical, o1.first_action, o1.then_action) == (
        "Optional",
        False,
        "promote",
        "start",
    )
    assert (o2.kind, o2.symmetrical) == ("Mandatory", None)


def test_status_membership_history_and_dc() -> None:
    status = (
        '<node_state id="1" uname="n1" in_ccm="1700000000" crmd="1700000001" join="member"'
        ' expected="member"><transient_attributes id="1"><instance_attributes id="ta1">'
        '<nvpair id="ta1-f" name="fail-count-r#monitor_10000" value="2"/>'
        '<nvpair id="ta1-m" name="master-r" value="5"/></instance_attributes>'
        '</transient_attributes><lrm id="1"><lrm_resources><lrm_resource id="r" class="ocf"'
        ' provider="pacemaker" type="Dummy"><lrm_rsc_op id="r_last_0" operation_key="r_start_0"'
        ' operation="start" transition-key="1:2:0:abc" transition-magic="0:0;1:2:0:abc"'
        ' call-id="4" rc-code="0" op-status="0" interval="0" last-rc-change="1700000100"'
        ' exec-time="12" op-digest="d1" on_node="n1"/>'
        '<lrm_rsc_op id="r_mig" operation="migrate_to" call-id="5" rc-code="1" op-status="4"'
        ' interval="0" migrate_source="n1" migrate_target="n2" exit-reason="boom"/>'
        "</lrm_resource></lrm_resources></lrm></node_state>"
        '<node_state id="2" uname="n2" in_ccm="false" crmd="offline" join="down"'
        ' expected="down" shutdown="0"/>'
    )
    _, st = read_cib(cib(dummy("r"), status=status))
    n1, n2 = st.nodes["n1"], st.nodes["n2"]
    assert n1.online and not n2.online and not n2.in_ccm
    assert n1.attributes == {"fail-count-r#monitor_10000": "2", "master-r": "5"}
    start, mig = n1.history["r"].ops
    assert (start.operation, start.rc, start.call_id, start.last_rc_change) == (
        "start",
        0,
        4,
        1_700_000_100,
    )
    assert (start.exec_time_ms, start.digest, start.on_node) == (12, "d1", "n1")
    assert mig.meta["migrate_target"] == "n2" and mig.exit_reason == "boom"
    assert (st.dc, st.have_quorum) == ("n1", True)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("this is not xml", "not XML"),
        ("<cib><oops></cib>", "not XML"),
        ("", "not XML"),
        ("<html><body/></html>", "not a CIB"),
        ("<cib/>", "not a CIB"),
    ],
)
def test_not_a_cib_is_a_parse_error(data: str, reason: str) -> None:
    with pytest.raises(ParseError) as e:
        read_cib(data)
    assert e.value.code == "parse-error"
    assert reason in e.value.message and "\n" not in e.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError):
        read_cib_file(tmp_path / "nope.xml")


def test_bad_config_reports_every_problem() -> None:
    xml = cib(
        dummy("r") + dummy("r") + '<primitive id="s" class="ocf" type="Dummy"/>'
        '<primitive id="x" class="ocf" provider="p" type="T"><operations>'
        '<op id="x-m" name="monitor" interval="often"/></operations></primitive>',
        '<rsc_colocation id="c" rsc="r" with-rsc="ghost" score="lots"/>'
        '<rsc_order id="o" first="ghost2" then="r"/>'
        '<rsc_location id="l" rsc="r" node="n1" score="10" role="Boss"/>',
    )
    with pytest.raises(ValidationFailed) as e:
        read_cib(xml)
    codes = set(e.value.codes)
    assert {
        "duplicate-id",
        "dangling-reference",
        "bad-score",
        "bad-duration",
        "bad-role",
        "missing-field",
    } <= codes
    elements = {p.element for p in e.value.problems}
    assert {"r", "c", "o", "l", "x-m", "s"} <= elements

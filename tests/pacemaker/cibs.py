"""Small CIBs for the reader/writer tests, built from parts."""

from __future__ import annotations

HEAD = (
    '<cib crm_feature_set="3.0.14" validate-with="pacemaker-3.5" epoch="1" num_updates="0"'
    ' admin_epoch="0" have-quorum="1" dc-uuid="1"{extra}>'
)


def cib(
    resources: str = "",
    constraints: str = "",
    status: str = "",
    *,
    nodes: str | None = None,
    props: str = '<nvpair id="o-stonith" name="stonith-enabled" value="false"/>',
    extra_config: str = "",
    extra_attrs: str = "",
) -> str:
    if nodes is None:
        nodes = '<node id="1" uname="n1"/><node id="2" uname="n2"/>'
    return (
        HEAD.format(extra=extra_attrs)
        + '<configuration><crm_config><cluster_property_set id="cib-bootstrap-options">'
        + props
        + "</cluster_property_set></crm_config>"
        + f"<nodes>{nodes}</nodes><resources>{resources}</resources>"
        + f"<constraints>{constraints}</constraints>{extra_config}</configuration>"
        + f"<status>{status}</status></cib>"
    )


def dummy(rid: str, extra: str = "") -> str:
    return (
        f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">{extra}</primitive>'
    )

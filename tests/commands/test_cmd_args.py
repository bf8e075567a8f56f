"""The pcs-like words, parsed: every problem reported, with its code."""

from __future__ import annotations

import pytest

from corral.commands.args import (
    AgentName,
    parse_agent,
    parse_node_score,
    parse_pairs,
    parse_resource_words,
)
from corral.model.errors import Problems
from corral.model.score import INFINITY


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("ocf:heartbeat:Dummy", AgentName("ocf", "heartbeat", "Dummy")),
        ("process", AgentName("process", None, "process")),
        ("stonith:fence_dummy", AgentName("stonith", None, "fence_dummy")),
        ("systemd:nginx", AgentName("systemd", None, "nginx")),
    ],
)
def test_agent_names(text: str, want: AgentName) -> None:
    p = Problems()
    assert parse_agent(p, text) == want
    assert not p.items
    assert str(want) == text or text == "process"


@pytest.mark.parametrize(
    "text", ["Dummy", "ocf:Dummy", "ocf::Dummy", "nope:x:y", "systemd:a:b", "ocf:a:b:c", ""]
)
def test_bad_agent_names(text: str) -> None:
    p = Problems()
    assert parse_agent(p, text) is None
    assert [e.code for e in p.items] == ["bad-agent"]


def test_pairs() -> None:
    p = Problems()
    assert parse_pairs(p, ["a=1", "b=x=y", "c=", "a=2"]) == {"a": "2", "b": "x=y", "c": ""}
    assert not p.items
    parse_pairs(p, ["novalue", "=x", "a b=1"])
    assert [e.code for e in p.items] == ["bad-argument"] * 3


def test_resource_words_sections() -> None:
    p = Problems()
    words = [
        "ip=10.0.0.1",
        "op",
        "monitor",
        "interval=5s",
        "timeout=5s",
        "op",
        "start",
        "timeout=30s",
        "meta",
        "resource-stickiness=100",
        "clone",
        "web-c",
        "clone-max=2",
    ]
    a = parse_resource_words(p, words)
    assert not p.items
    assert a.instance == {"ip": "10.0.0.1"}
    assert [(o.name, o.attrs) for o in a.ops] == [
        ("monitor", {"interval": "5s", "timeout": "5s"}),
        ("start", {"timeout": "30s"}),
    ]
    assert a.meta == {"resource-stickiness": "100"}
    assert (a.clone, a.promotable, a.clone_id, a.clone_meta) == (
        True,
        False,
        "web-c",
        {"clone-max": "2"},
    )


def test_resource_words_promotable() -> None:
    p = Problems()
    a = parse_resource_words(p, ["promotable", "promoted-max=1"])
    assert (a.clone, a.promotable, a.clone_id, a.clone_meta) == (
        True,
        True,
        None,
        {"promoted-max": "1"},
    )


@pytest.mark.parametrize(
    "words",
    [["stray"], ["op"], ["op", "interval=5s"], ["a=1", "meta", "oops"]],
)
def test_resource_words_problems(words: list[str]) -> None:
    p = Problems()
    parse_resource_words(p, words)
    assert p.items and {e.code for e in p.items} == {"bad-argument"}


def test_node_scores() -> None:
    p = Problems()
    assert parse_node_score(p, "n1", default=INFINITY) == ("n1", INFINITY)
    assert parse_node_score(p, "n1=50", default=INFINITY) == ("n1", 50)
    assert parse_node_score(p, "n1=-inf", default=0) == ("n1", -INFINITY)
    assert not p.items
    assert parse_node_score(p, "n1=high", default=0) is None
    assert parse_node_score(p, "=5", default=0) is None
    assert [e.code for e in p.items] == ["bad-score", "bad-argument"]

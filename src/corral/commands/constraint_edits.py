"""Pure edits of constraints: location (prefers/avoids, and the ``cli-prefer`` /
``cli-ban`` ones ``resource move``/``ban``/``clear`` make), colocation, order,
delete. Each parses the words a person typed after the sub-command, adds every
problem to a ``Problems`` and changes the ``Config`` in place.

Generated ids follow pcs: ``location-RSC-NODE-SCORE``, ``colocation-A-B-SCORE``,
``order-A-B-KIND``, made unique with ``-1``, ``-2``, ...; ``resource move`` makes
``cli-prefer-RSC`` and ``ban`` makes ``cli-ban-RSC-on-NODE``, as crm_resource does.
"""

from __future__ import annotations

from dataclasses import dataclass

from corral.commands import tree
from corral.commands.args import (
    ACTION_NAMES,
    ORDER_KINDS,
    ROLE_NAMES,
    check_id,
    parse_node_score,
    parse_pairs,
    parse_role,
    parse_score,
    split_pair,
)
from corral.commands.change import all_ids
from corral.commands.resource_edits import FALSE, TRUE
from corral.model import score as scores
from corral.model.config import Clone, Colocation, Config, Location, Order
from corral.model.errors import Problems

CLI_PREFER = "cli-prefer-"
CLI_BAN = "cli-ban-"


def _bool(p: Problems, text: str, element: str, field: str) -> bool | None:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    p.add(f"{text!r} is not true or false", element=element, field=field, code="bad-value")
    return None


def _ref(p: Problems, config: Config, ident: str, element: str, field: str) -> None:
    if tree.find(config, ident) is None:
        p.add(
            f"names resource {ident!r}, which does not exist",
            element=element,
            field=field,
            code="dangling-reference",
        )


def _unknown_options(p: Problems, opts: dict[str, str], known: set[str], element: str) -> None:
    for k in opts:
        if k not in known:
            p.add(
                f"unknown option {k!r} (known: {', '.join(sorted(known))})",
                element=element,
                field=k,
                code="bad-argument",
            )


# --------------------------------------------------------------------------- location


def location(config: Config, p: Problems, words: list[str]) -> list[str]:
    """``RSC prefers|avoids NODE[=SCORE] ...``: one constraint per node. ``prefers``
    scores default to INFINITY; ``avoids N=S`` means -S (default -INFINITY)."""
    if len(words) < 3 or words[1] not in ("prefers", "avoids"):
        p.add(
            "usage: constraint location RSC prefers|avoids NODE[=SCORE] ...",
            code="bad-argument",
        )
        return []
    rsc, verb = words[0], words[1]
    _ref(p, config, rsc, f"location {rsc}", "rsc")
    taken = all_ids(config)
    made: list[str] = []
    for w in words[2:]:
        ns = parse_node_score(p, w, default=scores.INFINITY, element=f"location {rsc}")
        if ns is None:
            continue
        node, s = ns
        if verb == "avoids":
            s = -s
        ident = tree.unique_id(taken, tree.sanitize_id(f"location-{rsc}-{node}-{scores.to_str(s)}"))
        taken[ident] = "location"
        config.locations.append(Location(id=ident, rsc=rsc, node=node, score=s))
        made.append(ident)
    return made


def check_node(p: Problems, config: Config, node: str, *, known: bool, element: str) -> None:
    """``move`` and ``ban`` name a node of the cluster (``unknown-node`` otherwise), as pcs
    wants unless forced: ``known`` says the node is a member or known to the status, else
    it must be configured. (``constraint location`` may name a node that has not joined
    yet, as Pacemaker allows.)"""
    if known or any(node in (n.uname, n.id) for n in config.nodes):
        return
    p.add(
        f"there is no node {node!r} in the cluster (use --force for a node that has not "
        "joined yet)",
        element=element,
        field="node",
        code="unknown-node",
    )


def move(
    config: Config,
    p: Problems,
    rsc: str,
    node: str,
    *,
    promoted: bool = False,
    node_known: bool = True,
) -> str:
    """Prefer ``node`` for ``rsc`` with INFINITY (``cli-prefer-RSC``, replacing any).
    ``node_known=False``: the node must be configured (see ``check_node``)."""
    check_node(p, config, node, known=node_known, element=rsc)
    found = tree.require(p, config, rsc)
    ident = CLI_PREFER + rsc
    if found is None:
        return ident
    in_clone = isinstance(found.top, Clone)
    if in_clone and not promoted:
        p.add(
            "a clone runs wherever it may: use 'resource ban', or move --promoted "
            "for a promotable clone",
            element=rsc,
            code="cannot-move-clone",
        )
    if promoted and not (isinstance(found.top, Clone) and found.top.promotable):
        p.add("--promoted is for promotable clones", element=rsc, code="bad-argument")
    _put_cli_location(config, ident, rsc, node, scores.INFINITY, promoted)
    return ident


def ban(
    config: Config,
    p: Problems,
    rsc: str,
    node: str,
    *,
    promoted: bool = False,
    node_known: bool = True,
) -> str:
    """Keep ``rsc`` off ``node`` with -INFINITY (``cli-ban-RSC-on-NODE``).
    ``node_known=False``: the node must be configured (see ``check_node``)."""
    check_node(p, config, node, known=node_known, element=rsc)
    ident = tree.sanitize_id(f"{CLI_BAN}{rsc}-on-{node}")
    if tree.require(p, config, rsc) is None:
        return ident
    _put_cli_location(config, ident, rsc, node, scores.MINUS_INFINITY, promoted)
    return ident


def _put_cli_location(
    config: Config, ident: str, rsc: str, node: str, score: int, promoted: bool
) -> None:
    """The location move/ban leave behind, replacing an earlier one of the same id."""
    config.locations = [c for c in config.locations if c.id != ident]
    role = "Promoted" if promoted else "Started"
    config.locations.append(Location(id=ident, rsc=rsc, node=node, score=score, role=role))


def clear(config: Config, p: Problems, rsc: str, node: str | None = None) -> list[str]:
    """Remove what move and ban left for ``rsc`` (only those on ``node`` if given)."""
    del p  # clearing what is not there is not an error (crm_resource --clear)
    gone: list[str] = []
    keep: list[Location] = []
    ban_prefix = f"{CLI_BAN}{rsc}-on-"
    for c in config.locations:
        ours = c.rsc == rsc and (c.id == CLI_PREFER + rsc or c.id.startswith(ban_prefix))
        if ours and (node is None or c.node == node):
            gone.append(c.id)
        else:
            keep.append(c)
    config.locations = keep
    return gone


# --------------------------------------------------------------------------- colocation


@dataclass(slots=True)
class _Side:
    rsc: str
    role: str | None


def _side(p: Problems, words: list[str], at: int, element: str) -> tuple[_Side | None, int]:
    """``[ROLE] RSC`` starting at ``words[at]``; returns the side and the next index."""
    role = None
    if at < len(words) and words[at].lower() in ROLE_NAMES and at + 1 < len(words):
        nxt = words[at + 1]
        if nxt not in ("with", "then") and "=" not in nxt:
            role = parse_role(p, words[at], element=element)
            at += 1
    if at >= len(words):
        return None, at
    return _Side(words[at], role), at + 1


def colocation(config: Config, p: Problems, words: list[str]) -> str | None:
    """``[ROLE] A with [ROLE] B [SCORE] [id=ID] [node-attribute=N] [influence=B]``: A is
    placed relative to B, with SCORE (default INFINITY)."""
    usage = "usage: constraint colocation add [ROLE] A with [ROLE] B [SCORE] [options]"
    first, at = _side(p, words, 0, "colocation")
    if first is None or at >= len(words) or words[at] != "with":
        p.add(usage, code="bad-argument")
        return None
    second, at = _side(p, words, at + 1, "colocation")
    if second is None:
        p.add(usage, code="bad-argument")
        return None
    element = f"colocation {first.rsc} with {second.rsc}"
    s: int | None = scores.INFINITY
    rest = words[at:]
    if rest and split_pair(rest[0]) is None:
        s = parse_score(p, rest[0], element=element)
        rest = rest[1:]
    opts = parse_pairs(p, rest, element=element)
    _unknown_options(p, opts, {"id", "node-attribute", "influence", "score"}, element)
    if "score" in opts:
        s = parse_score(p, opts["score"], element=element)
    _ref(p, config, first.rsc, element, "rsc")
    _ref(p, config, second.rsc, element, "with-rsc")
    if first.rsc == second.rsc:
        p.add("a resource cannot be colocated with itself", element=element, code="bad-argument")
    influence = True
    if "influence" in opts:
        influence = bool(_bool(p, opts["influence"], element, "influence"))
    if s is None:
        return None
    taken = all_ids(config)
    ident = opts.get("id") or tree.unique_id(
        taken, tree.sanitize_id(f"colocation-{first.rsc}-{second.rsc}-{scores.to_str(s)}")
    )
    if check_id(p, ident, what="constraint id") and ident in taken:
        p.add(f"the id is already used by a {taken[ident]}", element=ident, code="duplicate-id")
    config.colocations.append(
        Colocation(
            id=ident,
            rsc=first.rsc,
            with_rsc=second.rsc,
            score=s,
            rsc_role=first.role,
            with_rsc_role=second.role,
            node_attribute=opts.get("node-attribute", "#uname"),
            influence=influence,
        )
    )
    return ident


# --------------------------------------------------------------------------- order


def _action_side(words: list[str], at: int) -> tuple[str | None, str | None, int]:
    action = None
    if at + 1 < len(words) and words[at] in ACTION_NAMES and words[at + 1] != "then":
        action = words[at]
        at += 1
    if at >= len(words):
        return action, None, at
    return action, words[at], at + 1


def order(config: Config, p: Problems, words: list[str]) -> str | None:
    """``[ACTION] A then [ACTION] B [kind=Mandatory|Optional|Serialize]
    [symmetrical=true|false] [require-all=true|false] [id=ID]``."""
    usage = "usage: constraint order [ACTION] A then [ACTION] B [kind=...] [options]"
    first_action, first, at = _action_side(words, 0)
    if first is None or at >= len(words) or words[at] != "then":
        p.add(usage, code="bad-argument")
        return None
    then_action, then, at = _action_side(words, at + 1)
    if then is None:
        p.add(usage, code="bad-argument")
        return None
    element = f"order {first} then {then}"
    opts = parse_pairs(p, words[at:], element=element)
    _unknown_options(p, opts, {"id", "kind", "symmetrical", "require-all"}, element)
    kind = "Mandatory"
    if "kind" in opts:
        k = ORDER_KINDS.get(opts["kind"].lower())
        if k is None:
            p.add(
                f"{opts['kind']!r} is not an order kind (Mandatory, Optional, Serialize)",
                element=element,
                field="kind",
                code="bad-value",
            )
        else:
            kind = k
    symmetrical = None
    if "symmetrical" in opts:
        symmetrical = _bool(p, opts["symmetrical"], element, "symmetrical")
    require_all = True
    if "require-all" in opts:
        require_all = _bool(p, opts["require-all"], element, "require-all") is not False
    _ref(p, config, first, element, "first")
    _ref(p, config, then, element, "then")
    if first == then:
        p.add("a resource cannot be ordered after itself", element=element, code="bad-argument")
    taken = all_ids(config)
    ident = opts.get("id") or tree.unique_id(
        taken, tree.sanitize_id(f"order-{first}-{then}-{kind.lower()}")
    )
    if check_id(p, ident, what="constraint id") and ident in taken:
        p.add(f"the id is already used by a {taken[ident]}", element=ident, code="duplicate-id")
    config.orders.append(
        Order(
            id=ident,
            first=first,
            then=then,
            first_action=first_action or "start",
            then_action=then_action,
            kind=kind,
            symmetrical=symmetrical,
            require_all=require_all,
        )
    )
    return ident


# --------------------------------------------------------------------------- delete


def delete(config: Config, p: Problems, ids: list[str]) -> list[str]:
    """Remove the constraints with these ids (any kind); an unknown id is ``not-found``."""
    have = {c.id for c in tree.constraints(config)}
    for ident in ids:
        if ident not in have:
            p.add(f"there is no constraint {ident!r}", element=ident, code="not-found")
    gone = set(ids)
    config.locations = [c for c in config.locations if c.id not in gone]
    config.colocations = [c for c in config.colocations if c.id not in gone]
    config.orders = [c for c in config.orders if c.id not in gone]
    config.tickets = [c for c in config.tickets if c.id not in gone]
    return [i for i in ids if i in have]


__all__ = [
    "CLI_BAN",
    "CLI_PREFER",
    "ban",
    "check_node",
    "clear",
    "colocation",
    "delete",
    "location",
    "move",
    "order",
]

"""Small shared helpers for reading CIB XML: the id index with ``id-ref``
resolution, Pacemaker's booleans, roles, and the problems collected on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from corral.model.errors import Problems

Element = etree._Element

_TRUE = frozenset({"true", "on", "yes", "y", "1"})

_ROLES = {
    "master": "Promoted",
    "promoted": "Promoted",
    "slave": "Unpromoted",
    "unpromoted": "Unpromoted",
    "started": "Started",
    "stopped": "Stopped",
    "unknown": "Unknown",
}


def is_true(value: str | None, default: bool = False) -> bool:
    """Pacemaker's ``crm_is_true``: true/on/yes/y/1, case-insensitive."""
    if value is None:
        return default
    return value.strip().lower() in _TRUE


def norm_role(value: str | None) -> str | None:
    """Master->Promoted, Slave->Unpromoted; other roles title-cased; unknown text kept."""
    if value is None or not value.strip():
        return None
    return _ROLES.get(value.strip().lower(), value.strip())


@dataclass
class Doc:
    """A parsed CIB: every element with an id, for ``id-ref`` and template lookups."""

    root: Element
    now: int
    problems: Problems = field(default_factory=Problems)
    ids: dict[str, Element] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Element, now: int) -> Doc:
        doc = cls(root=root, now=now)
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            i = el.get("id")
            if i is not None and el.get("id-ref") is None and i not in doc.ids:
                doc.ids[i] = el
        return doc

    def deref(self, el: Element) -> Element | None:
        """The element itself, or the one its ``id-ref`` names (None if missing)."""
        ref = el.get("id-ref")
        if ref is None:
            return el
        target = self.ids.get(ref)
        if target is None:
            self.problems.add(
                f"id-ref {ref!r} names no element",
                element=el.get("id") or el.tag,
                field="id-ref",
                code="dangling-reference",
            )
        return target

    def children(self, el: Element, *tags: str) -> list[Element]:
        """Direct children with one of ``tags``, id-refs resolved (missing ones dropped)."""
        out: list[Element] = []
        for c in el:
            if isinstance(c.tag, str) and c.tag in tags:
                d = self.deref(c)
                if d is not None:
                    out.append(d)
        return out

"""Union-find over hashable nodes, for joining duplicate pairs into clusters."""

from __future__ import annotations

from typing import Hashable, Iterable, Iterator


class UnionFind:
    """Disjoint sets; a union makes the smaller root the parent, so clusters (and their roots)
    do not depend on the order in which pairs arrive. ``find`` adds unseen nodes."""

    def __init__(self, nodes: Iterable[Hashable] = ()):
        self.parent: dict = {n: n for n in nodes}

    def find(self, x):
        parent = self.parent
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def __iter__(self) -> Iterator:
        return iter(self.parent)

    def __len__(self) -> int:
        return len(self.parent)

    def groups(self) -> dict:
        """root -> members, in the order nodes were first seen."""
        out: dict = {}
        for node in self.parent:
            out.setdefault(self.find(node), []).append(node)
        return out

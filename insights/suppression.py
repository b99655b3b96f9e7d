"""Anonymity threshold: which units' figures to hide so no small group can be read off.

Primary suppression hides every group with fewer responses than the threshold
(default 5). Complementary suppression then hides more, so that no small group can be
*derived* from what is shown, by subtracting shown figures from a shown total.

The model. Every unit's figures are sums over its own responses (its *own block*:
responses on the unit itself, not on a child) and those of its children, and every
published figure (counts, promoters, sums of ratings, ...) is additive in the same
way. For a unit with children the own block is treated as one more child, a cell that
may be shown ("direct responses") or hidden; for a leaf the own block is the unit.
Then for each shown unit G, take its *region*: the responses under G that are not
under a shown cell below G (walking down through hidden cells). The region's size is
exactly what subtraction reveals: G minus the shown cells that, with the region, make
up G. The rule is that every region is empty or holds at least ``threshold``
responses. Because regions of different shown units are disjoint, any group whose
count follows from shown figures is a union of regions, so it is empty or at least
``threshold`` too: no combination of shown figures reveals a small group, however
deep the tree. (Looking only at a parent's *direct* hidden children is not enough: a
hidden child whose own children are shown gives its figures away by addition.)

A unit with n = 0 is empty; it is reported as hidden, so hidden and empty look the
same. When a region is too small, the smallest shown cell that borders it is hidden
("the smallest shown sibling first"), and again, until the region is large enough;
hiding a cell merges its region into the one above, so the repair never breaks a
region elsewhere, and the result is stable: run again on it, nothing more is hidden.

The guarantee assumes that nobody knows from elsewhere which groups are empty (the
usual assumption of statistical disclosure control). Filtered views (one segment of every unit) are a second
table over the same responses; ``suppress_filtered_tree`` keeps the two consistent,
and ``suppress_breakdown`` handles one unit split by a filter.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

#: Default anonymity threshold: fewer responses than this are never shown.
DEFAULT_THRESHOLD = 5


@dataclass(frozen=True)
class UnitCount:
    """Response counts of one unit: ``n`` for its whole subtree, ``own`` on itself."""

    id: Hashable
    parent_id: Hashable | None
    n: int
    own: int


@dataclass(frozen=True)
class Suppression:
    """The outcome: units whose figures are hidden, and units whose own block is hidden.

    ``hidden`` includes empty units (n = 0), so the interface can render hidden and
    empty alike. ``hidden_own`` lists units whose direct responses (not via a child)
    may not be shown as a separate figure; for a leaf it matches ``hidden``. Whether a
    unit is hidden *because* it is small or to protect another is deliberately not
    exposed: telling the two apart would itself leak.
    """

    hidden: frozenset = field(default_factory=frozenset)
    hidden_own: frozenset = field(default_factory=frozenset)

    def is_shown(self, unit_id: Hashable) -> bool:
        """Return whether the unit's figures may be shown."""
        return unit_id not in self.hidden

    def is_own_shown(self, unit_id: Hashable) -> bool:
        """Return whether the unit's own-response block may be shown separately."""
        return unit_id not in self.hidden_own


class _Tree:
    """Units plus one virtual leaf per own block of a unit with children, as cells."""

    def __init__(self, units: Iterable[UnitCount]):
        units = list(units)
        self.unit_ids = [u.id for u in units]
        index = {}
        for i, unit in enumerate(units):
            if unit.id in index:
                raise ValueError(f"unit {unit.id!r} appears twice")
            if unit.n < 0 or unit.own < 0:
                raise ValueError(f"unit {unit.id!r} has a negative count")
            index[unit.id] = i
        self.index = index
        count = len(units)
        children: list[list[int]] = [[] for _ in range(count)]
        parent: list[int | None] = [None] * count
        for i, unit in enumerate(units):
            if unit.parent_id is None:
                continue
            if unit.parent_id not in index:
                raise ValueError(f"unit {unit.id!r} has an unknown parent {unit.parent_id!r}")
            parent[i] = index[unit.parent_id]
            children[index[unit.parent_id]].append(i)
        self.n = [int(u.n) for u in units]
        # own_cell[i]: the cell that holds unit i's own block — a virtual leaf for a
        # unit with children, the unit itself for a leaf.
        self.own_cell = list(range(count))
        for i, unit in enumerate(units):
            if children[i]:
                cell = len(self.n)
                self.n.append(int(unit.own))
                children.append([])
                parent.append(i)
                children[i].append(cell)
                self.own_cell[i] = cell
            elif unit.own != unit.n:
                raise ValueError(f"leaf unit {unit.id!r} has n = {unit.n} but own = {unit.own}")
        self.children = children
        self.parent = parent
        self.units = count
        self.depth = self._depths()
        for i in range(count):
            if children[i] and self.n[i] != sum(self.n[c] for c in children[i]):
                raise ValueError(
                    f"unit {self.unit_ids[i]!r}: n must equal own plus the children's n")

    def _depths(self) -> list[int]:
        depth = [-1] * len(self.n)
        roots = [i for i in range(self.units) if self.parent[i] is None]
        stack = [(r, 0) for r in roots]
        while stack:
            node, d = stack.pop()
            depth[node] = d
            stack.extend((c, d + 1) for c in self.children[node])
        if any(d < 0 for d in depth):
            raise ValueError("the units do not form a tree (a cycle without a root)")
        return depth

    def region(self, node: int, hidden: list[bool]) -> tuple[int, list[int]]:
        """Return the size of ``node``'s region and the shown cells that border it."""
        remainder = self.n[node]
        border = []
        stack = list(self.children[node])
        while stack:
            cell = stack.pop()
            if hidden[cell]:
                stack.extend(self.children[cell])
            else:
                remainder -= self.n[cell]
                border.append(cell)
        return remainder, border

    def hide(self, cell: int, hidden: list[bool]) -> None:
        hidden[cell] = True
        if cell < self.units:
            # A hidden unit does not show its direct responses separately either.
            hidden[self.own_cell[cell]] = True



    def initial_hidden(
        self, threshold: int, hidden: Iterable[Hashable], hidden_own: Iterable[Hashable]
    ) -> list[bool]:
        """Return primary suppression plus the cells hidden by choice."""
        is_hidden = [n < threshold for n in self.n]  # small cells, and empty ones alike
        for unit_id in hidden:
            if unit_id in self.index:
                self.hide(self.index[unit_id], is_hidden)
        for unit_id in hidden_own:
            if unit_id in self.index:
                is_hidden[self.own_cell[self.index[unit_id]]] = True
        for i in range(self.units):
            if is_hidden[i]:
                self.hide(i, is_hidden)
        return is_hidden

    def repair(self, is_hidden: list[bool], threshold: int) -> None:
        """Hide the smallest bordering cells until every shown unit's region is safe."""
        # Deepest units first. Repairing a region hides only cells bordering it, which
        # changes no other region, so one pass leaves every region repaired.
        order = sorted(range(self.units), key=lambda i: (-self.depth[i], i))
        for unit in order:
            while not is_hidden[unit] and self.children[unit]:
                remainder, border = self.region(unit, is_hidden)
                if remainder == 0 or remainder >= threshold:
                    break
                if not border:
                    # Impossible for a shown unit (its region would be all of it, and it
                    # is not small); hiding the unit itself is always safe.
                    self.hide(unit, is_hidden)
                    break
                self.hide(min(border, key=lambda c: (self.n[c], c)), is_hidden)

    def suppression(self, is_hidden: list[bool]) -> Suppression:
        return Suppression(
            hidden=frozenset(self.unit_ids[i] for i in range(self.units) if is_hidden[i]),
            hidden_own=frozenset(
                self.unit_ids[i] for i in range(self.units) if is_hidden[self.own_cell[i]]),
        )

    def hidden_from(self, suppression: Suppression) -> list[bool]:
        is_hidden = [False] * len(self.n)
        for i, unit_id in enumerate(self.unit_ids):
            if unit_id in suppression.hidden:
                self.hide(i, is_hidden)
            if unit_id in suppression.hidden_own:
                is_hidden[self.own_cell[i]] = True
        return is_hidden


def suppress_tree(
    units: Iterable[UnitCount],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    hidden: Iterable[Hashable] = (),
    hidden_own: Iterable[Hashable] = (),
) -> Suppression:
    """Decide which units to hide so that no group under ``threshold`` can be read off.

    ``units`` must form a forest (parents listed among the units), with each unit's
    ``n`` equal to its ``own`` plus its children's ``n``. ``hidden`` and ``hidden_own``
    are units (or own blocks) to hide regardless, e.g. from a previous run or by
    choice; the result hides at least those.
    """
    if threshold < 1:
        raise ValueError("the threshold must be at least 1")
    tree = _Tree(units)
    is_hidden = tree.initial_hidden(threshold, hidden, hidden_own)
    tree.repair(is_hidden, threshold)
    return tree.suppression(is_hidden)


def find_disclosures(
    units: Iterable[UnitCount],
    suppression: Suppression,
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> list[tuple[Hashable, int]]:
    """Return (unit id, size) for every small group the shown figures give away.

    A shown unit or own block with 0 < n < threshold, or a shown unit whose region
    (what subtraction of shown figures leaves) has 0 < size < threshold. An empty list
    means the suppression is safe; useful as an assertion where figures are published.
    """
    tree = _Tree(units)
    is_hidden = tree.hidden_from(suppression)
    leaks = []
    for i, unit_id in enumerate(tree.unit_ids):
        if is_hidden[i]:
            continue
        own = tree.own_cell[i]
        if 0 < tree.n[i] < threshold:
            leaks.append((unit_id, tree.n[i]))
        elif not is_hidden[own] and 0 < tree.n[own] < threshold:
            leaks.append((unit_id, tree.n[own]))
        else:
            remainder, _ = tree.region(i, is_hidden)
            if 0 < remainder < threshold:
                leaks.append((unit_id, remainder))
    return leaks


def suppress_breakdown(
    total: int,
    cells: Mapping[Hashable, int],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    total_shown: bool = True,
) -> frozenset:
    """Return the cells of one unit's breakdown by a filter (e.g. segment) to hide.

    ``cells`` holds the count per filter value; responses without a value need no
    cell: they are part of what the cells leave over. Cells under the threshold are
    hidden (empty ones too), and while the unit's total is shown, what the shown cells
    leave over of it (total minus shown cells) must be 0 or at least ``threshold``, so
    the smallest shown cell is hidden until it is. When the unit's total itself is
    hidden, every cell is hidden: shown cells could add up to the hidden total.
    """
    counts = {key: int(value) for key, value in cells.items()}
    if any(value < 0 for value in counts.values()):
        raise ValueError("counts cannot be negative")
    if sum(counts.values()) > total:
        raise ValueError("the cells add up to more than the total")
    if not total_shown:
        return frozenset(counts)
    hidden = {key for key, value in counts.items() if value < threshold}
    order = {key: position for position, key in enumerate(counts)}
    while True:
        shown = [key for key in counts if key not in hidden]
        remainder = total - sum(counts[key] for key in shown)
        if remainder == 0 or remainder >= threshold or not shown:
            return frozenset(hidden)
        hidden.add(min(shown, key=lambda key: (counts[key], order[key])))


def suppress_filtered_tree(
    filtered: Iterable[UnitCount],
    *,
    totals: Iterable[UnitCount],
    unfiltered: Suppression,
    threshold: int = DEFAULT_THRESHOLD,
) -> Suppression:
    """Decide what to hide in a filtered view of the tree (one segment, channel, ...).

    ``filtered`` are the units' counts within the filter, ``totals`` the same units'
    counts without it, and ``unfiltered`` what ``suppress_tree`` hid in the unfiltered
    view, which stays as it is. Someone holding both views can subtract one from the
    other, so three rules hold together:

    1. a figure is shown filtered only where it is shown unfiltered;
    2. within the filtered view, the tree rule (every region empty or ≥ threshold);
    3. the *rest* (unfiltered minus filtered) of every region of the filtered view —
       including a shown cell without shown cells below it — is 0 or ≥ threshold.

    Under these, everything derivable from both views together is a union of regions
    of the unfiltered view, of the filtered view and of the rest, each 0 or at least
    the threshold (assuming, as everywhere here, that nobody knows from elsewhere
    which cells are empty). Rule 3 is repaired like rule 2, by hiding the smallest
    bordering filtered cell, or the cell itself when nothing borders its region.
    """
    filtered = list(filtered)
    totals_by_id = {unit.id: unit for unit in totals}
    rest_units = []
    for unit in filtered:
        total = totals_by_id.get(unit.id)
        if total is None or total.parent_id != unit.parent_id:
            raise ValueError(f"unit {unit.id!r} differs between the filtered and total counts")
        if unit.n > total.n or unit.own > total.own:
            raise ValueError(f"unit {unit.id!r} has more filtered responses than in total")
        rest_units.append(UnitCount(unit.id, unit.parent_id, total.n - unit.n, total.own - unit.own))
    if threshold < 1:
        raise ValueError("the threshold must be at least 1")
    tree = _Tree(filtered)
    rest = _Tree(rest_units)  # same units in the same order: the same cell numbering

    is_hidden = tree.initial_hidden(threshold, unfiltered.hidden, unfiltered.hidden_own)
    tree.repair(is_hidden, threshold)
    order = sorted(range(len(tree.n)), key=lambda c: (-tree.depth[c], c))
    changed = True
    while changed:
        changed = False
        for cell in order:
            if is_hidden[cell]:
                continue
            remainder, border = rest.region(cell, is_hidden)
            if remainder == 0 or remainder >= threshold:
                continue
            if border:
                tree.hide(min(border, key=lambda c: (tree.n[c], c)), is_hidden)
            else:
                tree.hide(cell, is_hidden)
            # Hiding merges regions, which keeps rule 2; rule 3 is rechecked from the top.
            changed = True
            break
    return tree.suppression(is_hidden)

"""Positions for drawing a conversation network: a seeded force-directed layout, so a view is stable between loads.

Presentation only: the graph itself (who replied to whom, how often) comes from the interactions mart. The build
lays out each chat's whole range, and all chats', into the `network_people` mart (through the SQL function
`network_layout`); the dashboard lays out only a narrower view (a date range, a session, a platform) when it is
asked for, starting from the mart's positions so it needs fewer steps and looks like the whole.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

import duckdb
import numpy as np
import pyarrow as pa

# The drawing stays readable with the few hundred busiest people of those who replied or were replied to.
DRAWN_PEOPLE = 400
# Steps of the layout from random starting points (the build), and from the whole range's positions (a narrower
# view at query time: most people are already near their place, so a few steps settle the rest).
SPRING_ITERATIONS = 60
WARM_ITERATIONS = 20

Position = tuple[float, float]


def spring_positions(pairs: Iterable[tuple[str, str, int]], *, seed: int = 7,
                     start: Mapping[str, Position] | None = None,
                     iterations: int = SPRING_ITERATIONS) -> dict[str, Position]:
    """x, y in [-1, 1] for everyone in a reply pair; people who reply to each other often sit close together.

    Only people with a reply are placed: the lone ones would be pushed to a ring around the rest and squeeze the
    conversation into the middle. Weights are damped (log) so one chatty pair does not pull everyone into a knot.
    `start` gives starting points for some people (the others start at seeded random points).
    """
    weights: dict[tuple[str, str], float] = {}  # a pair who replied both ways is one edge, first seen one way
    for source, target, count in pairs:
        if source != target:
            edge = (target, source) if (target, source) in weights else (source, target)
            weights[edge] = weights.get(edge, 0.0) + math.log1p(count)
    index: dict[str, int] = {}
    for source, target in weights:
        index.setdefault(source, len(index))
        index.setdefault(target, len(index))
    if len(index) <= 1:
        return dict.fromkeys(index, (0.0, 0.0))
    adjacency = np.zeros((len(index), len(index)))
    for (source, target), weight in weights.items():
        adjacency[index[source], index[target]] = adjacency[index[target], index[source]] = weight
    points = np.random.RandomState(seed).rand(len(index), 2)
    if start:
        known = [(i, start[node]) for node, i in index.items() if node in start]
        if known:
            points *= max(max(abs(x), abs(y)) for _, (x, y) in known)
            for i, at in known:
                points[i] = at
    placed = _fruchterman_reingold(adjacency, points, iterations)
    placed -= placed.mean(axis=0)
    if (reach := np.abs(placed).max()) > 0:
        placed /= reach
    return {node: (float(placed[i, 0]), float(placed[i, 1])) for node, i in index.items()}


def _fruchterman_reingold(adjacency: np.ndarray, points: np.ndarray, iterations: int) -> np.ndarray:
    """Fruchterman and Reingold's force-directed placement, as networkx's spring_layout runs it on a dense graph
    (same forces, cooling and stopping rule), over x and y kept apart: 2.5 times faster for a few hundred people,
    which is what the build pays for every chat on every build."""
    n = len(points)
    k = math.sqrt(1.0 / n)
    heat = max(float(np.ptp(points[:, 0])), float(np.ptp(points[:, 1]))) * 0.1
    cooling = heat / (iterations + 1)
    x, y = points[:, 0].copy(), points[:, 1].copy()
    for _ in range(iterations):
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        distance2 = np.maximum(dx * dx + dy * dy, 1e-4)  # people closer than 0.01 push as if 0.01 apart
        force = (k * k) / distance2 - adjacency * np.sqrt(distance2) / k
        move_x, move_y = (dx * force).sum(axis=1), (dy * force).sum(axis=1)
        length = np.hypot(move_x, move_y)
        step = heat / np.where(length < 0.01, 0.1, length)
        move_x *= step
        move_y *= step
        x += move_x
        y += move_y
        heat -= cooling
        if math.sqrt(float((move_x * move_x).sum() + (move_y * move_y).sum())) / n < 1e-4:
            break
    return np.column_stack([x, y])


def network_positions(people: Sequence[str], pairs: Iterable[tuple[str, str, int]], *,
                      start: Mapping[str, Position] | None = None,
                      iterations: int = SPRING_ITERATIONS) -> dict[str, Position]:
    """Where to draw the DRAWN_PEOPLE busiest of `people` (busiest first) who are in a reply pair among `people`.

    The one rule for who is drawn, used by the build (whole ranges) and by the dashboard (narrower views).
    """
    known = set(people)
    pairs = [(s, t, n) for s, t, n in pairs if s in known and t in known]
    talking = {s for s, _, _ in pairs} | {t for _, t, _ in pairs}
    drawn = set(islice((p for p in people if p in talking), DRAWN_PEOPLE))
    return spring_positions([(s, t, n) for s, t, n in pairs if s in drawn and t in drawn],
                            start=start, iterations=iterations)


_PLACED = pa.list_(pa.struct([("author_id", pa.string()), ("x", pa.float64()), ("y", pa.float64())]))


def _network_layout_arrow(people: pa.Array, pairs: pa.Array) -> pa.Array:
    def place(names: list[str] | None, edges: list[dict] | None) -> list[dict[str, object]]:
        at = network_positions(names or [], ((e["source"], e["target"], e["replies"]) for e in edges or []))
        return [{"author_id": a, "x": x, "y": y} for a, (x, y) in sorted(at.items())]

    # one layout per chat and one for all chats: NumPy lets go of the GIL, so they share the cores
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        placed = list(pool.map(place, people.to_pylist(), pairs.to_pylist()))
    return pa.array(placed, _PLACED)


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make network_layout(people VARCHAR[] busiest first, pairs STRUCT(source, target, replies)[]) available in
    SQL on this connection: the list of (author_id, x, y) that network_positions gives."""
    with contextlib.suppress(duckdb.Error):
        con.remove_function("network_layout")
    con.create_function(
        "network_layout",
        _network_layout_arrow,
        [duckdb.sqltype("VARCHAR[]"), duckdb.sqltype("STRUCT(source VARCHAR, target VARCHAR, replies BIGINT)[]")],
        duckdb.sqltype("STRUCT(author_id VARCHAR, x DOUBLE, y DOUBLE)[]"),
        type="arrow",
        null_handling="special",
        side_effects=False,
    )

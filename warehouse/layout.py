"""Positions for drawing a conversation network: a seeded force-directed layout, so a view is stable between loads.

Presentation only: the graph itself (who replied to whom, how often) comes from the interactions mart.
"""

from __future__ import annotations

import math

import networkx as nx


def spring_positions(pairs: list[tuple[str, str, int]], *, seed: int = 7) -> dict[str, tuple[float, float]]:
    """x, y in [-1, 1] for everyone in a reply pair; people who reply to each other often sit close together.

    Only people with a reply are placed: the lone ones would be pushed to a ring around the rest and squeeze the
    conversation into the middle. Weights are damped (log) so one chatty pair does not pull everyone into a knot.
    """
    graph = nx.Graph()
    for source, target, count in pairs:
        if source == target:
            continue
        weight = math.log1p(count) + (graph[source][target]["weight"] if graph.has_edge(source, target) else 0.0)
        graph.add_edge(source, target, weight=weight)
    if graph.number_of_nodes() == 0:
        return {}
    positions = nx.spring_layout(graph, iterations=100, weight="weight", seed=seed)
    return {node: (float(x), float(y)) for node, (x, y) in positions.items()}

"""The conversation network's layout: people who reply to each other are drawn together, the same way every time."""

from __future__ import annotations

import math
from itertools import combinations

from warehouse.layout import spring_positions


def _two_circles() -> list[tuple[str, str, int]]:
    left = [f"l{i}" for i in range(8)]
    right = [f"r{i}" for i in range(8)]
    pairs = [(a, b, 5) for group in (left, right) for a, b in combinations(group, 2)]
    return [*pairs, ("l0", "r0", 1)]  # one reply between the circles


def test_people_who_reply_to_each_other_sit_closer_than_people_who_do_not() -> None:
    at = spring_positions(_two_circles())

    def mean_distance(pairs: list[tuple[str, str]]) -> float:
        return sum(math.dist(at[a], at[b]) for a, b in pairs) / len(pairs)

    within = [(a, b) for a, b in combinations(at, 2) if a[0] == b[0]]
    across = [(a, b) for a, b in combinations(at, 2) if a[0] != b[0]]
    assert mean_distance(within) * 2 < mean_distance(across)


def test_the_layout_is_centred_fits_the_square_and_is_the_same_every_time() -> None:
    at = spring_positions(_two_circles())
    assert at == spring_positions(_two_circles())
    xs, ys = [x for x, _ in at.values()], [y for _, y in at.values()]
    assert max(map(abs, xs + ys)) == 1.0
    assert abs(sum(xs) / len(xs)) < 1e-9 and abs(sum(ys) / len(ys)) < 1e-9


def test_a_warm_start_keeps_people_near_where_they_were() -> None:
    first = spring_positions(_two_circles())
    again = spring_positions([*_two_circles(), ("r3", "n1", 1)], start=first, iterations=5)
    moved = [math.dist(first[p], again[p]) for p in first]
    assert max(moved) < 0.5 and "n1" in again


def test_nobody_or_one_person_talking_to_themselves_is_placed_without_a_layout() -> None:
    assert spring_positions([]) == {}
    assert spring_positions([("a", "a", 3)]) == {}

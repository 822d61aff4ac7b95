"""The place index: cells cover boxes, boxes contain circles, distances agree with haversine."""

from __future__ import annotations

import math
import random

import pytest

from models.rules import geo


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Written out independently of models.rules.geo, which measures chords of unit vectors."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def random_point(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(-85, 85), rng.uniform(-180, 180)


def test_distance_matches_haversine() -> None:
    rng = random.Random(1)
    for _ in range(2000):
        (a, b), (c, d) = random_point(rng), random_point(rng)
        assert geo.distance_m(a, b, c, d) == pytest.approx(haversine(a, b, c, d), abs=1e-3)
    # Huế citadel to Thiên Mụ pagoda, about 3.3 km as the crow flies.
    assert 3000 < geo.distance_m(16.4698, 107.5786, 16.4533, 107.5446) < 4200


def test_chord_round_trip_is_monotonic() -> None:
    for meters in (0.5, 1, 150, 1000, 50_000):
        assert geo.chord2_to_meters(geo.meters_to_chord2(meters)) == pytest.approx(meters)
    assert geo.meters_to_chord2(100) < geo.meters_to_chord2(101)


def inside(cell: int, ranges: list[tuple[int, int]]) -> bool:
    return any(low <= cell <= high for low, high in ranges)


@pytest.mark.parametrize("seed", range(5))
def test_every_point_of_a_box_falls_in_its_cover(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        lat, lon = random_point(rng)
        size = 10 ** rng.uniform(-5, 1)  # from a metre to ten degrees
        box = geo.Box(lat, lon, min(lat + size, 90), lon + size * rng.uniform(0.2, 3))
        if box.east > 180:
            box = geo.Box(box.south, box.west, box.north, box.east - 360)  # across 180°
        ranges = geo.cover(box)
        assert len(ranges) <= geo.MAX_RANGES_PER_AXIS ** 2 * 2
        for _ in range(20):
            plat = rng.uniform(box.south, box.north)
            width = (box.east - box.west) % 360
            plon = (box.west + rng.uniform(0, width) + 180) % 360 - 180
            assert geo.in_box(plat, plon, box)
            assert inside(geo.cell_of(plat, plon), ranges)


def test_the_cover_is_tight_for_a_small_box() -> None:
    """A 300 m box in Huế is covered by cells of at most a few hundred metres: the index reads
    a small area, not a latitude band."""
    box = geo.box_around(16.4637, 107.5909, 150)
    ranges = geo.cover(box)
    total = sum(high - low + 1 for low, high in ranges)
    cell_area_m2 = (180 / 2**26 * 111_320) * (360 / 2**26 * 111_320 * math.cos(0.287))
    assert total * cell_area_m2 < 300 * 300 * 16


def test_a_circle_lies_in_its_box() -> None:
    rng = random.Random(7)
    for _ in range(300):
        lat, lon = rng.uniform(-80, 80), rng.uniform(-180, 180)
        radius = 10 ** rng.uniform(0, math.log10(geo.MAX_RADIUS_M))
        box = geo.box_around(lat, lon, radius)
        for k in range(36):  # points on the circle itself
            bearing = math.radians(k * 10)
            d = radius / 6_371_008.8
            p1, l1 = math.radians(lat), math.radians(lon)
            p2 = math.asin(math.sin(p1) * math.cos(d)
                           + math.cos(p1) * math.sin(d) * math.cos(bearing))
            l2 = l1 + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(p1),
                                 math.cos(d) - math.sin(p1) * math.sin(p2))
            plat, plon = math.degrees(p2), (math.degrees(l2) + 180) % 360 - 180
            assert geo.in_box(plat, plon, box), (lat, lon, radius, k)


def test_near_the_poles_and_the_antimeridian() -> None:
    assert geo.box_around(89.9999, 0, 50_000) == geo.Box(
        geo.box_around(89.9999, 0, 50_000).south, -180.0, 90.0, 180.0)
    box = geo.box_around(0, 179.9999, 1000)
    assert box.west > box.east  # wraps
    assert geo.in_box(0, -179.9999, box)
    assert geo.in_box(0, 179.999, box)
    assert inside(geo.cell_of(0, -179.9999), geo.cover(box))

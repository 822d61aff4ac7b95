"""Places: exact distances on the sphere, and an index the database can use to find them.

Each located report stores two derived things next to its latitude and longitude:
- `geo_cell`, a Morton (Z-order) code of the position quantised to 2^26 steps per axis (about
  0.3 m). A square cell at any coarser level is one contiguous range of codes, so a box is
  covered by a handful of `BETWEEN` ranges on one ordinary B-tree index, in PostgreSQL and SQLite
  alike (no PostGIS, no SQLite extension).
- `ux, uy, uz`, the position as a unit vector. The squared straight-line (chord) distance between
  two unit vectors is plain arithmetic that any SQL engine evaluates, and the great-circle
  distance grows with it: filtering and ordering by it is exact, not an approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.errors import Invalid
from models.messages import _

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
BITS = 26  # per axis
_STEPS = 1 << BITS
MIN_RADIUS_M = 1.0
MAX_RADIUS_M = 50_000.0
MAX_RANGES_PER_AXIS = 4  # a box is covered by at most 4 × 4 cells, merged into ranges


@dataclass(frozen=True)
class Box:
    south: float
    west: float
    north: float
    east: float  # west > east: the box crosses the antimeridian


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    lat, lon = math.radians(latitude), math.radians(longitude)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def chord2_to_meters(chord2: float) -> float:
    """Great-circle distance for a squared chord between unit vectors."""
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(max(chord2, 0.0)) / 2))


def meters_to_chord2(meters: float) -> float:
    return (2 * math.sin(min(meters / EARTH_RADIUS_M, math.pi) / 2)) ** 2


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    a, b = unit_vector(lat1, lon1), unit_vector(lat2, lon2)
    return chord2_to_meters(sum((p - q) ** 2 for p, q in zip(a, b, strict=True)))


def _quantise(value: float, low: float, span: float) -> int:
    return min(_STEPS - 1, max(0, int((value - low) / span * _STEPS)))


def _spread(v: int) -> int:
    """Put the bits of v at the even positions (bit i goes to bit 2i)."""
    out = 0
    for i in range(BITS):
        out |= ((v >> i) & 1) << (2 * i)
    return out


def _interleave(qlat: int, qlon: int) -> int:
    return (_spread(qlat) << 1) | _spread(qlon)


def cell_of(latitude: float, longitude: float) -> int:
    return _interleave(_quantise(latitude, -90.0, 180.0), _quantise(longitude, -180.0, 360.0))


def _cover_one(south: float, west: float, north: float, east: float) -> list[tuple[int, int]]:
    lat0, lat1 = _quantise(south, -90.0, 180.0), _quantise(north, -90.0, 180.0)
    lon0, lon1 = _quantise(west, -180.0, 360.0), _quantise(east, -180.0, 360.0)
    level = 0  # bits dropped per axis: the coarsest cells still few enough per axis
    while ((lat1 >> level) - (lat0 >> level) + 1 > MAX_RANGES_PER_AXIS
           or (lon1 >> level) - (lon0 >> level) + 1 > MAX_RANGES_PER_AXIS):
        level += 1
    ranges = []
    for i in range(lat0 >> level, (lat1 >> level) + 1):
        for j in range(lon0 >> level, (lon1 >> level) + 1):
            start = _interleave(i, j) << (2 * level)
            ranges.append((start, start + (1 << (2 * level)) - 1))
    return _merge(ranges)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def cover(box: Box) -> list[tuple[int, int]]:
    """Inclusive `geo_cell` ranges whose cells together contain the box."""
    if box.west <= box.east:
        return _cover_one(box.south, box.west, box.north, box.east)
    return _merge(_cover_one(box.south, box.west, box.north, 180.0)
                  + _cover_one(box.south, -180.0, box.north, box.east))


def box_around(latitude: float, longitude: float, radius_m: float) -> Box:
    """A box that contains every point within radius_m of the centre (a hair wider, so that
    rounding never drops a point on the circle: the exact test is done on the chord)."""
    delta = radius_m / EARTH_RADIUS_M * (1 + 1e-9) + 1e-12  # angular radius
    dlat = math.degrees(delta)
    south, north = latitude - dlat, latitude + dlat
    if south <= -90 or north >= 90:  # a pole inside: every longitude
        return Box(max(south, -90.0), -180.0, min(north, 90.0), 180.0)
    # The circle's widest longitude offset, reached north or south of the centre's latitude.
    dlon = math.degrees(math.asin(min(1.0, math.sin(delta) / math.cos(math.radians(latitude)))))
    if dlon >= 180:
        return Box(south, -180.0, north, 180.0)
    west, east = longitude - dlon, longitude + dlon
    if west < -180:
        west += 360
    if east > 180:
        east -= 360
    return Box(south, west, north, east)


def located(latitude: float | None, longitude: float | None) -> dict[str, float | int | None]:
    """The derived columns for a position (all null without one)."""
    if latitude is None or longitude is None:
        return {"geo_cell": None, "ux": None, "uy": None, "uz": None}
    ux, uy, uz = unit_vector(latitude, longitude)
    return {"geo_cell": cell_of(latitude, longitude), "ux": ux, "uy": uy, "uz": uz}


def in_box(latitude: float, longitude: float, box: Box) -> bool:
    if not box.south <= latitude <= box.north:
        return False
    if box.west <= box.east:
        return box.west <= longitude <= box.east
    return longitude >= box.west or longitude <= box.east


def check_coordinates(latitude: float, longitude: float, prefix: str = "location") -> None:
    """Refuse a position off the globe, naming the input field (`prefix`.latitude)."""
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise Invalid(_("Latitude must be between -90 and 90."), field=f"{prefix}.latitude")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise Invalid(_("Longitude must be between -180 and 180."), field=f"{prefix}.longitude")

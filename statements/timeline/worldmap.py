"""A world map of an event's answers: each state coloured by its status, drawn on the server.

The boundaries are Natural Earth's, at 1:110m, from the world-atlas npm package
(TopoJSON, ISC licence, vendored in static/vendor/world-atlas/). They are decoded
and projected here once per process (plate carrée, Antarctica left out) into SVG
path strings, so the map needs no JavaScript, no tile server and no CDN.

A state's status is its own responder's, which already counts its members'
statements (statements.responses); a country with no state among the responders
takes the best status (in the DESIGN.md order) of the responders from that
country. Each coloured country links to its row of the reactions table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django_countries import countries

from actors.models import Actor
from statements.responses.statuses import STATUSES

ATLAS = Path(settings.BASE_DIR) / "static" / "vendor" / "world-atlas" / "countries-110m.json"
WIDTH = 960
NORTH, SOUTH = 84.0, -58.0  # Antarctica and the far north are left out
HEIGHT = round(WIDTH * (NORTH - SOUTH) / 360)
ANTARCTICA = "010"  # ISO 3166 numeric; no state there answers anything
MIN_STEP = 0.6  # drop points closer than this (in SVG units) to the previous one


@dataclass(frozen=True)
class Shape:
    numeric: str
    name: str
    d: str


@dataclass
class MapCountry:
    shape: Shape
    status: str = ""  # "" when no responder is from this country
    label: str = ""
    actor: Actor | None = None

    @property
    def anchor(self) -> str:
        return f"row-{self.actor.slug}" if self.actor else ""


@dataclass
class WorldMap:
    countries: list[MapCountry]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def coloured(self) -> list[MapCountry]:
        return sorted((c for c in self.countries if c.status), key=lambda c: c.actor.name)


def _project(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, NORTH), SOUTH)
    return (lon + 180) * WIDTH / 360, (NORTH - lat) * WIDTH / 360


def _decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:  # delta-encoded, quantised positions
            x, y = x + dx, y + dy
            points.append(_project(x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring_path(ring: list[int], arcs) -> str:
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    # A ring crossing the antimeridian (Russia's Chukotka, Fiji) jumps across the whole
    # map: unwrap it so it stays whole, running off one edge, rather than a band.
    unwrapped, shift = [points[0]], 0.0
    for (x0, _), (x, y) in zip(points, points[1:], strict=False):
        if x - x0 > WIDTH / 2:
            shift -= WIDTH
        elif x0 - x > WIDTH / 2:
            shift += WIDTH
        unwrapped.append((x + shift, y))
    points = unwrapped
    kept = [points[0]]
    for point in points[1:]:
        if abs(point[0] - kept[-1][0]) + abs(point[1] - kept[-1][1]) >= MIN_STEP:
            kept.append(point)
    if len(kept) < 3:
        return ""
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in kept) + "Z"


@cache
def shapes() -> tuple[Shape, ...]:
    topology = json.loads(ATLAS.read_text())
    arcs = _decode_arcs(topology)
    found = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if str(geometry.get("id")) == ANTARCTICA:
            continue
        polygons = {"Polygon": [geometry.get("arcs", [])],
                    "MultiPolygon": geometry.get("arcs", [])}.get(geometry["type"], [])
        d = "".join(_ring_path(ring, arcs) for polygon in polygons for ring in polygon)
        if d:
            found.append(Shape(numeric=str(geometry.get("id", "")),
                               name=geometry["properties"]["name"], d=d))
    return tuple(found)


def world_map(rows, *, label) -> WorldMap:
    """The map for a timeline's responder rows (statements.timeline.selector.ResponderRow);
    `label(row)` words a row's status (the event page's plain words)."""
    rank = {status: i for i, status in enumerate(STATUSES)}
    by_country: dict[str, object] = {}
    for row in rows:
        code = row.actor.country
        if not code:
            continue
        numeric = countries.numeric(code, padded=True)
        if not numeric:
            continue
        current = by_country.get(numeric)
        is_state = row.actor.kind == Actor.Kind.STATE
        if current is None:
            by_country[numeric] = row
            continue
        current_is_state = current.actor.kind == Actor.Kind.STATE
        if is_state and not current_is_state:
            by_country[numeric] = row
        elif is_state == current_is_state and (
                rank[row.responder.status] < rank[current.responder.status]):
            by_country[numeric] = row
    result = []
    for shape in shapes():
        row = by_country.get(shape.numeric)
        if row is None:
            result.append(MapCountry(shape=shape))
        else:
            result.append(MapCountry(shape=shape, status=row.responder.status,
                                     label=label(row), actor=row.actor))
    return WorldMap(countries=result)

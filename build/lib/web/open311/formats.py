"""Open311's two formats: JSON, and XML whose element names follow the JSON keys (a list's
items take the singular of its key, as in the specification's examples)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree as ET

import orjson
from starlette.responses import Response

from models.messages import t

FORMATS = {"json": "application/json", "xml": "text/xml"}

# The specification's item names where dropping an "s" would be wrong.
SINGULAR = {"service_requests": "request", "services": "service", "errors": "error"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, t("Unknown format: ask for .json or .xml."))
    return fmt


# What XML 1.0 allows: tab, newline, carriage return, and the rest but surrogates and U+FFFE/F.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    """Text refused at input never gets here; older rows are cleaned on the way out all the
    same, so one report can never make the feed unreadable for every partner."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(parent: ET.Element, key: str, value: Any) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _fill(node, k, v)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            _fill(node, SINGULAR.get(key, key.removesuffix("s")), item)
    elif value is not None:
        node.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """`root` wraps a list (services, service_requests, errors) or names a single object."""
    tree = ET.Element(root)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _fill(tree, k, v)
    else:
        item = SINGULAR[root]
        for entry in value:
            _fill(tree, item, entry)
    body: bytes = ET.tostring(tree, encoding="utf-8", xml_declaration=True)
    return body


def render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    body = to_xml(root, value) if fmt == "xml" else orjson.dumps(value)
    return Response(body, status_code=status,
                    media_type=f"{FORMATS[fmt]}; charset=utf-8",
                    headers={"access-control-allow-origin": "*", "cache-control": "no-cache"})


def error(fmt: str, failure: Open311Error) -> Response:
    """Errors as the specification gives them: a list of {code, description}."""
    return render(fmt if fmt in FORMATS else "json", "errors",
                  [{"code": failure.status, "description": failure.description}], failure.status)

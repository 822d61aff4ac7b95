"""GraphQL over HTTP (the GraphQL Foundation's spec), the parts strawberry leaves to us:

- which media type answers: `application/graphql-response+json` when the client asks for it
  (then the status says what happened: 400 when the operation never ran, e.g. it did not parse
  or validate, and the answer has no `data`), else `application/json` (legacy: 200 whenever the
  request itself was well-formed); anything else is 406;
- every refusal of the request itself as a GraphQL-shaped JSON body with a `code`, never
  `text/plain` (strawberry's HTTPException reasons are kept as messages);
- the request parameters checked as the spec types them (`operationName` a string, `variables`
  and `extensions` objects).

tests/frontend/test_graphql_over_http.py runs the graphql-http audit suite against a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from models.messages import _, render
from web.responses import error_body

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
ALLOWED_METHODS = "GET, POST"


class RequestRefused(Exception):
    """The HTTP request is refused before any GraphQL runs. `template` is a message marked
    with `_()`, rendered in the reader's language with `params`."""

    def __init__(self, status: int, template: str, code: str = "BAD_REQUEST", *,
                 headers: Mapping[str, str] | None = None,
                 params: Mapping[str, Any] | None = None, **extensions: Any) -> None:
        super().__init__(template)
        self.status = status
        self.template = template
        self.params = dict(params or {})
        self.code = code
        self.headers = dict(headers or {})
        self.extensions = extensions

    @property
    def message(self) -> str:
        return render(self.template, self.params)


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _sep, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def negotiate_media(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither of ours."""
    if accept is None or not accept.strip():
        return JSON  # the spec: assume application/json when Accept is missing
    best, best_q = None, 0.0
    for part in accept.split(","):
        media, _sep, params = part.partition(";")
        media = media.strip().lower()
        if media == GRAPHQL_RESPONSE:
            candidate = GRAPHQL_RESPONSE
        elif media in (JSON, "application/*", "*/*"):
            candidate = JSON
        else:
            continue
        q = _quality(params)
        # At equal quality the newer type wins, as the spec recommends.
        if q > best_q or (q == best_q and q > 0 and candidate == GRAPHQL_RESPONSE):
            best, best_q = candidate, q
    return best


def content_type(media: str) -> str:
    return f"{media}; charset=utf-8"


def refusal_response(refused: RequestRefused, media: str | None) -> Response:
    headers = dict(refused.headers)
    if refused.status == 405:
        headers.setdefault("Allow", ALLOWED_METHODS)
    return Response(error_body(refused.message, refused.code, **refused.extensions),
                    status_code=refused.status, headers=headers,
                    media_type=content_type(media or JSON))


# strawberry's reasons for refusing a request, as messages with a code.
_STRAWBERRY: dict[str, tuple[str, str]] = {
    "Unsupported content type": (
        _("Send the operation as application/json (or multipart/form-data for uploads)."),
        "UNSUPPORTED_MEDIA_TYPE"),
    "Unable to parse request body as JSON": (_("The request body is not valid JSON."),
                                             "BAD_REQUEST"),
    "Batching is not enabled": (_("Send one operation per request (batching is off)."),
                                "BAD_REQUEST"),
    "No GraphQL query found in the request": (
        _("Send a GraphQL document in `query`, or the hash of a persisted one in "
          "`extensions`."), "BAD_REQUEST"),
    "GraphQL only supports GET and POST requests.": (
        _("GraphQL is served over GET and POST only."), "METHOD_NOT_ALLOWED"),
    "Not Found": (_("GraphiQL is turned off on this server."), "NOT_FOUND"),
    "Unable to parse the multipart body": (_("The multipart body could not be read."),
                                           "BAD_REQUEST"),
    "File(s) missing in form data": (_("A file named in the map is missing from the form."),
                                     "BAD_REQUEST"),
    "Can't get GraphQL operation type": (
        _("The document holds several operations: name one in operationName."),
        "BAD_REQUEST"),
}
_PARAMETER = "The GraphQL operation's `"


def strawberry_refusal(error: Any) -> RequestRefused:
    """strawberry's HTTPException as one of ours (a JSON body, a code, our words)."""
    status, reason = int(error.status_code), str(error.reason)
    template, code = _STRAWBERRY.get(reason, (reason, "BAD_REQUEST"))
    if reason.startswith(_PARAMETER):  # `query` / `variables` / `extensions` of a wrong type
        name = reason[len(_PARAMETER):].split("`", 1)[0]
        template = _("{name} must be a string or null.") if name == "query" else _(
            "{name} must be an object or null.")
        return RequestRefused(status, template, code, params={"name": name}, field=name)
    if reason.startswith("Unknown operation named"):
        return RequestRefused(status, _("The document has no operation named like "
                                        "operationName."), code, field="operationName")
    return RequestRefused(status, template, code)


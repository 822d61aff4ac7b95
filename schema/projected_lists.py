"""Pages of reports that PostgreSQL writes as JSON itself, for the anonymous public.

The public lists (the wall, the map, Open311's neighbours) are what a busy city serves most
once events keep emptying the response cache, and the ordinary way spends about 100 µs of
Python per report on them (README "Performance"). When a `reports(…)` page is asked for by an
anonymous viewer, read forwards, and its connection selects only `nodes`, or only `edges`
with nothing but `node` in them (with `totalCount`/`__typename` beside either), whose fields
all appear in the table below, the page is
read by one statement (models/queries/projection.py) that returns each report as the JSON the
ordinary way would write, compiled once per document from the same schema.

What is shown stays decided by the policy (models/rules/policy.py): the statement wraps the
page's own query, so only reports the ordinary scope lets the public see are read, and each
row is checked again with the policy's own functions before its JSON is used (a failed check
sends the page the ordinary way). The table holds only what the public sees of a public
report: the fields the ordinary resolvers show anyone, media by their plain URL (public
media, as `policy.media_is_public` says of every public report's evidence), and an event's
note for the kinds whose note the policy shows an anonymous viewer, asked of the policy when
the table is made, and `overdue` as `lifecycle.is_overdue` decides it, by the request's
clock. Anything else (the reporter, ratings' notes, results, edges' cursors) is not in the
table, and a document asking for it is answered the
ordinary way. tests/api/test_projected_lists.py runs generated documents both ways and
requires identical JSON; `PROJECTED_LISTS=false` turns this off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    SelectionSetNode,
)
from tortoise.queryset import QuerySet

from models.enums import EventKind, Status
from models.orm.reports import Report as ReportRow
from models.queries import projection as sql
from models.queries.pagination import PageArgs, SortKey
from models.rules import policy
from realtime import answer_tags
from schema.compiled_lists import Fragments, selected_fields
from schema.context import Context, Info
from schema.list_plans import enum_names

Leaf = Callable[[str, GraphQLField], str | None]  # (table alias, field) → SQL, or None


class RawJSON:
    """JSON text put into an answer as it is: the response's encoder writes it unparsed
    (web/graphql/app.py; parsing a page into dicts only to write them again cost more than
    the rest of the request in py-spy)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Projected:
    """What a connection's `nodes` holds when the page came as JSON: the list as the
    database wrote it, which schema/limits.py puts in the answer."""

    __slots__ = ("fields", "items", "target")

    def __init__(self, items: RawJSON, fields: int, target: str = "nodes") -> None:
        self.items = items
        self.fields = fields
        self.target = target  # the connection's field it fills: nodes or edges


class Counts:
    served = 0  # pages projected since the process started (tests read it)


COUNTS = Counts()


def _column(name: str) -> Leaf:
    return lambda alias, _: f'{alias}."{name}"'


def _instant(name: str) -> Leaf:
    return lambda alias, _: sql.instant(f'{alias}."{name}"')


def _stored_names(graphql_type: GraphQLOutputType) -> dict[str, str] | None:
    """Each stored value of an enum and the name the schema's own coercion writes for it."""
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    found = enum_names(graphql_type) if isinstance(graphql_type, GraphQLEnumType) else None
    if found is None or not all(isinstance(member.value, str) for member in found[0]):
        return None
    return {member.value: name for member, name in found[1].items()}


def _enum(name: str) -> Leaf:
    def leaf(alias: str, field: GraphQLField) -> str | None:
        names = _stored_names(field.type)
        return None if names is None else sql.enum(f'{alias}."{name}"', names)
    return leaf


def _id(type_name: str) -> Leaf:
    return lambda alias, _: sql.global_id(type_name, f'{alias}."id"')


def _public_note(alias: str, _: GraphQLField) -> str:
    """An event's note where the policy shows it to an anonymous viewer of a public report."""
    facts = policy.ReportFacts(Status.RESOLVED, None, None)
    kinds = [k.value for k in EventKind if policy.can_see_event_note(policy.ANONYMOUS, k, facts)]
    if not kinds:
        return "NULL::text"
    listed = ", ".join(sql.literal(k) for k in kinds)
    return f'(CASE WHEN {alias}."kind" IN ({listed}) THEN {alias}."note" END)'


LEAVES: Mapping[str, Mapping[str, Leaf]] = {
    "Report": {
        "id": _id("Report"), "code": lambda alias, _: sql.report_code(alias),
        "title": _column("title"), "description": _column("description"),
        "status": _enum("status"), "channel": _enum("channel"),
        "submittedAt": _instant("submitted_at"), "dueAt": _instant("due_at"),
        "resolvedAt": _instant("resolved_at"), "updatedAt": _instant("updated_at"),
        "extended": _column("extended"), "onTime": _column("on_time"),
        "contested": _column("contested"), "reopenCount": _column("reopen_count"),
        "workingDays": _column("working_days"), "commentCount": _column("comment_count"),
        "supportCount": _column("support_count"),
        "overdue": lambda alias, _: sql.overdue(alias),
    },
    "Location": {"latitude": _column("latitude"), "longitude": _column("longitude"),
                 "address": _column("address")},
    "Category": {"id": _id("Category"), "code": _column("code"), "name": _column("name"),
                 "agencyKind": _enum("agency_kind")},
    "Agency": {"id": _id("Agency"), "code": _column("code"), "name": _column("name"),
               "kind": _enum("kind"), "level": _enum("level")},
    "Media": {"id": _id("Media"), "kind": _enum("kind"),
              "url": lambda alias, _: sql.media_url(f'{alias}."storage_key"'),
              "thumbnailUrl": lambda alias, _: sql.media_url(f'{alias}."thumbnail_key"'),
              "contentType": _column("content_type"), "width": _column("width"),
              "height": _column("height"), "sizeBytes": _column("size_bytes")},
    "Rating": {"satisfaction": _enum("satisfaction"), "ratedAt": _instant("rated_at")},
    "ReportEvent": {"seq": _column("id"), "cursor": lambda alias, _: f'{alias}."id"::text',
                    "at": _instant("at"), "kind": _enum("kind"),
                    "fromStatus": _enum("from_status"), "toStatus": _enum("to_status"),
                    "actorRole": _enum("actor_role"), "note": _public_note},
}


@dataclass(frozen=True, slots=True)
class Related:
    """An object field: its type, the alias its rows are read under, and how its JSON object
    (over that alias) becomes the field's value (over the parent's alias)."""

    type_name: str
    alias: str
    wrap: Callable[[str, str], str]  # (parent alias, object JSON) → the value
    join: str | None = None  # a to-one row joined to the page's (over alias p)


RELATED: Mapping[tuple[str, str], Related] = {
    ("Report", "location"): Related("Location", "p", lambda p, obj: (
        f'(CASE WHEN {p}."latitude" IS NULL OR {p}."longitude" IS NULL THEN NULL '
        f"ELSE {obj} END)")),
    # Joined, not a subquery per report: the planner scans the small directory tables for
    # each correlated lookup.
    ("Report", "category"): Related("Category", "c", lambda p, obj: sql.joined("c", obj),
                                    'LEFT JOIN "category" c ON c."id" = p."category_id"'),
    ("Report", "agency"): Related("Agency", "a", lambda p, obj: sql.joined("a", obj),
                                  'LEFT JOIN "agency" a ON a."id" = p."agency_id"'),
    ("Report", "media"): Related("Media", "m", lambda p, obj: sql.many(
        "media", "m", f'm."report_id" = {p}."id" AND NOT m."is_result"', obj, 'm."id"')),
    ("Report", "rating"): Related("Rating", "g", lambda p, obj: sql.one(
        "rating", "g", f'g."report_id" = {p}."id"', obj, 'g."cycle" DESC')),  # unique
    ("Report", "lastEvent"): Related("ReportEvent", "e", lambda p, obj: sql.one(
        "report_event", "e", f'e."report_id" = {p}."id"', obj, 'e."id" DESC')),
}


@dataclass(frozen=True, slots=True)
class Projection:
    node: str  # SQL writing one report's (or its edge's) JSON over alias p
    fields: int  # fields per report, for the operation's budget
    joins: tuple[str, ...] = ()
    target: str = "nodes"  # the connection's field the page fills: nodes or edges


def _named(graphql_type: GraphQLOutputType) -> GraphQLOutputType:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def compile_object(object_type: GraphQLObjectType, selection: SelectionSetNode,
                   fragments: Fragments, alias: str) -> Projection | None:
    """The JSON object one item's selection makes, or None when some part of it is not in
    the table."""
    nodes = selected_fields(object_type, selection, fragments)
    if nodes is None:
        return None
    pairs: list[tuple[str, str]] = []
    joins: list[str] = []
    count = 0
    for node in nodes:
        key = node.alias.value if node.alias else node.name.value
        name = node.name.value
        if node.arguments or key in (k for k, _ in pairs):
            return None
        count += 1
        if name == "__typename":
            pairs.append((key, sql.literal(object_type.name)))
            continue
        field = object_type.fields.get(name)
        leaf = LEAVES.get(object_type.name, {}).get(name)
        related = RELATED.get((object_type.name, name))
        if field is None:
            return None
        if leaf is not None and node.selection_set is None:
            expr = leaf(alias, field)
        elif related is not None and node.selection_set is not None:
            child = _named(field.type)
            if not isinstance(child, GraphQLObjectType) or child.name != related.type_name:
                return None
            inner = compile_object(child, node.selection_set, fragments, related.alias)
            if inner is None:
                return None
            expr, count = related.wrap(alias, inner.node), count + inner.fields
            joins += [j for j in (*inner.joins, related.join) if j and j not in joins]
        else:
            return None
        if expr is None:
            return None
        pairs.append((key, expr))
    built = sql.json_object(pairs)
    return None if built is None else Projection(built, count, tuple(joins))


CONNECTION_EXTRAS = frozenset({"__typename", "totalCount"})  # resolved the ordinary way
CACHE_SIZE = 1024
_cache: dict[int, tuple[FieldNode, Projection | None]] = {}


def _edges(edge_type: GraphQLObjectType, edges: FieldNode, report: GraphQLObjectType,
           fragments: Fragments) -> Projection | None:
    """`edges { node { … } }` (and `__typename`): each edge an object around the report's."""
    fields = selected_fields(edge_type, edges.selection_set, fragments) \
        if edges.selection_set is not None else None
    if not fields:
        return None
    pairs: list[tuple[str, str]] = []
    inner: Projection | None = None
    for node in fields:
        key = node.alias.value if node.alias else node.name.value
        if node.arguments or key in (k for k, _ in pairs):
            return None
        if node.name.value == "__typename":
            pairs.append((key, sql.literal(edge_type.name)))
        elif node.name.value == "node" and node.selection_set is not None and inner is None:
            inner = compile_object(report, node.selection_set, fragments, "p")
            if inner is None:
                return None
            pairs.append((key, inner.node))
        else:
            return None  # the cursor, or the node twice: the ordinary way
    built = sql.json_object(pairs)
    if inner is None or built is None:
        return None
    return Projection(built, inner.fields + len(pairs), inner.joins, target="edges")


def _compile_connection(info: Info) -> Projection | None:
    raw = info._raw_info
    if len(raw.field_nodes) != 1:
        return None
    return compile_connection(raw.field_nodes[0], raw.return_type, raw.fragments)


def compile_connection(field_node: FieldNode, return_type: GraphQLOutputType,
                       all_fragments: Mapping[str, FragmentDefinitionNode]) -> Projection | None:
    """The projection of a `reports(…)` connection field's selection, or None."""
    found = _cache.get(id(field_node))
    if found is not None and found[0] is field_node:  # parsed documents are cached and reused
        return found[1]
    projection = None
    connection = _named(return_type)
    fragments = {name: f for name, f in all_fragments.items() if not f.variable_definitions}
    if isinstance(connection, GraphQLObjectType) and field_node.selection_set is not None \
            and {"nodes", "edges"} <= set(connection.fields):
        nodes = selected_fields(connection, field_node.selection_set, fragments) or []
        lists = [n for n in nodes if n.name.value not in CONNECTION_EXTRAS]
        report = _named(connection.fields["nodes"].type)
        edge = _named(connection.fields["edges"].type)
        if len(lists) == 1 and lists[0].selection_set is not None \
                and isinstance(report, GraphQLObjectType) and isinstance(edge, GraphQLObjectType):
            if lists[0].name.value == "nodes":
                projection = compile_object(report, lists[0].selection_set, fragments, "p")
            elif lists[0].name.value == "edges":
                projection = _edges(edge, lists[0], report, fragments)
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()
    _cache[id(field_node)] = (field_node, projection)
    return projection


async def projected_nodes(info: Info, read: Callable[[], Awaitable[QuerySet[ReportRow]]],
                          key: SortKey, args: PageArgs,
                          shape: Hashable | None = None) -> Projected | None:
    """The page's `nodes` as JSON written by the database, or None: the ordinary way.
    `read` makes the page's scope (not called when the statement is known by `shape`)."""
    ctx = info.context
    if not ctx.projected_lists or ctx.viewer != policy.ANONYMOUS:
        return None
    projection = _compile_connection(info)
    if projection is None:
        return None
    return await project_page(ctx, projection, read, key, args, shape)


async def project_page(ctx: Context, projection: Projection,
                       read: Callable[[], Awaitable[QuerySet[ReportRow]]], key: SortKey,
                       args: PageArgs, shape: Hashable | None = None) -> Projected | None:
    """The page by its one statement, each row checked again by the policy; None: the
    ordinary way. For the anonymous viewer only, which the callers have made sure of."""
    rows = await sql.page_json(read, key, args, projection.node, projection.joins,
                               sql.Bound(ctx.base_url, ctx.deps.now()), shape)
    if rows is None:
        return None
    for row in rows:
        if not (policy.can_see_report(policy.ANONYMOUS, row.facts)
                and policy.media_is_public(row.facts, is_result=False)):
            return None
    answer_tags.tag(*(answer_tags.report(row.id) for row in rows))
    items = RawJSON("[" + ",".join(row.json for row in rows) + "]")
    COUNTS.served += 1
    return Projected(items, projection.fields * len(rows), projection.target)

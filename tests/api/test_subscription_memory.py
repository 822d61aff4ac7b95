"""A subscription lives for hours and executes once per event: nothing an event's execution
makes may outlive it (schema/limits.py, BudgetedExecution.build_per_event_executor)."""

from __future__ import annotations

from typing import Any

from graphql import build_schema, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.limits import BudgetedExecution

SDL = """type Query { x: Int }
type Event { seq: Int kind: String }
type Subscription { feed: Event, batch: [Event] }"""


def events(executor_class: type[StrawberryGraphQLCoreExecutionContext], document: str,
           payloads: list[dict[str, Any]]) -> tuple[Any, list[tuple[Any, Any]]]:
    executor = executor_class.build(build_schema(SDL), parse(document))
    assert not isinstance(executor, list), executor  # a list: errors in the document
    results = []
    for payload in payloads:
        per_event = executor.build_per_event_executor(payload)
        results.append((per_event, per_event.execute_operation()))
    return executor, results


def test_graphql_core_alone_keeps_every_events_field_lists_for_the_subscriptions_life():
    """Why the override exists: upstream's memo grows by one entry per event (graphql-core
    3.3.2, pinned in constraints.txt). When this fails, upstream changed and the override in
    schema/limits.py may go."""
    executor, _ = events(StrawberryGraphQLCoreExecutionContext, "subscription { feed { seq } }",
                         [{"feed": {"seq": i}} for i in range(50)])
    assert len(executor._relevant_sub_fields) == 50


def test_events_leave_nothing_behind_and_still_memoise_within_one_event():
    executor, results = events(
        BudgetedExecution, "subscription { feed { seq kind } }",
        [{"feed": {"seq": i, "kind": "COMMENTED"}} for i in range(50)])
    assert [r.data for _, r in results] == [
        {"feed": {"seq": i, "kind": "COMMENTED"}} for i in range(50)]
    assert len(executor._relevant_sub_fields) == 0
    # A list within one event: its items' sub-selection is collected once, for that event.
    _, listed = events(BudgetedExecution, "subscription { batch { seq } }",
                       [{"batch": [{"seq": 1}, {"seq": 2}, {"seq": 3}]}])
    per_event, result = listed[0]
    assert result.data == {"batch": [{"seq": 1}, {"seq": 2}, {"seq": 3}]}
    assert len(per_event._relevant_sub_fields) == 1

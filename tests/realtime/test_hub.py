"""The per-process event hub: ordered catch-up from the database, one read per batch for all
subscribers, and a subscriber that stops reading dropped without holding anyone up."""

from __future__ import annotations

from starlette.applications import Starlette

from bench.world import World, make_person
from models.actions import participation
from models.enums import Role, Status
from models.orm.reports import ReportEvent
from realtime import channels
from realtime.hub import Hub, Subscriber
from tests.support.api import count_queries


async def test_a_slow_subscriber_is_dropped_and_the_others_keep_receiving(
    app: Starlette, world: World
):
    hub: Hub = app.state.hub
    await hub.catch_up()
    report = await world.report(Status.ASSIGNED)
    await hub.catch_up()
    feed = channels.public_feed()
    fast = hub.register(feed)
    slow = Subscriber(feed, queue_size=3, start_seq=hub.hwm)
    hub.subscribers.add(slow)
    people = [await make_person(world.deps, Role.CITIZEN) for _ in range(5)]
    for who in people:  # five SUPPORTED events (a first "me too" each), one per round
        await participation.support_report(world.deps, who.viewer, report.id)
        await hub.catch_up()
        item = fast.queue.get_nowait()  # the fast one reads as it goes
        assert item is not None
        _batch, events = item
        assert [e.kind.value for e in events] == ["SUPPORTED"]
    assert slow.dropped
    assert slow not in hub.subscribers
    assert fast in hub.subscribers
    # What it had queued was released at once; only the "you were dropped" marker is left.
    assert slow.queue.qsize() == 1
    assert slow.queue.get_nowait() is None


async def test_one_read_per_batch_whatever_the_number_of_subscribers(
    app: Starlette, world: World
):
    hub: Hub = app.state.hub
    report = await world.report(Status.ASSIGNED)
    await hub.catch_up()
    subscribers = [hub.register(channels.public_feed()) for _ in range(200)]
    await participation.support_report(world.deps, world.other_citizen.viewer, report.id)
    with count_queries() as statements:
        await hub.catch_up()
    # The events above the mark joined to their reports (a short page is the last): not one
    # per subscriber, and not one more for the reports.
    assert len(statements) == 1, statements
    for sub in subscribers:
        item = sub.queue.get_nowait()
        assert item is not None
        _batch, events = item
        assert events[0].kind.value == "SUPPORTED"
    assert len({id(s.queue) for s in subscribers}) == 200
    last = await ReportEvent.all().order_by("-id").first()
    assert last is not None
    assert hub.hwm == last.id


async def test_an_event_is_offered_only_to_the_streams_entitled_to_it(
    app: Starlette, world: World
):
    """10,000 citizens each on their own report and staff on their agencies' feeds: an event is
    offered to its report's streams, its agency's feeds and the walls, not to everyone."""
    hub: Hub = app.state.hub
    report = await world.report(Status.ASSIGNED)  # assigned to agency A
    await hub.catch_up()
    others = [hub.register(channels.report_events(world.citizen.viewer, 10_000_000 + i))
              for i in range(2000)]
    mine = hub.register(channels.report_events(world.citizen.viewer, report.id))
    agency_a = [hub.register(channels.agency_feed(world.staff_a.viewer)) for _ in range(3)]
    agency_b = [hub.register(channels.agency_feed(world.staff_b.viewer)) for _ in range(300)]
    wall = hub.register(channels.public_feed())
    assert len(hub.subscribers) == 2000 + 1 + 3 + 300 + 1
    offered = hub.offered
    await participation.add_comment(world.deps, world.other_citizen.viewer, report.id, "Đúng vậy.")
    await hub.catch_up()
    assert hub.offered - offered == 1 + 3 + 1  # the report's stream, agency A's feeds, the wall
    for sub in [mine, *agency_a, wall]:
        item = sub.queue.get_nowait()
        assert item is not None
        assert [e.kind.value for e in item[1]] == ["COMMENTED"]
    assert all(sub.queue.empty() for sub in [*others, *agency_b])
    for sub in [*others, mine, *agency_a, *agency_b, wall]:
        hub.unregister(sub)
    assert len(hub.subscribers) == 0
    assert not hub.subscribers.by_report
    assert not hub.subscribers.by_agency


async def test_subscribers_joining_together_ask_for_the_newest_seq_once(
    app: Starlette, world: World
):
    """A restart reconnects thousands of subscribers at once: one query answers them all."""
    import asyncio

    hub: Hub = app.state.hub
    await world.report(Status.ASSIGNED)
    newest = await ReportEvent.all().order_by("-id").first()
    assert newest is not None
    with count_queries() as statements:
        answers = await asyncio.gather(*(hub.newest() for _ in range(50)))
    assert answers == [newest.id] * 50
    assert len(statements) == 1, statements
    await participation.support_report(world.deps, world.other_citizen.viewer,
                                       newest.report_id)
    assert await hub.newest() > newest.id  # a later question gets a later answer

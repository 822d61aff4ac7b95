"""The domain: what a field report is, who may do what to it, and how it is stored.

Four kinds of module, each in its own folder, imported in one direction only
(actions → queries → orm → rules; `tests/test_architecture.py` keeps it so):

- `rules/`   pure decisions, no database and no clock of their own: the lifecycle table,
             who may see what (policy), the working-day calendar, the ranking formula,
             periods, geometry, text cleaning and folding.
- `orm/`     the tables (Tortoise models), one module per topic, and nothing that reaches up.
- `queries/` the read side: what a viewer may list, filters, search, pages, aggregates.
- `actions/` the write side, one module per topic: each use case checks the rules, changes rows
             and writes the timeline event in one transaction (`actions/changes.py`), then
             hands the events to the publisher after commit.

Beside them: `enums.py` and `errors.py` (the vocabulary every layer shares), `deps.py` (what
use cases need from outside: clock, calendar, publisher, rate limits), `throttle.py`, `db.py`.
"""

MODEL_MODULES = ["models.orm.accounts", "models.orm.directory", "models.orm.reports",
                 "models.orm.participation", "models.orm.documents", "models.orm.figures",
                 "models.orm.webhooks", "models.orm.outbox", "models.orm.notifications"]

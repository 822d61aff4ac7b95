"""The tables, one module per topic. Only storage here: behaviour lives in `models/actions/`
(what changes rows) and `models/queries/` (what reads them)."""

"""The write side: use cases, one module per topic. Each checks the rules, changes rows and
writes its timeline event in one transaction (`changes.py`), then publishes after commit."""

"""Tortoise's database engines with the executor that builds instances straight from the
driver's rows (models/orm/rows.py); named in the connection settings by models/db.py."""

"""The domain package: ORM models plus the rules of the field-report service."""

MODEL_MODULES = ["models.user", "models.agency", "models.report", "models.feedback"]

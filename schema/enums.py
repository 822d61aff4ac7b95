"""Domain enums exposed to GraphQL under the contract's names.

`strawberry.enum` registers the domain class itself, so the schema annotates with the domain
types (re-exported here under their GraphQL names) and mypy sees real classes.
"""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from models import enums, errors
from models.queries.reports import ReportOrder
from models.rules import policy

strawberry.enum(enums.Status, name="ReportStatus")
strawberry.enum(enums.Role, name="Role")
strawberry.enum(enums.EventKind, name="EventKind")
strawberry.enum(enums.Channel, name="Channel")
strawberry.enum(enums.AgencyKind, name="AgencyKind")
strawberry.enum(enums.AgencyLevel, name="AgencyLevel", description=(
    "PROVINCE (the city and its departments, companies) or COMMUNE (wards and communes). "
    "DISTRICT remains for historical data only: the district level was abolished on "
    "1 July 2025."))
strawberry.enum(enums.ExtensionStatus, name="ExtensionStatus")
strawberry.enum(enums.MediaKind, name="MediaKind")
strawberry.enum(errors.ErrorCode, name="ErrorCode")
strawberry.enum(ReportOrder, name="ReportOrder")
strawberry.enum(enums.Satisfaction, name="Satisfaction")
strawberry.enum(policy.Badge, name="AuthorBadge")
strawberry.enum(enums.WebhookDeliveryStatus, name="WebhookDeliveryStatus")
strawberry.enum(enums.NotificationKind, name="NotificationKind")
strawberry.enum(enums.NotificationChannel, name="NotificationChannel")

ReportStatus: TypeAlias = enums.Status
Role: TypeAlias = enums.Role
EventKind: TypeAlias = enums.EventKind
Channel: TypeAlias = enums.Channel
AgencyKind: TypeAlias = enums.AgencyKind
AgencyLevel: TypeAlias = enums.AgencyLevel
ExtensionStatus: TypeAlias = enums.ExtensionStatus
MediaKind: TypeAlias = enums.MediaKind
ErrorCode: TypeAlias = errors.ErrorCode
ReportOrder: TypeAlias = ReportOrder
Satisfaction: TypeAlias = enums.Satisfaction
AuthorBadge: TypeAlias = policy.Badge
WebhookDeliveryStatus: TypeAlias = enums.WebhookDeliveryStatus
NotificationKind: TypeAlias = enums.NotificationKind
NotificationChannel: TypeAlias = enums.NotificationChannel

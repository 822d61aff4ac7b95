"""Domain enums exposed to GraphQL under the contract's names."""

from __future__ import annotations

import strawberry

from models import enums
from models.errors import ErrorCode as _ErrorCode
from models.queries import ReportOrder as _ReportOrder

ReportStatus = strawberry.enum(enums.Status, name="ReportStatus")
Role = strawberry.enum(enums.Role, name="Role")
EventKind = strawberry.enum(enums.EventKind, name="EventKind")
Channel = strawberry.enum(enums.Channel, name="Channel")
AgencyKind = strawberry.enum(enums.AgencyKind, name="AgencyKind")
AgencyLevel = strawberry.enum(enums.AgencyLevel, name="AgencyLevel")
ExtensionStatus = strawberry.enum(enums.ExtensionStatus, name="ExtensionStatus")
MediaKind = strawberry.enum(enums.MediaKind, name="MediaKind")
ErrorCode = strawberry.enum(_ErrorCode, name="ErrorCode")
ReportOrder = strawberry.enum(_ReportOrder, name="ReportOrder")

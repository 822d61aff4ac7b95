"""Enumerations shared by the domain, the database and the API (values are stable strings)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    CITIZEN = "CITIZEN"
    IOC_OPERATOR = "IOC_OPERATOR"
    AGENCY_STAFF = "AGENCY_STAFF"
    ADMIN = "ADMIN"


class Status(enum.StrEnum):
    PENDING_REVIEW = "PENDING_REVIEW"
    REJECTED = "REJECTED"
    MERGED = "MERGED"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    RESULT_SUBMITTED = "RESULT_SUBMITTED"
    RESOLVED = "RESOLVED"


class EventKind(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    REJECTED = "REJECTED"
    MERGED = "MERGED"
    ASSIGNED = "ASSIGNED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    EXTENSION_REQUESTED = "EXTENSION_REQUESTED"
    EXTENSION_DECIDED = "EXTENSION_DECIDED"
    RESULT_SUBMITTED = "RESULT_SUBMITTED"
    RESULT_RETURNED = "RESULT_RETURNED"
    PUBLISHED = "PUBLISHED"
    RATED = "RATED"
    CONTESTED = "CONTESTED"
    CONTEST_DISMISSED = "CONTEST_DISMISSED"
    REOPENED = "REOPENED"
    COMMENTED = "COMMENTED"
    COMMENT_HIDDEN = "COMMENT_HIDDEN"
    SUPPORTED = "SUPPORTED"
    DEADLINE_NEAR = "DEADLINE_NEAR"
    OVERDUE = "OVERDUE"


class Channel(enum.StrEnum):
    APP = "APP"
    WEB = "WEB"
    HOTLINE = "HOTLINE"
    EMAIL = "EMAIL"
    SOCIAL = "SOCIAL"
    OPEN311 = "OPEN311"  # a partner's tool, through /open311 with an issued key


class AgencyKind(enum.StrEnum):
    GOVERNMENT = "GOVERNMENT"
    BUSINESS = "BUSINESS"


class AgencyLevel(enum.StrEnum):
    PROVINCE = "PROVINCE"  # the province or centrally-run city: its departments, companies
    # Historical data only: Vietnam's district level (quận, thị xã, huyện) was abolished on
    # 1 July 2025; no agency can be created at it or moved to it.
    DISTRICT = "DISTRICT"
    COMMUNE = "COMMUNE"  # wards (phường), communes (xã) and special zones


class ExtensionStatus(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    WITHDRAWN = "WITHDRAWN"  # the agency gave the report back before a decision


class MediaKind(enum.StrEnum):
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"


class Satisfaction(enum.StrEnum):
    SATISFIED = "SATISFIED"
    ACCEPTABLE = "ACCEPTABLE"
    UNSATISFIED = "UNSATISFIED"


class WebhookDeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"  # to be sent (again)
    SUCCEEDED = "SUCCEEDED"  # the receiver answered 2xx
    FAILED = "FAILED"  # every attempt failed; redeliverWebhook sends it again


class NotificationKind(enum.StrEnum):
    """What a citizen may hear about when not connected (models/rules/notifications.py)."""
    ACCEPTED = "ACCEPTED"  # an agency took my report on
    EXTENDED = "EXTENDED"  # its deadline was extended
    RESULT_PUBLISHED = "RESULT_PUBLISHED"  # the result is public: please rate it
    REOPENED = "REOPENED"  # it is being handled again
    AGENCY_REPLIED = "AGENCY_REPLIED"  # an agency answered my comment


class NotificationChannel(enum.StrEnum):
    PUSH = "PUSH"  # Web Push to each browser or phone the user registered
    EMAIL = "EMAIL"  # to the user's verified address


class NotificationStatus(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"  # given up after the attempts, or the address is gone

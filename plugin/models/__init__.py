"""The domain model. Every tenant-owned table carries `tenant_id`."""

from .ats import AtsApplication, SyncRun, WebhookDelivery, WriteBack
from .audit import AuditEvent
from .base import Base, utcnow, uuid7
from .enums import (
    FollowUpStatus,
    LawfulBasis,
    Origin,
    PipelineStatus,
    ReferenceKind,
    ReferralChannel,
    ReferralStatus,
    RoleStatus,
    TouchpointKind,
    Vendor,
)
from .followups import FollowUp
from .notifications import Delivery, Notice
from .people import Cadence, Person, PersonEmail, PersonLink, Touchpoint
from .privacy import Fingerprint
from .referrals import Reference, Referral
from .reports import ReportSnapshot
from .roles import Role, ShortlistEntry
from .tenancy import ApiKey, Installation, Recruiter, SyncBookmark, Tenant

__all__ = [
    "ApiKey",
    "AtsApplication",
    "AuditEvent",
    "Base",
    "Cadence",
    "Delivery",
    "Fingerprint",
    "FollowUp",
    "FollowUpStatus",
    "Installation",
    "LawfulBasis",
    "Notice",
    "Origin",
    "Person",
    "PersonEmail",
    "PersonLink",
    "PipelineStatus",
    "Recruiter",
    "Reference",
    "ReferenceKind",
    "Referral",
    "ReferralChannel",
    "ReferralStatus",
    "ReportSnapshot",
    "Role",
    "RoleStatus",
    "ShortlistEntry",
    "SyncBookmark",
    "SyncRun",
    "Tenant",
    "Touchpoint",
    "TouchpointKind",
    "Vendor",
    "WebhookDelivery",
    "WriteBack",
    "utcnow",
    "uuid7",
]

"""The domain model. Every tenant-owned table carries `tenant_id`."""

from plugin.models.ats import AtsApplication, SyncRun, WebhookDelivery, WriteBack
from plugin.models.audit import AuditEvent
from plugin.models.base import Base, utcnow, uuid7
from plugin.models.enums import (
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
from plugin.models.followups import FollowUp
from plugin.models.messages import Message, MessageEvent, MessageTemplate
from plugin.models.notifications import Delivery, Notice
from plugin.models.people import Cadence, Person, PersonEmail, PersonLink, Touchpoint
from plugin.models.privacy import Fingerprint
from plugin.models.referrals import Reference, Referral
from plugin.models.reports import ReportSnapshot
from plugin.models.roles import Role, ShortlistEntry
from plugin.models.tenancy import ApiKey, BrowserToken, Installation, Recruiter, SyncBookmark, Tenant

__all__ = [
    "ApiKey",
    "AtsApplication",
    "AuditEvent",
    "Base",
    "BrowserToken",
    "Cadence",
    "Delivery",
    "Fingerprint",
    "FollowUp",
    "FollowUpStatus",
    "Installation",
    "LawfulBasis",
    "Message",
    "MessageEvent",
    "MessageTemplate",
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

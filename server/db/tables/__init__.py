"""All ORM tables, one module per table family; importing this package registers them all."""

from server.db.tables.automations import (
    AutomationEvent,
    AutomationSweep,
    Journey,
    JourneyEnrolment,
    JourneySegmentMember,
    JourneyStep,
    JourneyStoreSwitch,
    JourneyVersion,
)
from server.db.tables.catalog import Product
from server.db.tables.clienteling import IssuedOffer, TaskCompletion
from server.db.tables.coupons import Coupon, CouponTemplate
from server.db.tables.deployments import ModelDeployment
from server.db.tables.imports import ImportRun
from server.db.tables.jobs import JobChunk
from server.db.tables.loyalty import (
    Benefit,
    BenefitUsage,
    LookupAudit,
    LoyaltySetting,
    MemberEvent,
    MemberTier,
    OutboxMessage,
    PointsAllocation,
    PointsEntry,
    TierChange,
)
from server.db.tables.member_page import SignInCode
from server.db.tables.members import ConsultantAssignment, Interaction, Member
from server.db.tables.messaging import MemberChannelIdentity, MessageConsent, MessageTemplate
from server.db.tables.realtime import FloorCopyRun, FloorEventBody, FloorEventCounter, FloorStream
from server.db.tables.recommendations import ChatSession, ChatTurn, Recommendation, RecommendationFeedback
from server.db.tables.rewards import Reward, RewardExchange
from server.db.tables.staff import Staff, StaffRole
from server.db.tables.stores import Store
from server.db.tables.tags import MemberTag, TagRule
from server.db.tables.transactions import PriceApproval, PriceOverride, Transaction, TransactionLine

__all__ = [
    "AutomationEvent",
    "AutomationSweep",
    "Journey",
    "JourneyEnrolment",
    "JourneySegmentMember",
    "JourneyStep",
    "JourneyStoreSwitch",
    "JourneyVersion",
    "Benefit",
    "BenefitUsage",
    "ChatSession",
    "ChatTurn",
    "ConsultantAssignment",
    "Coupon",
    "CouponTemplate",
    "FloorCopyRun",
    "FloorEventBody",
    "FloorEventCounter",
    "FloorStream",
    "ImportRun",
    "Interaction",
    "JobChunk",
    "IssuedOffer",
    "LookupAudit",
    "LoyaltySetting",
    "Member",
    "MemberChannelIdentity",
    "MemberEvent",
    "MemberTag",
    "MemberTier",
    "MessageConsent",
    "MessageTemplate",
    "ModelDeployment",
    "OutboxMessage",
    "PointsAllocation",
    "PointsEntry",
    "PriceApproval",
    "PriceOverride",
    "Product",
    "Recommendation",
    "RecommendationFeedback",
    "Reward",
    "SignInCode",
    "RewardExchange",
    "Staff",
    "StaffRole",
    "Store",
    "TagRule",
    "TaskCompletion",
    "TierChange",
    "Transaction",
    "TransactionLine",
]

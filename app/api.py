"""Every resource router under /api/v1, one line each."""

from fastapi import APIRouter

from app.analytics.router import router as analytics_router
from app.anthologies.router import cards_router as anthology_cards_router
from app.anthologies.router import router as anthologies_router
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.challenges.router import router as challenges_router
from app.conversation.router import router as conversation_router
from app.events.router import router as events_router
from app.inquiries.router import router as inquiries_router
from app.invitations.router import router as invitations_router
from app.members.router import router as members_router
from app.mentoring.router import router as mentoring_router
from app.notifications.router import router as notifications_router
from app.projects.router import router as projects_router
from app.recognition.router import router as recognition_router
from app.showcase.router import router as showcase_router
from app.submissions.router import router as submissions_router
from app.votes.router import router as votes_router
from app.webhooks.router import router as webhooks_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth_router)
api_router.include_router(members_router)
api_router.include_router(invitations_router)
api_router.include_router(notifications_router)
api_router.include_router(events_router)
api_router.include_router(challenges_router)
api_router.include_router(submissions_router)
api_router.include_router(votes_router)
api_router.include_router(showcase_router)
api_router.include_router(inquiries_router)
api_router.include_router(projects_router)
api_router.include_router(mentoring_router)
api_router.include_router(conversation_router)
api_router.include_router(webhooks_router)
api_router.include_router(recognition_router)
api_router.include_router(analytics_router)
api_router.include_router(anthologies_router)
api_router.include_router(anthology_cards_router)
api_router.include_router(audit_router)

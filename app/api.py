"""Every resource router under /api/v1, one line each.

The app includes each of them directly (`include_api`) rather than through one /api/v1
router: with FastAPI's included routers every level of nesting matches the path once more
(a request to a late route walked some hundred route patterns, a fifth of its CPU time).
"""

from fastapi import APIRouter, FastAPI

from app.accounts.router import routers as accounts_routers
from app.analytics.router import router as analytics_router
from app.anthologies.router import cards_router as anthology_cards_router
from app.anthologies.router import router as anthologies_router
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.challenges.router import router as challenges_router
from app.chat_bridges.router import router as chat_bridges_router
from app.conversation.router import routers as conversation_routers
from app.events.router import routers as events_routers
from app.inquiries.router import router as inquiries_router
from app.invitations.router import router as invitations_router
from app.judging.router import routers as judging_routers
from app.mail.router import router as mail_settings_router
from app.mail.router import unsubscribe_router as mail_unsubscribe_router
from app.media.router import routers as media_routers
from app.members.router import router as members_router
from app.mentoring.router import routers as mentoring_routers
from app.mentors.router import router as mentors_router
from app.notifications.router import router as notifications_router
from app.projects.router import router as projects_router
from app.recognition.router import routers as recognition_routers
from app.results.router import router as results_router
from app.search.router import router as search_router
from app.showcase.router import router as showcase_router
from app.submissions.router import routers as submissions_routers
from app.votes.router import routers as votes_routers
from app.webhooks.router import router as webhooks_router

API_PREFIX = "/api/v1"

# In this order: the first route whose path matches answers (/members/me before /members/{id}).
API_ROUTERS: tuple[APIRouter, ...] = (
    auth_router,
    *accounts_routers,  # /members/me/… before /members/{member_id}
    mail_settings_router,  # /members/me/notification-settings, likewise
    *media_routers,  # /members/me/media before /members/{member_id}
    members_router,
    invitations_router,
    notifications_router,
    mail_unsubscribe_router,
    *events_routers,
    challenges_router,
    results_router,  # /challenges/{challenge_id}/results, where it was among challenges
    *submissions_routers,
    *votes_routers,
    *judging_routers,
    showcase_router,
    inquiries_router,
    projects_router,
    mentors_router,
    *mentoring_routers,
    *conversation_routers,
    webhooks_router,
    chat_bridges_router,
    *recognition_routers,
    analytics_router,
    anthologies_router,
    anthology_cards_router,
    audit_router,
    search_router,
)


def include_api(app: FastAPI) -> None:
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)

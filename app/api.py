"""Every resource router under /api/v1, one line each."""

from fastapi import APIRouter

from app.auth.router import router as auth_router
from app.invitations.router import router as invitations_router
from app.members.router import router as members_router
from app.notifications.router import router as notifications_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth_router)
api_router.include_router(members_router)
api_router.include_router(invitations_router)
api_router.include_router(notifications_router)

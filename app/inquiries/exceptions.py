from __future__ import annotations

from app.core.errors import Conflict, NotFound


class NotOpenForCommissions(Conflict):
    code = "not_open_for_commissions"


class InquiryNotFound(NotFound):
    code = "inquiry_not_found"

from __future__ import annotations

from app.core.errors import Conflict, NotFound, Unprocessable


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


class WebhookInactive(Conflict):
    code = "webhook_inactive"


class WebhookUrlNotAllowed(Unprocessable):
    code = "webhook_url_not_allowed"

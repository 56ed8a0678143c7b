from __future__ import annotations

from app.core.errors import Unprocessable


class RangeInvalid(Unprocessable):
    code = "range_invalid"

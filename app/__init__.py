"""Sanggar: the backend of a creative community."""

# First, whatever imports `app`: app.core imports PyJWT and structlog without the optional
# libraries they would load for features the app never uses (see app/core/__init__.py).
import app.core  # noqa: F401

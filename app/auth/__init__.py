"""Registration, log-in, token refresh and log-out (the principal is app.principal's)."""

"""Registration, log-in, token refresh and the principal behind every request."""

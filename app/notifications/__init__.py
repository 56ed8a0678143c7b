"""The in-app notification feed, the first subscriber of domain events."""

"""The problem catalogue served: where each error's `type` URI points."""

"""Members' votes on works, within a per-challenge budget, during the voting phase."""

"""The rehab protocol: the exercises in their progression order and the rules for moving on (no Qt, no DB)."""

"""The rehab protocol: the exercises in their progression order, the rules for moving on, and the cues the
clinic gives the patient, kept out of the widgets (no Qt, no database)."""

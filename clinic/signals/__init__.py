"""Signal analysis on numpy arrays (samples x channels): conditioning, onsets, reps, metrics. No Qt."""

"""What it means and what we keep: records, signal analysis, sessions, reports. No Qt."""

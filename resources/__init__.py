"""Package data shipped with GluteLab: styles, icons, templates and sample data."""

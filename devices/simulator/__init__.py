"""Simulated devices: signal models with ground truth, and a pty server that speaks the real protocols."""

"""Live coaching widgets: traces with onset markers, plate panel, per-rep verdict, hold ring, biofeedback.

Self-contained: a session page builds ``LiveCoachingView(runner, ...)`` and keeps polling the runner with its
own timer; see docs/live.md ("Wiring into a session page").
"""

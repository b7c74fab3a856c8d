"""The exercises of the glute re-education programme, in progression order, with the written instructions the
discharge report hands to the patient (domain.md, "The exercises"). One table: screens and reports read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    key: str  # as stored on a trial
    name: str
    one_legged: bool  # done per side (left and right)
    instructions: str  # plain words for the patient
    dose: str  # sets, reps and holds of the home programme
    progress_when: str  # when the patient may move on (the clinician confirms)


PROGRESSION: tuple[Exercise, ...] = (
    Exercise(
        "cook_hip_lift", "Cook Hip Lift", True,
        "Lie on your back, knees bent, feet flat. Pull one knee tightly to your chest so that your thigh pins a "
        "tennis ball just under your lowest rib; keep the ball there throughout. The other knee stays bent at "
        "90 degrees with the foot planted. Push that foot into the floor through the heel and lift your hips; "
        "hold at the top. You should feel the tension in your buttock. If you feel it in the back of your thigh "
        "instead, or it cramps, move the foot a little farther away. Your hips may not lift high at first; "
        "that improves with practice.",
        "1 set of 8-12 lifts per leg as a warm-up (more sets if your physiotherapist says so); hold each lift "
        "5-8 seconds at the top.",
        "When your buttock reliably works first and you can hold every lift, your physiotherapist will move you "
        "on to the glute bridge."),
    Exercise(
        "glute_bridge", "Glute Bridge", False,
        "Lie on your back, knees bent, both feet flat and hip-width apart. Tighten your buttocks, push through "
        "both heels and lift your hips until knees, hips and shoulders form a line. Do not arch your lower back. "
        "Hold, then lower slowly.",
        "2 sets of 10, hold 5 seconds at the top.",
        "When the lift comes from the buttocks rather than the back, move on to the supine hip extension."),
    Exercise(
        "supine_hip_extension", "Supine Hip Extension", False,
        "Lie on your back with your heels on a low step or bench, knees slightly bent. Push down through the "
        "heels and lift your hips, leading with the buttocks, keeping your lower back flat. Hold, then lower "
        "slowly.",
        "2 sets of 10, hold 5 seconds at the top.",
        "When you can do every rep without feeling it in your back, move on to the one-leg glute bridge."),
    Exercise(
        "one_leg_glute_bridge", "One-Leg Glute Bridge", True,
        "Lie on your back, one knee bent with the foot flat, the other leg straight in line with the thigh. Push "
        "through the heel of the planted foot and lift your hips level, without letting the pelvis tip. Hold, "
        "then lower slowly. Change sides.",
        "2 sets of 8 per leg, hold 5 seconds at the top.",
        "Keep this as your regular glute activation before exercise; your physiotherapist may add load."),
)
BY_KEY = {e.key: e for e in PROGRESSION}


def stage_index(exercise_key: str) -> int | None:
    """Position in the progression (0 = Cook Hip Lift); None for exercises outside it (sit-down test, MVC)."""
    for i, e in enumerate(PROGRESSION):
        if e.key == exercise_key:
            return i
    return None


def exercise_name(exercise_key: str) -> str:
    e = BY_KEY.get(exercise_key)
    return e.name if e else exercise_key.replace("_", " ").capitalize()

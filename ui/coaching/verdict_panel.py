"""The clinician's per-rep verdict: large label (glute first / hamstrings first / ...), the glute lead in ms,
the cue, the rep counter and the hold ring; legible from two metres."""

from __future__ import annotations

from PySide6 import QtWidgets

from clinic.protocol.cues import GLUTE_FIRST, NO_CLEAR_ONSET
from clinic.signals.live_verdict import Verdict
from ui.coaching.hold_ring import HoldRing

VERDICT_COLOURS = {GLUTE_FIRST: "#2a9d4b", NO_CLEAR_ONSET: "#6c757d"}  # others: amber
OTHER_COLOUR = "#c77c02"


def _label(px: int, bold: bool = False) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel("")
    font = label.font()
    font.setPixelSize(px)
    font.setBold(bold)
    label.setFont(font)
    label.setWordWrap(True)
    return label


class VerdictPanel(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.verdict = _label(44, bold=True)
        self.verdict.setObjectName("verdict")
        self.lead = _label(28)
        self.lead.setObjectName("gluteLead")
        self.cue = _label(26)
        self.cue.setObjectName("cue")
        self.reps = _label(32, bold=True)
        self.reps.setObjectName("repCounter")
        self.asymmetry = _label(18)
        self.asymmetry.setObjectName("verdictAsymmetry")
        self.ring = HoldRing(text_px=28)
        text = QtWidgets.QVBoxLayout()
        for w in (self.reps, self.verdict, self.lead, self.cue, self.asymmetry):
            text.addWidget(w)
        text.addStretch(1)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addLayout(text, stretch=3)
        layout.addWidget(self.ring, stretch=1)
        # room for every line whatever it says now (a layout squeezed by the traces below clipped the type):
        # one line each, two for the asymmetry, which wraps on a small screen
        lines = [(w, 1) for w in (self.reps, self.verdict, self.lead, self.cue)] + [(self.asymmetry, 2)]
        margins = layout.contentsMargins()
        self.setMinimumHeight(sum(w.fontMetrics().lineSpacing() * n for w, n in lines)
                              + text.spacing() * len(lines) + margins.top() + margins.bottom())
        self.show_waiting()

    def show_waiting(self) -> None:
        self.verdict.setText("waiting for the first rep")
        self.verdict.setStyleSheet("color: #6c757d")
        self.lead.setText("")
        self.cue.setText("")
        self.asymmetry.setText("")

    def show_verdict(self, v: Verdict) -> None:
        self.verdict.setText(f"rep {v.rep}: {v.verdict}")
        self.verdict.setStyleSheet(f"color: {VERDICT_COLOURS.get(v.verdict, OTHER_COLOUR)}")
        if v.glute_lead_ms is None:
            self.lead.setText("glute lead: no glute onset in this rep")
        else:
            word = "ahead of" if v.glute_lead_ms >= 0 else "behind"
            self.lead.setText(f"glute lead {v.glute_lead_ms:+.0f} ms ({abs(v.glute_lead_ms):.0f} ms {word} "
                              "the first other muscle)")
        self.cue.setText(f"cue: \u201c{v.cue}\u201d" if v.cue else "")
        parts = [f"{m.replace('_', ' ')} {a:+.0f} %" for m, a in v.asymmetry.items() if a is not None]
        self.asymmetry.setText("left/right asymmetry at hold start (+ = left larger): " + ", ".join(parts)
                               if parts else "")

    def show_reps(self, rep: int, target: int) -> None:
        self.reps.setText(f"rep {rep} of {target}" if target else f"rep {rep}")

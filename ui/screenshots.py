"""Save a screenshot of every screen of the window to a folder (docs/screens/ for the README):

    QT_QPA_PLATFORM=offscreen python -m ui.screenshots docs/screens

It runs the real window on a throwaway demo database with a simulated patient (25x real time), drives it to
each screen through its own widgets and grabs it. Everything it shows is SIMULATED.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SIZE = (1280, 800)


def _wait(app, until: Callable[[], bool], seconds: float = 60.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def save_screens(out_dir: Path) -> list[Path]:
    from PySide6 import QtWidgets

    from clinic.records import db
    from clinic.records.security import sign_in
    from clinic.signals.conditioning import ConditioningSettings
    from ui.demo import seed_demo
    from ui.main_window import MainWindow
    from ui.simulated_day import clinic_day_rig

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    out_dir.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    rigs = []
    with tempfile.TemporaryDirectory(prefix="glutelab-screens-") as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'screens.sqlite3'}")
        db.upgrade(engine)
        factory = db.session_factory(engine)
        conditioning = ConditioningSettings(mains_hz=50.0)
        seed_demo(factory, conditioning)

        def simulator(protocol: str) -> tuple[str, str]:
            rig = clinic_day_rig(protocol, speed=25.0, reps=6).start()  # room for a redone rep
            rigs.append(rig)
            return rig.emg_path, rig.plate_path

        w = MainWindow(factory, lambda u, p: sign_in(factory, u, p), [], " - screenshots (SIMULATED)",
                       idle_lock_minutes=0, conditioning=conditioning, spool_dir=Path(tmp) / "spool",
                       clock=lambda: dt.datetime.now(dt.UTC), start_simulator=simulator)
        w.resize(*SIZE)
        w.show()

        def grab(name: str) -> None:
            for _ in range(5):
                app.processEvents()
            path = out_dir / f"{name}.png"
            w.grab().save(str(path))
            saved.append(path)

        try:
            w.sign_in.username.setText("physio")
            grab("01-sign-in")
            w.sign_in.password.setText("demo-physio-1")
            w.sign_in.button.click()
            _wait(app, lambda: w.actor is not None and w.patients.model.rowCount() > 0)
            grab("02-patients")
            w.patients.select_row(0)
            w.patients.open_selected()
            _wait(app, lambda: w.patient.progress.rowCount() > 0)
            grab("03-patient")
            w.new_patient()
            w.patient_form.mrn.setText("NEW-1")
            w.patient_form.birth_date.setText("2999-01-01")
            w.patient_form.save()
            grab("04-patient-form")
            w.open_patient(w.patients.model.keys[0])
            _wait(app, lambda: w.patient.view is not None)
            w.patient.new_session()
            setup = w.session_setup
            setup.emg_protocol.setCurrentText("cyton")
            setup.simulator_button.click()
            _wait(app, lambda: setup.emg_port.currentText() != "")
            setup.connect_button.click()
            _wait(app, lambda: len(setup.combos) == 8)
            setup.set_map({"ch1": "glute_max_left", "ch2": "hamstrings_left", "ch3": "erector_spinae_left",
                           "ch4": "glute_max_right", "ch5": "hamstrings_right", "ch6": "erector_spinae_right"})
            grab("05-device-setup")
            setup.calibrate_button.click()
            cal = w.calibration
            _wait(app, lambda: w.pages.currentWidget() is cal)
            cal.guided_button.click()
            _wait(app, lambda: cal.guided_next >= 2 and "PUSH" in cal.cue.text())
            grab("06-calibration")
            _wait(app, lambda: cal.guided_next == len(cal.steps))
            cal.store_button.click()
            _wait(app, lambda: w.pages.currentWidget() is w.session)
            w.session.target_reps.setValue(3)
            w.session.start_trial()
            runner = w.host.runner
            assert runner is not None
            phases: list[tuple[str, int]] = []
            runner.add_coaching_listener(lambda kind, event: phases.append((kind, event.rep)))
            coaching = lambda: w.session.coaching  # noqa: E731 - built once the session began
            _wait(app, lambda: runner.rep >= 2 and coaching() is not None
                  and coaching().verdict_panel.verdict.text().startswith("rep "))  # a verdict with its cue
            grab("07-session-recording")
            _wait(app, lambda: ("hold_end", 2) in phases)
            w.session.redo_last_rep()  # the results then show a redone rep
            _wait(app, lambda: runner.rep >= 4)
            w.session.stop_trial()
            _wait(app, lambda: w.session.results.rowCount() > 0)
            grab("08-session-results")
            w.lock()
            grab("09-lock")
            w.unlock()
            w.sign_out()
            w.on_signed_in(sign_in(factory, "admin", "demo-admin-1"))
            w.show_users()
            _wait(app, lambda: w.users.model.rowCount() > 0)
            grab("10-users")
        finally:
            if w.host.runner is not None:
                w.host.timer.stop()
                w.host.runner.close()
            w.workers.wait(20000)
            w.close()
            for rig in rigs:
                rig.stop()
            engine.dispose()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("docs/screens"))
    args = parser.parse_args(argv)
    for path in save_screens(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

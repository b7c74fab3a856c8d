"""Start the workstation window (plain or --demo) and run the Qt event loop."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from clinic import settings
from clinic.records.db import unit_of_work
from clinic.records.models import User
from clinic.records.security import Actor, create_first_admin
from clinic.records.security import sign_in as audited_sign_in
from devices.device import Device
from ui.context import Workstation

if TYPE_CHECKING:
    from devices.simulator.rig import SimulatedRig


def remember_ports(ws: Workstation, connected: list[Device]) -> None:
    """Offer the real ports that worked last time at the next start (simulator ptys are throwaway)."""
    ports = {d.stream_id: d.port_name for d in connected if d.info is not None and not d.info.simulated}
    if not ports:
        return
    try:
        ws.settings = settings.update(ws.data_dir.settings_file,
                                      last_port_emg=ports.get("emg", ws.settings.last_port_emg),
                                      last_port_plate=ports.get("plate", ws.settings.last_port_plate))
    except (OSError, settings.SettingsError):
        pass  # a read-only or damaged settings file only costs the convenience


def _first_paint(stamp: float, quit_after: float, app) -> None:  # noqa: ANN001
    """``--quit-after``: say when the first screen was painted (0: and quit right away)."""
    print(f"first screen painted at {stamp:.3f}", flush=True)
    if quit_after == 0:
        app.quit()


def run_window(args: argparse.Namespace) -> int:
    from PySide6 import QtCore, QtWidgets

    from ui.app_icon import app_icon
    from ui.first_paint import FirstPaint
    from ui.main_window import MainWindow, utc_now

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setWindowIcon(app_icon())
    demo_dir = None
    rigs: list[SimulatedRig] = []  # simulated devices this window started (the demo's, or set-up's choice)
    devices: list[Device] = []
    data_dir = args.data_dir
    demo_cached = False
    background = None
    if args.demo and data_dir is None:
        from ui.demo import copy_cached_demo, demo_cache_path

        demo_dir = tempfile.TemporaryDirectory(prefix="glutelab-demo-")
        data_dir = demo_dir.name
        demo_cached = copy_cached_demo(demo_cache_path(settings.Settings().conditioning),
                                       Path(data_dir) / "glutelab.sqlite3")
    ws = Workstation.open(data_dir, None if args.demo else args.database_url)
    try:
        if args.demo:
            from ui.demo import DEMO_USERS, BackgroundDemo, create_demo_users, demo_cache_path

            if demo_cached:
                users = list(DEMO_USERS)
            else:  # first start: the window opens now, the patients follow from a worker thread once it is painted
                users, physio = create_demo_users(ws.factory)
                background = BackgroundDemo(ws.factory, ws.settings.conditioning, physio, ws.data_dir.database_path,
                                            demo_cache_path(ws.settings.conditioning))
                QtCore.QTimer.singleShot(BackgroundDemo.START_AFTER_MS, background.start)
                print("GluteLab demo: preparing the demo patients in the background (first start only)", flush=True)
            print("GluteLab demo: throwaway database in", ws.data_dir.root, flush=True)
            for username, password, role in users:
                print(f"  demo user {username} / {password} ({role})", flush=True)

        def sign_in(username: str, password: str) -> Actor:
            return audited_sign_in(ws.factory, username, password)

        def make_first_admin(username: str, password: str) -> None:
            with unit_of_work(ws.factory) as s:
                create_first_admin(s, username, password)

        with ws.factory() as s:
            no_users = s.scalar(select(func.count(User.id))) == 0
        def session_simulator(protocol: str) -> tuple[str, str]:
            """A simulated patient for a session: the calibration timetable, then the exercise (SIMULATED)."""
            from ui.simulated_day import clinic_day_rig

            sim = clinic_day_rig(protocol).start()
            rigs.append(sim)
            return sim.emg_path, sim.plate_path

        window = MainWindow(ws.factory, sign_in, devices, " - DEMO (simulated devices)" if args.demo else "",
                            idle_lock_minutes=ws.settings.idle_lock_minutes, conditioning=ws.settings.conditioning,
                            create_first_admin=make_first_admin if no_users else None,
                            spool_dir=ws.data_dir.spool, clock=utc_now, start_simulator=session_simulator,
                            reports_dir=ws.data_dir.reports, settings=ws.settings)
        for note in ws.notes:
            window.show_notice(note)
        window.devices_page.emg_port.setCurrentText(ws.settings.last_port_emg)
        window.devices_page.plate_port.setCurrentText(ws.settings.last_port_plate)

        def track(new_devices: list[Device]) -> None:
            devices.extend(new_devices)
            remember_ports(ws, new_devices)

        def start_simulator() -> None:
            """A fresh simulated rig (its recordings are marked SIMULATED); all are stopped at exit."""
            from devices.simulator.rig import SimulatedRig

            sim = SimulatedRig(profile="typical", reps=50).start()
            rigs.append(sim)
            window.devices_page.emg_port.setCurrentText(sim.emg_path)
            window.devices_page.plate_port.setCurrentText(sim.plate_path)
            window.devices_page.connect_devices()

        window.devices_changed.connect(track)
        window.devices_page.simulator_requested.connect(start_simulator)
        if args.demo:
            from ui.demo import LIVE_RIG_AFTER_MS, live_demo_rig

            def demo_rig_ready(rig: SimulatedRig) -> None:
                """The demo's simulated devices, prepared on a worker (the simulator loads SciPy: seconds), are
                connected once ready; the live page then shows them streaming."""
                rigs.append(rig.start())
                window.devices_page.emg_port.setCurrentText(rig.emg_path)
                window.devices_page.plate_port.setCurrentText(rig.plate_path)
                window.devices_page.connect_devices()

            QtCore.QTimer.singleShot(LIVE_RIG_AFTER_MS, lambda: window.workers.submit(
                live_demo_rig, on_done=demo_rig_ready, name="demo devices"))
        for dev in devices:
            dev.start()
        if args.demo:
            window.on_signed_in(sign_in("physio", "demo-physio-1"))
            if devices:
                window.show_page(window.live)
        if args.quit_after is not None:
            FirstPaint(window.stack.currentWidget(), lambda stamp: _first_paint(stamp, args.quit_after, app))
        window.show()
        if args.quit_after:
            QtCore.QTimer.singleShot(int(args.quit_after * 1000), app.quit)
        app.exec()
        frames = window.live.frames
        window.live.stop()
        if args.quit_after:
            print(f"frames drawn: {frames}", flush=True)
            if devices and frames == 0:
                return 1
        return 0
    finally:
        if background is not None:
            background.stop()
        for dev in devices:
            dev.close()
        for sim in rigs:
            sim.stop()
        ws.close()
        if demo_dir is not None:
            demo_dir.cleanup()

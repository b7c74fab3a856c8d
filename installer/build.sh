#!/usr/bin/env bash
# Build the GluteLab one-folder bundle on Linux: <dist>/glutelab/glutelab (default dist/ in the checkout).
#
#   installer/build.sh [--dist DIR] [--work DIR] [--venv DIR] [--no-checks]
#
# The build venv holds the runtime dependencies (pyproject's `dependencies` and the `postgres` extra) and
# PyInstaller only. By default it lives outside the source tree in ~/.cache/glutelab-build/, named by a hash of
# what goes in it, so a second build reuses it; --venv DIR puts it elsewhere.
# Unless --no-checks: the bundle's selftest runs offscreen (and under xvfb-run when present), then the start
# time to the painted sign-in screen is measured. The last line printed is one JSON object with the figures.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller"
VENV=""
CHECKS=1
PYTHON="${PYTHON:-python3}"
PYINSTALLER_REQ="pyinstaller>=6.10,<7"

while [ $# -gt 0 ]; do
  case "$1" in
    --dist) DIST="$(realpath -m "$2")"; shift 2 ;;
    --work) WORK="$(realpath -m "$2")"; shift 2 ;;
    --venv) VENV="$(realpath -m "$2")"; shift 2 ;;
    --no-checks) CHECKS=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

say() { echo "# build: $*" >&2; }

# --- host packages. X11 libraries: Qt's xcb platform plugin links them; PyInstaller bundles them from this host, and
#     without them the bundle runs offscreen but aborts under a real X server ("Library not found").
#     Xvfb too, so the bundle's self-test also runs on a real (virtual) X server; and binutils, whose strip and
#     readelf the spec uses (without them the bundle is built unstripped, about 50 MB larger).
HOST_PACKAGES="libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxcb-cursor0 libxkbcommon-x11-0 libxkbcommon0 libegl1 libgl1
  libfontconfig1 libdbus-1-3
  binutils
  xvfb xauth"  # the last two: to run the bundle's self-test under a real X server (xvfb-run)
if command -v dpkg-query >/dev/null; then
  missing=""
  for pkg in $HOST_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing build host packages (X11 libraries for Qt's xcb plugin, binutils, Xvfb):$missing"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >&2 \
        || say "WARNING: could not install$missing; the bundle may run only offscreen, or unstripped"
    else
      say "WARNING: missing$missing (install them as root); the bundle may run only offscreen, or unstripped"
    fi
  fi
fi

# --- the build venv: runtime dependencies + PyInstaller, nothing else
REQS="$("$PYTHON" - "$ROOT/pyproject.toml" <<'EOF'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["postgres"]))
EOF
)"
REQS="$REQS
$PYINSTALLER_REQ"
if [ -z "$VENV" ]; then
  KEY="$( { "$PYTHON" -c 'import sys; print(sys.version)'; echo "$REQS"; } | sha256sum | cut -c1-16)"
  VENV="${XDG_CACHE_HOME:-$HOME/.cache}/glutelab-build/venv-$KEY"
fi
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9  # two builds at once (parallel CI runs) must not make the same venv together
if [ ! -f "$VENV/.complete" ]; then
  say "making the build venv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  echo "$REQS" > "$VENV/requirements.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$VENV/requirements.txt" >&2
  touch "$VENV/.complete"
else
  say "reusing the build venv $VENV"
fi
flock -u 9

# --- the bundle
start=$(date +%s.%N)
mkdir -p "$DIST" "$WORK"
say "PyInstaller -> $DIST/glutelab"
"$VENV/bin/python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" "$ROOT/installer/glutelab.spec" >&2
build_s=$("$PYTHON" -c "import sys; print(round($(date +%s.%N) - $start, 1))")
BUNDLE="$DIST/glutelab/glutelab"
[ -x "$BUNDLE" ] || { say "no $BUNDLE after the build"; exit 1; }
size_mb=$(du -sm --apparent-size "$DIST/glutelab" | cut -f1)
say "built in ${build_s} s, ${size_mb} MB unpacked"

if [ "$CHECKS" = 0 ]; then
  echo "{\"bundle\": \"$BUNDLE\", \"size_mb\": $size_mb, \"build_s\": $build_s}"
  exit 0
fi

# --- the install proves itself
say "selftest (offscreen)"
QT_QPA_PLATFORM=offscreen "$BUNDLE" selftest >&2
xcb="\"not run: no xvfb-run\""
if command -v xvfb-run >/dev/null; then
  say "selftest (xcb under xvfb-run)"
  QT_QPA_PLATFORM=xcb xvfb-run -a "$BUNDLE" selftest >&2
  xcb="true"
fi
start_json=$(QT_QPA_PLATFORM=offscreen "$BUNDLE" bench --only bundle --json)
echo "$start_json" >&2
start_s=$("$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1]).get("bundle_start_s", "null"))' "$start_json")
echo "{\"bundle\": \"$BUNDLE\", \"size_mb\": $size_mb, \"build_s\": $build_s, \"selftest_offscreen\": true, \
\"selftest_xcb\": $xcb, \"bundle_start_s\": $start_s}"

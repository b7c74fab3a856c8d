#!/usr/bin/env bash
# Install a built bundle for every user of this Linux workstation (as root):
#   installer/install-linux.sh [BUNDLE_DIR]      (default: dist/glutelab)
# Copies the bundle to /opt/glutelab, adds the menu entry and the icon. The clinic's data is not here but in
# each user's data dir (~/.local/share/GluteLab) or the clinic's PostgreSQL; uninstalling (rm -rf /opt/glutelab
# and the two files below) never touches it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUNDLE="$(realpath "${1:-$ROOT/dist/glutelab}")"
[ -x "$BUNDLE/glutelab" ] || { echo "install-linux.sh: no bundle at $BUNDLE (run installer/build.sh)" >&2; exit 2; }
rm -rf /opt/glutelab
cp -a "$BUNDLE" /opt/glutelab
install -Dm644 "$ROOT/installer/glutelab.desktop" /usr/share/applications/glutelab.desktop
for size in 16 24 32 48 64 128 256; do
  install -Dm644 "$ROOT/resources/icons/glutelab-$size.png" "/usr/share/icons/hicolor/${size}x${size}/apps/glutelab.png"
done
install -Dm644 "$ROOT/resources/icons/glutelab.svg" /usr/share/icons/hicolor/scalable/apps/glutelab.svg
command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q /usr/share/icons/hicolor || true
echo "GluteLab installed in /opt/glutelab; check it with: /opt/glutelab/glutelab selftest"

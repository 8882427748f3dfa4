#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only when they are missing.
# Usage: scripts/system-deps.sh test|demo|bench
set -euo pipefail

case "${1:-}" in
  # xvfb + GL: a real X display for the Kivy tests; libmtdev1: Kivy's touch input provider;
  # chromium: the console's browser tests (Playwright drives it by executable_path).
  # golang-go + golang-golang-x-mod-dev: Go's sumdb note and tlog packages, which check the
  # transparency log's checkpoints, proofs and tiles (tests/test_tlog_interop.py).
  test)  packages=(xvfb libgl1-mesa-dri libmtdev1 chromium fonts-dejavu-core
                   golang-go golang-golang-x-mod-dev) ;;
  demo)  packages=(libgl1-mesa-dri libmtdev1) ;;
  bench) packages=(nginx-light wrk xvfb libgl1-mesa-dri libmtdev1) ;;  # references, load, a display
  *) echo "usage: $0 test|demo|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

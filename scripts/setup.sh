#!/usr/bin/env bash
# Set-up for Canopy on Debian: system libraries (apt-get, when root), then .venv/ with the
# locked Python dependencies. Idempotent and quick when nothing changed.
#   scripts/setup.sh run    libraries the show needs
#   scripts/setup.sh test   those plus the real parts the test suite drives
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

runtime_pkgs=(libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri libportaudio2 libasound2-plugins)
# systemd: its systemd-analyze checks the gallery unit that scripts/install_gallery.sh writes.
# iproute2: the web tests' private network namespace (ip); chromium and chromium-driver:
# the page for the phone in a real browser; jackd2: a MIDI graph (JACK's dummy backend).
test_pkgs=(pulseaudio pulseaudio-utils xvfb x11-apps xdotool ffmpeg liblo-tools sox systemd
    iproute2 chromium chromium-driver jackd2)
pkgs=("${runtime_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    pkgs+=(python3 python3-venv)
fi

missing=()
if command -v dpkg-query >/dev/null; then
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: missing system packages. Run this once, then try again:" >&2
        echo "    sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: Canopy needs Python >= 3.11; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    exit 1
fi

# The stamp records what was installed: a hash of the two files that decide it. When it
# matches, pip is not run at all, so `make run` works offline on a gallery machine once set
# up (pip would reach for the index even with everything installed). A test set-up installs
# everything a run needs, so its stamp serves a run too.
key="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
stamp=".venv/.installed-$mode"
current() {  # $1: a stamp file
    [ -f "$1" ] || return 1
    [ "$(cat "$1")" = "$key" ] && return 0
    # A stamp from before stamps held the hash is empty: trust it as the old rule did (newer
    # than both files) and upgrade it, rather than reinstalling on every machine once.
    if [ ! -s "$1" ] && [ "$1" -nt pyproject.toml ] && [ "$1" -nt constraints.txt ]; then
        echo "$key" >"$1"
        return 0
    fi
    return 1
}
if [ -x .venv/bin/python ]; then
    if current "$stamp" || { [ "$mode" = run ] && current .venv/.installed-test; }; then
        exit 0
    fi
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
extra=""
[ "$mode" = test ] && extra="[test,distributed]"
echo "setup: installing Python dependencies into .venv/ (locked by constraints.txt)"
.venv/bin/python -m pip install -q -c constraints.txt -e ".$extra"
echo "$key" >"$stamp"

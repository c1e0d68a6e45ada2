#!/usr/bin/env bash
# Installs Canopy's gallery show for the kiosk user as a systemd user unit in the graphical
# session, or removes it. Run it as the kiosk user (the one the display manager logs in),
# from this checkout; run it again after an update or to change the venue: it is idempotent.
#
#   scripts/install_gallery.sh VENUE.toml [--no-setup]   install or update, then (re)start
#   scripts/install_gallery.sh --uninstall                stop, disable and remove it
#   (or: make install-gallery VENUE=...   make uninstall-gallery)
#
# What it does: the set-up (scripts/setup.sh run: .venv/ with the locked dependencies),
# `canopy check-config VENUE` (a broken venue installs nothing), then it writes
#   $XDG_CONFIG_HOME/systemd/user/canopy.service   from hardware_config/systemd/canopy.service
#   $XDG_CONFIG_HOME/autostart/canopy.desktop      hands $DISPLAY to systemd, starts the show
# ($XDG_CONFIG_HOME is ~/.config unless set), enables the unit, and when this shell reaches
# the user's systemd manager reloads it and (re)starts the show; otherwise it prints the one
# command to run later from the kiosk session.
#
# --no-setup (or CANOPY_SKIP_SETUP=1) skips the set-up when .venv/ is already there (tests).
# As root it refuses (a root install would go to root's own session), unless
# CANOPY_ALLOW_ROOT=1 says root really is the kiosk user.
set -euo pipefail

die() {
    echo "install-gallery: $*" >&2
    exit 2
}

uninstall=0
setup=1
[ "${CANOPY_SKIP_SETUP:-}" = 1 ] && setup=0
venue=""
for arg in "$@"; do
    case "$arg" in
        --uninstall) uninstall=1 ;;
        --no-setup) setup=0 ;;
        -h | --help)
            sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*) die "unknown option $arg (see --help)" ;;
        "") ;;
        *)
            [ -z "$venue" ] || die "one venue file at a time (got '$venue' and '$arg')"
            venue="$arg"
            ;;
    esac
done

if [ "$(id -u)" = 0 ] && [ "${CANOPY_ALLOW_ROOT:-}" != 1 ]; then
    die "run this as the kiosk user who logs into the gallery's graphical session, not as" \
        "root (for example: sudo -u kiosk -i make -C $(pwd) install-gallery VENUE=...)"
fi

# The venue is named relative to where the command was typed; the rest to the checkout.
if [ "$uninstall" = 0 ]; then
    [ -n "$venue" ] || die "say which venue: make install-gallery VENUE=hardware_config/NAME.toml"
    [ -f "$venue" ] || die "no venue file '$venue'"
    venue="$(realpath "$venue")"
fi
root="$(cd "$(dirname "$0")/.." && pwd -P)"
cd "$root"
case "$root$venue" in *$'\n'* | *$'\r'*) die "a path with a line break cannot go in a unit" ;; esac
if [ "$uninstall" = 0 ]; then
    case "$root" in
        *\'* | *\"* | *\\*)
            die "systemd refuses a command whose path has a quote or a backslash, as this" \
                "checkout's does ($root): move or clone it elsewhere (for example ~/canopy)"
            ;;
    esac
fi

config_home="${XDG_CONFIG_HOME:-$HOME/.config}"
case "$config_home" in /*) ;; *) config_home="$HOME/.config" ;; esac
unit_dir="$config_home/systemd/user"
unit="$unit_dir/canopy.service"
autostart="$config_home/autostart/canopy.desktop"

# Whether this shell reaches the user's systemd manager (not under plain `sudo -u`, nor in
# a container without one). Without it the unit is enabled by writing the symbolic link
# `systemctl --user enable` would make: on a machine booted with systemd, systemctl itself
# refuses to enable a user unit without the user's bus.
wants_link="$unit_dir/graphical-session.target.wants/canopy.service"
have_systemctl=0
command -v systemctl >/dev/null && have_systemctl=1
reachable=0
if [ "$have_systemctl" = 1 ] && systemctl --user show-environment >/dev/null 2>&1; then
    reachable=1
fi

if [ "$uninstall" = 1 ]; then
    if [ "$reachable" = 1 ] && [ -f "$unit" ]; then
        systemctl --user disable --now canopy.service || true
    fi
    rm -f "$unit" "$autostart" "$wants_link"
    [ "$reachable" = 1 ] && systemctl --user daemon-reload
    echo "install-gallery: removed the canopy user unit and its autostart entry."
    echo "  The show's data (snapshots, journal, logs) is kept; it is in ~/.local/state/canopy"
    echo "  unless the venue names another [show] data_dir."
    exit 0
fi

# ------------------------------------------------------------------ the set-up and the venue
if [ "$setup" = 1 ]; then
    bash scripts/setup.sh run
elif [ ! -x .venv/bin/canopy ]; then
    die "no .venv/bin/canopy in $root: run without --no-setup (or bash scripts/setup.sh run)"
fi
echo "install-gallery: checking $venue"
if ! .venv/bin/canopy check-config "$venue"; then
    die "the venue file is not valid (see above); nothing was installed"
fi

# ------------------------------------------------------------------ the unit, from its template
# systemd unit syntax: '%' starts a specifier everywhere; ExecStart splits words at spaces
# and unescapes them C-style (systemd.syntax(7)), and expands '$VAR' in its arguments (not
# in the command's own path: checked with systemd-analyze verify).
unit_value() {
    local s="$1"
    printf '%s' "${s//%/%%}"
}
exec_arg() {
    local s="$1"
    s="${s//\$/\$\$}"
    exec_word "$s"
}
exec_word() {
    local s="$1"
    s="${s//\\/\\\\}"
    s="${s//%/%%}"
    s="${s//\"/\\\"}"
    s="${s//\'/\\\'}"
    s="${s// /\\s}"
    s="${s//$'\t'/\\t}"
    printf '%s' "$s"
}
# Bash 5.2 would otherwise read '&' in a replacement as the matched text.
shopt -u patsub_replacement 2>/dev/null || true
root_plain="$(unit_value "$root")"
venue_plain="$(unit_value "$venue")"
root_exec="$(exec_word "$root")"
venue_exec="$(exec_arg "$venue")"

render() {
    echo "# Canopy's gallery show, for this user's graphical session. Written by"
    echo "# scripts/install_gallery.sh from hardware_config/systemd/canopy.service in"
    echo "# $root_plain; edit the template or the venue and install again, not this file."
    local started=0 line
    while IFS= read -r line || [ -n "$line" ]; do
        if [ "$started" = 0 ]; then
            [ "$line" = "[Unit]" ] || continue # the template's own header stays there
            started=1
            echo
        fi
        case "$line" in
            ExecStart=*)
                line="${line//@CANOPY_ROOT@/"$root_exec"}"
                line="${line//@VENUE@/"$venue_exec"}"
                ;;
            *)
                line="${line//@CANOPY_ROOT@/"$root_plain"}"
                line="${line//@VENUE@/"$venue_plain"}"
                ;;
        esac
        printf '%s\n' "$line"
    done <hardware_config/systemd/canopy.service
}

mkdir -p "$unit_dir" "$(dirname "$autostart")"
tmp="$(mktemp "$unit_dir/.canopy.service.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
render >"$tmp"
changed=1
if [ -f "$unit" ] && cmp -s "$tmp" "$unit"; then
    changed=0
    rm -f "$tmp"
else
    chmod 644 "$tmp"
    mv "$tmp" "$unit" # atomic: a manager reading the folder never sees half a unit
fi
trap - EXIT
[ "$changed" = 1 ] && echo "install-gallery: wrote $unit" || echo "install-gallery: $unit is current"

# Desktops that do not start graphical-session.target (Xfce, LXDE, a bare window manager)
# still run XDG autostart entries: this one hands the session's display to the user manager
# and starts the show. Where the target does start it, starting it again does nothing.
cat >"$autostart" <<'EOF'
[Desktop Entry]
Type=Application
Name=Canopy gallery show
Comment=Starts the systemd user unit canopy.service in this session (scripts/install_gallery.sh)
Exec=sh -c "systemctl --user import-environment DISPLAY XAUTHORITY WAYLAND_DISPLAY; systemctl --user start canopy.service"
NoDisplay=true
X-GNOME-Autostart-enabled=true
EOF

# ------------------------------------------------------------------ systemd
if [ "$have_systemctl" = 0 ]; then
    echo "install-gallery: systemctl is missing (this machine does not run systemd): the unit" \
        "is written but nothing will start it"
    exit 0
fi
if [ "$reachable" = 1 ]; then
    systemctl --user daemon-reload
    systemctl --user enable canopy.service
    if systemctl --user is-active -q canopy.service; then
        systemctl --user restart canopy.service
        echo "install-gallery: restarted the show (it resumes from its newest snapshot)"
    elif systemctl --user show-environment | grep -q '^DISPLAY='; then
        systemctl --user start canopy.service || true
        echo "install-gallery: started the show"
    else
        echo "install-gallery: enabled; the show starts with the next graphical login"
    fi
    echo "  status: systemctl --user status canopy    log: journalctl --user -u canopy -f"
else
    mkdir -p "$(dirname "$wants_link")"
    ln -sfn "$unit" "$wants_link"
    echo "install-gallery: enabled; the show starts with the kiosk user's next graphical login."
    echo "  This shell does not reach the user's systemd manager (as under 'sudo -u'), so it"
    echo "  could not be started now. To start it now, run this in the kiosk user's session:"
    echo "    systemctl --user daemon-reload && systemctl --user restart canopy.service"
    echo "  (No 'loginctl enable-linger' is needed: the show lives in the graphical session;"
    echo "  let the display manager log the kiosk user in automatically.)"
fi

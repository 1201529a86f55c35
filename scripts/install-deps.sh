#!/usr/bin/env bash
# Installs the Debian packages listed in .ci/apt-packages that are missing, repairing a
# half-configured dpkg first (installing libsystemd-dev upgrades systemd packages, which
# can leave dpkg interrupted). Runs apt-get only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Two apt-get runs at once corrupt each other's install: hold one lock for the whole script.
if [ -z "${SLUICE_DEPS_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    export SLUICE_DEPS_LOCKED=1
    exec flock /tmp/sluice-apt.lock "$0" "$@"
fi

repair() {
    $SUDO dpkg --configure -a >/dev/null 2>&1 || true
    $SUDO apt-get -f install -y -qq >/dev/null 2>&1 || true
}

missing=()
while read -r pkg; do
    pkg="${pkg%%#*}"; pkg="$(echo "$pkg" | xargs)"
    [ -z "$pkg" ] && continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done < .ci/apt-packages

if [ -n "$($SUDO dpkg --audit 2>/dev/null)" ]; then
    echo "dpkg reports half-configured packages; repairing"
    repair
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    if ! $SUDO apt-get install -y -qq "${missing[@]}"; then
        repair
        $SUDO apt-get install -y -qq "${missing[@]}"
    fi
    repair
fi
# rsyslog's package may start a system daemon where an init system runs; the tests start
# their own rsyslog instances on private ports and do not need it.
pkg-config --exists libsystemd || { echo "libsystemd not found by pkg-config after install" >&2; exit 1; }
# Python test tools (pinned): mmdb-writer for the GeoIP tests.
bash scripts/install-test-tools.sh

#!/usr/bin/env bash
# Installs the newest dist/sluice_*.deb with dpkg -i (as root), checks the installed agent
# from its installed paths (version, validate, man page, completions, unit), then removes it
# with dpkg --purge and checks that nothing is left but what the documented policy keeps
# (the sluice system user and group). Ends with "package: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "test-package: needs root (dpkg -i)" >&2; exit 1; fi
DEB="$(ls -t dist/sluice_*.deb 2>/dev/null | head -n 1)"
[ -n "$DEB" ] || { echo "test-package: no dist/sluice_*.deb; run make deb" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# dpkg and apt-get runs at once corrupt each other: hold the lock install-deps.sh uses.
if [ -z "${SLUICE_DEPS_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
    export SLUICE_DEPS_LOCKED=1
    exec flock /tmp/sluice-apt.lock "$0" "$@"
fi

passed=0; failed=0
check() {
    local name="$1"; shift
    if "$@" >/tmp/sluice-pkg-check.log 2>&1; then
        echo "ok   $name"; passed=$((passed + 1))
    else
        echo "FAIL $name"; sed 's/^/     /' /tmp/sluice-pkg-check.log | tail -n 20; failed=$((failed + 1))
    fi
}

if dpkg-query -W -f='${Status}' sluice 2>/dev/null | grep -q installed; then
    echo "a sluice package is installed already; purging it first"
    dpkg --purge sluice >/dev/null
fi

echo "== dpkg -i $DEB"
check "dpkg -i installs the package" dpkg -i "$DEB"
mapfile -t FILES < <(dpkg -L sluice 2>/dev/null)
UNIT=/usr/lib/systemd/system/sluice.service

check "sluice version runs from /usr/bin" sh -c '/usr/bin/sluice version | grep -q "^sluice [0-9]"'
check "the installed binary's malloc is jemalloc's" sh -c '/usr/bin/sluice version | grep -q "^allocator: jemalloc [0-9]" && ! /usr/bin/sluice version | grep -q "not serving"'
check "sluice validate --config /etc/sluice/sluice.yaml" /usr/bin/sluice validate --config /etc/sluice/sluice.yaml
for p in /usr/share/sluice/pipelines/*.yaml; do
    check "shipped pipeline $(basename "$p") validates" /usr/bin/sluice validate --config "$p"
done
check "sluice.yaml is a conffile" grep -qx /etc/sluice/sluice.yaml /var/lib/dpkg/info/sluice.conffiles
check "user sluice exists (sysusers)" getent passwd sluice
check "config is root:sluice 0640" test "$(stat -c %U:%G:%a /etc/sluice/sluice.yaml)" = "root:sluice:640"
check "state directory /var/lib/sluice" test "$(stat -c %U:%a /var/lib/sluice)" = "sluice:750"
check "Depends lists libsystemd0 (from the binary's libraries)" sh -c "dpkg-query -W -f='\${Depends}' sluice | grep -q libsystemd0"
check "Swift runtime is linked statically" sh -c '! ldd /usr/bin/sluice | grep -q libswiftCore'
check "man sluice renders" sh -c 'man -w sluice | grep -qx /usr/share/man/man1/sluice.1.gz && MANWIDTH=100 man sluice 2>/dev/null | sed "s/.\x08//g" | grep -q "sluice validate"'
check "bash completion loads" bash -c '. /usr/share/bash-completion/completions/sluice && complete -p sluice'
check "zsh and fish completions installed" test -s /usr/share/zsh/vendor-completions/_sluice -a -s /usr/share/fish/vendor_completions.d/sluice.fish
check "systemd-analyze verify sluice.service" systemd-analyze verify "$UNIT"
check "the unit allows the default bottleneck_priority (LimitNICE=-5)" grep -qx "LimitNICE=-5" "$UNIT"
# Upgrade path (same package again: postinst configure with the old version): the
# operator's edit of the conffile and its permissions are kept.
echo "# edited by the operator" >> /etc/sluice/sluice.yaml
check "reinstall/upgrade with dpkg -i" dpkg -i "$DEB"
check "upgrade keeps the edited sluice.yaml" grep -qx "# edited by the operator" /etc/sluice/sluice.yaml
check "upgrade keeps root:sluice 0640" test "$(stat -c %U:%G:%a /etc/sluice/sluice.yaml)" = "root:sluice:640"
if score="$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | tail -n 1)"; then
    echo "     systemd-analyze security --offline=true: $score"
fi

echo "== dpkg --purge sluice"
check "dpkg --purge removes the package" dpkg --purge sluice
left=()
for f in "${FILES[@]}"; do
    # Shared directories (/usr/share/man/man1, ...) stay; the package's own paths must not.
    if [ -d "$f" ] && [[ "$f" != *sluice* ]]; then continue; fi
    if [ -e "$f" ]; then left+=("$f"); fi
done
check "no file of the package is left" test "${#left[@]}" -eq 0
[ "${#left[@]}" -eq 0 ] || printf '     left: %s\n' "${left[@]}"
check "configuration, state and logs removed" test ! -e /etc/sluice -a ! -e /var/lib/sluice -a ! -e /var/log/sluice
check "the sluice user is kept (documented)" getent passwd sluice

echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]

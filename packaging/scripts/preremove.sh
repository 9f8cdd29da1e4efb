#!/bin/sh
# otelcol-rds: deb prerm (remove|upgrade|...) and rpm %preun ($1: 0 erase, 1 upgrade).
# On removal (not on upgrade) stops and disables the service. DPKG_ROOT: see preinstall.sh.
set -e

root="${DPKG_ROOT:-}"
name=otelcol-rds

case "${1:-}" in
remove | 0) ;;
*) exit 0 ;;
esac

if [ -d "$root/run/systemd/system" ]; then
	systemctl stop "$name.service" || true
fi
if command -v systemctl >/dev/null 2>&1; then
	if [ -n "$root" ]; then
		systemctl --root="$root" disable "$name.service" >/dev/null 2>&1 || true
	else
		systemctl --no-reload disable "$name.service" >/dev/null 2>&1 || true
	fi
fi

exit 0

#!/bin/sh
# otelcol-rds: deb postrm (remove|purge|upgrade|...) and rpm %postun ($1: 0 erase, 1 upgrade).
# Makes systemd forget the removed unit; a deb purge also deletes the receiver's state
# (/var/lib/otelcol-rds). The otelcol-rds user and group stay (files it may own keep a known
# owner); `userdel otelcol-rds` removes them. DPKG_ROOT: see preinstall.sh.
set -e

root="${DPKG_ROOT:-}"

if [ "${1:-}" = purge ]; then
	rm -rf "$root/var/lib/otelcol-rds"
fi

if [ -d "$root/run/systemd/system" ]; then
	systemctl daemon-reload || true
fi

exit 0

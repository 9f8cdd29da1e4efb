#!/bin/sh
# otelcol-rds: deb postrm (remove|purge|upgrade|...) and rpm %postun ($1: 0 erase, 1 upgrade).
# Makes systemd forget the removed unit. The otelcol-rds user and group stay (files it may own
# keep a known owner); `userdel otelcol-rds` removes them. DPKG_ROOT: see preinstall.sh.
set -e

root="${DPKG_ROOT:-}"

if [ -d "$root/run/systemd/system" ]; then
	systemctl daemon-reload || true
fi

exit 0

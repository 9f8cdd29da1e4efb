#!/bin/sh
# otelcol-rds: deb postinst (configure [old-version]) and rpm %post ($1: 1 install, 2 upgrade).
# Never starts the service on a first install: it needs credentials first. An upgrade restarts
# it if it was running. DPKG_ROOT: see preinstall.sh.
set -e

root="${DPKG_ROOT:-}"
name=otelcol-rds
envfile="$root/etc/otelcol-rds/otelcol-rds.env"
statedir="$root/var/lib/otelcol-rds"

upgrade=false
case "${1:-}" in
configure) if [ -n "${2:-}" ]; then upgrade=true; fi ;;
[0-9]*) if [ "$1" -ge 2 ]; then upgrade=true; fi ;;
esac

# The environment file may hold credentials: root writes it, the service user only reads it.
# The package says so already; this also covers package managers that could not resolve the
# group's name while unpacking. Only on a first install: later, the administrator's choice stays.
if [ -n "$root" ]; then
	uid=$(awk -F: -v n="$name" '$1 == n { print $3 }' "$root/etc/passwd")
	gid=$(awk -F: -v n="$name" '$1 == n { print $3 }' "$root/etc/group")
else
	uid=$(getent passwd "$name" | cut -d: -f3)
	gid=$(getent group "$name" | cut -d: -f3)
fi
if [ "$upgrade" = false ] && [ -f "$envfile" ] && [ -n "$gid" ]; then
	chown "0:$gid" "$envfile"
	chmod 0640 "$envfile"
fi

# The receiver's durable state (file_storage) belongs to the service user, as the unit's
# StateDirectory= makes it on every start; its mode is the administrator's after a first install.
if [ ! -d "$statedir" ]; then
	mkdir -p "$statedir"
	chmod 0750 "$statedir"
elif [ "$upgrade" = false ]; then
	chmod 0750 "$statedir"
fi
if [ -n "$uid" ] && [ -n "$gid" ]; then
	chown "$uid:$gid" "$statedir"
fi

if [ -d "$root/run/systemd/system" ]; then
	systemctl daemon-reload || true
	if [ "$upgrade" = true ]; then
		systemctl try-restart "$name.service" || true
	fi
fi

if [ "$upgrade" = false ]; then
	echo "otelcol-rds: set the region and credentials in /etc/otelcol-rds/otelcol-rds.env, then"
	echo "  systemctl enable --now otelcol-rds"
fi

exit 0

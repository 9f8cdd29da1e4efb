#!/bin/sh
# otelcol-rds: deb preinst (install|upgrade ...) and rpm %pre ($1: 1 install, 2 upgrade).
# Creates the system user and group the service runs as, before the files are unpacked (the
# environment file belongs to the group). Idempotent.
# DPKG_ROOT is set by `dpkg --root=DIR --force-script-chrootless`: the scripts then change DIR,
# never the running system (the package tests install into a throwaway root that way).
set -e

root="${DPKG_ROOT:-}"
name=otelcol-rds

exists() { # exists passwd|group NAME
	if [ -n "$root" ]; then
		grep -q "^$2:" "$root/etc/$1" 2>/dev/null
	else
		getent "$1" "$2" >/dev/null
	fi
}

if ! exists group "$name"; then
	if [ -n "$root" ]; then
		groupadd --system --prefix "$root" "$name"
	elif command -v groupadd >/dev/null 2>&1; then
		groupadd --system "$name"
	else
		addgroup --system "$name"
	fi
fi

if ! exists passwd "$name"; then
	if [ -n "$root" ]; then
		useradd --system --prefix "$root" --gid "$name" --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --comment "otelcol-rds service" "$name"
	elif command -v useradd >/dev/null 2>&1; then
		useradd --system --gid "$name" --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --comment "otelcol-rds service" "$name"
	else
		adduser --system --ingroup "$name" --no-create-home --home /nonexistent \
			--shell /usr/sbin/nologin --gecos "otelcol-rds service" "$name"
	fi
fi

exit 0

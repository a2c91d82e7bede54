#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries are installed, installing Debian's
# postgresql package when they are not. Prints the binaries' directory.
set -euo pipefail

find_bindir() {
	if command -v pg_config >/dev/null 2>&1; then
		local d
		d=$(pg_config --bindir 2>/dev/null || true)
		if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
	fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
	done
	return 1
}

if bindir=$(find_bindir); then
	echo "$bindir"
	exit 0
fi

echo "PostgreSQL server binaries not found; installing Debian's postgresql package" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >&2
# The package starts a system cluster on 5432; this project runs its own.
$sudo service postgresql stop >/dev/null 2>&1 || true
bindir=$(find_bindir) || { echo "PostgreSQL installed but initdb not found" >&2; exit 1; }
echo "$bindir"

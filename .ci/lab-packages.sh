#!/usr/bin/env bash
# The Debian packages the router lab (test/lab) needs: strongSwan (charon + swanctl, kernel-libipsec),
# FRR, OpenSSH, socat, sudo, and iptables (the lab's NAT and MSS clamping). Installing them must not
# start their services on this machine: a policy-rc.d that refuses every start is in place for the
# install, and whatever was there before is put back afterwards. Idempotent: when everything is
# present it only runs `dpkg -s`.
set -euo pipefail

packages=(
	strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
	frr openssh-server openssh-client iproute2 socat sudo iptables
)

missing=()
for package in "${packages[@]}"; do
	dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "lab-packages: missing ${missing[*]} and cannot install them (needs root and apt-get)" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then
	backup="$(mktemp)"
	cp -p "$policy" "$backup"
fi
printf '#!/bin/sh\n# kakehashi lab-packages: do not start services while installing\nexit 101\n' >"$policy"
chmod +x "$policy"
cleanup() {
	if [ -n "$backup" ]; then
		mv -f "$backup" "$policy"
	else
		rm -f "$policy"
	fi
}
trap cleanup EXIT

echo "lab-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Belt and braces where systemd is PID 1: the lab runs its own daemons inside namespaces and wants
# none of these on the host.
if [ -d /run/systemd/system ]; then
	for unit in strongswan-starter strongswan frr ssh; do
		systemctl disable --now "$unit" >/dev/null 2>&1 || true
	done
fi

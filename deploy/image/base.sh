#!/bin/sh
# mmdebstrap extract hook for the image's base (deploy/image/build.sh): what
# the packages' maintainer scripts would have done that the gateway needs,
# done from outside, since the base has no shell to run them.
set -eu
root="$1"

# The dpkg status of what was unpacked, so image scanners see every package.
mkdir -p "$root/var/lib/dpkg"
for deb in "$root"/var/cache/apt/archives/*.deb; do
  dpkg-deb -f "$deb" | sed '1a Status: install ok installed'
  echo
done > "$root/var/lib/dpkg/status"

# The CA bundle libcurl reads (/etc/ssl/certs/ca-certificates.crt): every
# certificate ca-certificates ships, as its update-ca-certificates would
# join them by default.
mkdir -p "$root/etc/ssl/certs"
for cert in "$root"/usr/share/ca-certificates/*/*.crt; do
  sed -e '$a\' "$cert"
done > "$root/etc/ssl/certs/ca-certificates.crt"
test -s "$root/etc/ssl/certs/ca-certificates.crt"

# root and the gateway's own user (10001), nobody else; no login shell.
printf '%s\n' 'root:x:0:0:root:/root:/usr/sbin/nologin' \
  'linkgateway:x:10001:10001:linkgateway:/var/lib/linkgateway:/usr/sbin/nologin' \
  > "$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'linkgateway:x:10001:' > "$root/etc/group"
printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' > "$root/etc/nsswitch.conf"

# Where the volumes go: the unlink job store and the audit trail, owned by
# the gateway's user; /tmp for a tmpfs; the configuration's mount point.
mkdir -p "$root/var/lib/linkgateway" "$root/var/log/linkgateway/audit" "$root/tmp" \
  "$root/etc/linkgateway"
chown 10001:10001 "$root/var/lib/linkgateway" "$root/var/log/linkgateway/audit"
chmod 0750 "$root/var/lib/linkgateway" "$root/var/log/linkgateway/audit"
chmod 1777 "$root/tmp"

# The dynamic linker's cache, as libc-bin's trigger would make it.
ldconfig -r "$root"

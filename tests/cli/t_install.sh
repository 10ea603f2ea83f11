#!/usr/bin/env bash
# timeout: 60
# Proves `make install` puts the binary under test (0755) and the systemd unit (0644, ExecStart naming the installed path, running as a dynamic user with its state dir and the hardening keys) under DESTDIR/PREFIX, never builds, fails clearly with no binary, and that systemd-analyze verify accepts the unit where it exists.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
R=$T/root

# INSTALL_BIN: the binary under test (build/plain or build/san), not
# whatever ./hamroh the tree holds now.
make -s -C "$HAMROH_REPO" install DESTDIR="$R" PREFIX=/usr INSTALL_BIN="$H" \
    >"$T/make.out" 2>&1 || die "make install failed: $(cat "$T/make.out")"
bin=$R/usr/bin/hamroh
unit=$R/usr/lib/systemd/system/hamroh.service
[ -f "$bin" ] || die "no $bin after make install: $(cat "$T/make.out")"
[ -f "$unit" ] || die "no $unit after make install"
assert_eq "$(stat -c %a "$bin")" 755 "mode of the installed binary"
assert_eq "$(stat -c %a "$unit")" 644 "mode of the installed unit"
assert_same_file "$bin" "$H" "the installed binary"
expect_ok "$bin" --help >/dev/null
[ ! -e "$unit.tmp" ] || die "make install left $unit.tmp behind"
assert_eq "$(find "$R" -type f | sed "s|^$R||" | sort | tr '\n' ' ')" \
    "/usr/bin/hamroh /usr/lib/systemd/system/hamroh.service " "files installed"

# The unit: placeholder filled, one ExecStart on the installed path.
grep -qE '@[A-Z_]+@' "$unit" &&
    die "a placeholder is left in the unit: $(grep -E '@[A-Z_]+@' "$unit")"
assert_eq "$(grep '^ExecStart=' "$unit")" \
    "ExecStart=/usr/bin/hamroh --data /var/lib/hamroh agent" "ExecStart"
for kv in Restart=on-failure DynamicUser=yes StateDirectory=hamroh \
    KillSignal=SIGTERM UMask=0077 NoNewPrivileges=yes ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
    ProtectKernelTunables=yes ProtectKernelModules=yes \
    ProtectControlGroups=yes \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" LockPersonality=yes \
    MemoryDenyWriteExecute=yes SystemCallArchitectures=native \
    WantedBy=multi-user.target; do
	grep -qxF "$kv" "$unit" || die "the unit lacks the line '$kv'"
done
grep -q '^RestartSec=' "$unit" || die "the unit sets no RestartSec="
for s in '[Unit]' '[Service]' '[Install]'; do
	grep -qxF "$s" "$unit" || die "the unit lacks the section $s"
done

# PREFIX defaults to /usr/local, and BINDIR follows it into ExecStart.
make -s -C "$HAMROH_REPO" install DESTDIR="$T/root2" INSTALL_BIN="$H" \
    >"$T/make2.out" 2>&1 || die "make install (default PREFIX) failed: $(cat "$T/make2.out")"
assert_eq "$(grep '^ExecStart=' "$T/root2/usr/local/lib/systemd/system/hamroh.service")" \
    "ExecStart=/usr/local/bin/hamroh --data /var/lib/hamroh agent" "ExecStart with the default PREFIX"
[ -x "$T/root2/usr/local/bin/hamroh" ] || die "no /usr/local/bin/hamroh under DESTDIR"

# No binary: a clear error, nothing built, nothing installed.
rc=0
make -s -C "$HAMROH_REPO" install DESTDIR="$T/root3" INSTALL_BIN="$T/none" \
    >"$T/make3.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || die "make install with no binary succeeded"
assert_contains "$(cat "$T/make3.out")" "install: no $T/none to install; run 'make' first" \
    "make install with no binary"
[ ! -e "$T/root3" ] || die "make install with no binary installed something"

# systemd's own check, where systemd-analyze exists.  The installed unit
# names /usr/bin/hamroh, which is not on this machine: check a copy that
# names the installed file instead.  verify exits 0 even on unknown keys,
# so any output at all is a failure.
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T/verify"
	sed "s|/usr/bin/hamroh|$bin|" "$unit" >"$T/verify/hamroh.service"
	rc=0
	systemd-analyze verify --man=no "$T/verify/hamroh.service" \
	    >"$T/verify.out" 2>&1 || rc=$?
	[ $rc -eq 0 ] && [ ! -s "$T/verify.out" ] ||
	    die "systemd-analyze verify (exit $rc): $(cat "$T/verify.out")"
	echo "systemd-analyze verify: clean"
else
	echo "no systemd-analyze here: checked the unit's keys only"
fi
echo "t_install: ok"

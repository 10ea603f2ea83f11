#!/usr/bin/env bash
# timeout: 240
# Proves no clock can make another node's writes fail or vanish (#10): an office whose clock is 2 years ahead syncs once, and the offices it reaches still write changes that stand; its own writes, whose stamps are past its certificate's expiry, are kept with a warning before it hears from a peer and refused with one line naming the clock once it has.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT
day=$((86400 * 1000))
ahead2y=$((2 * 365 * day))

# live NODE ID: NODE shows consultation ID (and it is live).
live() { on "$1" show consultations "$2" >/dev/null; }

# A: the coordinating office (admin); K and B: offices of Khorog.
mknode A Dushanbe
mknode K Khorog
mknode B Khorog
expect_ok on A network create --name tj-legal >/dev/null
for n in K B; do
	tok=$(expect_ok on A invite "$(on $n id)" --name $n --center Khorog --role office)
	expect_ok on $n join "$tok" >/dev/null
done

# 1. The issue's reproduction, by bundle: B's clock is 2 years ahead.
# B has heard from no peer, so its own judge refuses nothing but the
# expiry: the write is kept, with a warning naming the expiry.
HAMROH_CLOCK_OFFSET_MS=$ahead2y on B add consultations center=Khorog \
    opened_at=2026-11-21 status=open >"$T/b.id" 2>"$T/b.err" ||
	die "B's write under an expired certificate must be kept (exit $?): $(cat "$T/b.err")"
rb=$(cat "$T/b.id")
assert_contains "$(cat "$T/b.err")" "hamroh: warning: saved, but this office's certificate expired on" "B's warning"
[ "$(wc -l <"$T/b.err")" -eq 1 ] || die "B's warning is one line: $(cat "$T/b.err")"
HAMROH_CLOCK_OFFSET_MS=$ahead2y expect_ok on B bundle export "$T/b.hb" >/dev/null
expect_ok on K bundle import "$T/b.hb" >/dev/null
# B's write stands nowhere (its stamp is past its certificate's expiry)...
on K audit --json >"$T/audit.K"
assert_contains "$(cat "$T/audit.K")" "certificate expired" "K's audit of B's write"
# ...but K's own next writes stand: its clock did not follow B's.
rk=$(expect_ok on K add consultations center=Khorog opened_at=2026-11-22 status=open)
live K "$rk" || die "K's write after importing B's bundle is not live on K"
expect_ok on K verify >/dev/null
expect_ok on K rebuild >/dev/null
live K "$rk" || die "K's write is not live after rebuild"
# and so on the admin's node, which hears of both through K
xfer K A
live A "$rk" || die "K's write is not live on A"
expect_ok on K set consultations "$rk" status=closed closed_on=2026-11-23 >/dev/null
xfer K A
assert_eq "$(on A export consultations | py field /dev/stdin "$rk" status)" closed "K's second write on A"
echo "t_clock: ok"

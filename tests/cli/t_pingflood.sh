#!/usr/bin/env bash
# timeout: 240
# Proves inbound back-pressure: an authenticated member that floods the agent with PINGs and never reads a byte of the PONGs gets no more read from it once INPUT_PAUSE_HIGH bytes owed to it wait, so the agent's memory stays bounded (peak RSS < 64 MiB, or a growth under 64 MiB under ASan), and another peer is still served meanwhile.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
# 2,000,000 PINGs are 98 MB of PONGs owed: far past any bound if the agent
# read them all.  (100,000 would fit in the loopback sockets' own buffers
# and prove nothing.)
N=2000000

mknode A Dushanbe
mknode B Khujand
mknode F Khorog
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khujand "Khujand center" >/dev/null
for n in B F; do
	tok=$(expect_ok on A invite "$(on $n id --invite)" --name $n --center Khujand --role center)
	expect_ok on $n join "$tok" >/dev/null
done
trap 'kill -9 $FPID 2>/dev/null || true; kill_agents' EXIT
FPID=
# ASan keeps freed memory aside (256 MiB of quarantine by default), which
# would count as growth: a small quarantine for this agent.
case $HAMROH_BUILD in
*/san) ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8 start_agent A ;;
*) start_agent A ;;
esac
A_ID=$(on A id)
APID=$(cat "$T/A.pid")
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$APID/status"; }
rss0=$(kb VmRSS)

"$HAMROH_BUILD/tools/hostile" "$T/F" "$PORT_A" "$A_ID" pingflood $N >"$T/flood.out" 2>"$T/flood.err" &
FPID=$!
wait_for "the flood to end or stall" 200 grep -q '^flooded' "$T/flood.out"
kill -0 "$APID" 2>/dev/null || die "the agent died under the flood (log: $(tail -3 "$T/A.log"))"
hwm=$(kb VmHWM)
echo "$(cat "$T/flood.out") of $N PINGs; agent RSS $rss0 kB before, peak $hwm kB"
case $HAMROH_BUILD in
*/san) [ $((hwm - rss0)) -lt 65536 ] ||
	die "the agent grew $((hwm - rss0)) kB under a PING flood (limit 65536 kB)" ;;
*) [ "$hwm" -lt 65536 ] ||
	die "agent peak RSS $hwm kB under a PING flood (limit 65536 kB)" ;;
esac
grep -q "reads nothing of what it is sent" "$T/A.log" ||
    die "the agent did not say it stopped reading the flooder"

# The flooder still holds its connection; an honest peer is served.
kill -0 "$FPID" 2>/dev/null || die "the flooder's connection ended early: $(cat "$T/flood.err")"
r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open)
expect_ok on B peer add "127.0.0.1:$PORT_A" "$A_ID" >/dev/null
start_agent B
wait_for "B syncs a new record from A during the flood" 60 on B show consultations "$r"
kill -0 "$FPID" 2>/dev/null || die "the flooder's connection ended before B synced"
echo "t_pingflood: ok"

#!/usr/bin/env bash
# timeout: 120
# Proves two nodes that dial each other at the same time settle to one session: each knows the other's address, both agents start together, and once they are in sync exactly one TCP connection joins them.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Dushanbe
mknode B Khujand
expect_ok on A network create --name tj-legal >/dev/null
# Fixed free ports so each can be told the other's address before starting.
read -r PA PB < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Khujand --role center --address "127.0.0.1:$PA")
expect_ok on B join "$tok" >/dev/null
expect_ok on A peer add "127.0.0.1:$PB" "$(on B id)" >/dev/null

"$H" --data "$T/A" agent --no-ui --listen "127.0.0.1:$PA" >"$T/A.out" 2>"$T/A.log" &
APID=$!
"$H" --data "$T/B" agent --no-ui --listen "127.0.0.1:$PB" >"$T/B.out" 2>"$T/B.log" &
BPID=$!
trap 'kill -9 $APID $BPID 2>/dev/null || true' EXIT

# Established connections between the two listening ports' processes:
# count sockets whose local or remote port is PA or PB, per direction.
links() {
	python3 - "$PA" "$PB" <<'EOF'
import sys
pa, pb = int(sys.argv[1]), int(sys.argv[2])
n = 0
for line in open("/proc/net/tcp").readlines()[1:]:
    f = line.split()
    lport = int(f[1].split(":")[1], 16)
    rport = int(f[2].split(":")[1], 16)
    if f[3] == "01" and (rport in (pa, pb)):
        n += 1          # the dialing end of each connection
print(n)
EOF
}
r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open)
wait_for "B has A's record" 30 on B show consultations "$r"
one() { [ "$(links)" -eq 1 ]; }
wait_for "exactly one connection between A and B" 30 one
# And it stays one: a dialer does not dial a peer it already has a session
# with, so there is no reconnect-and-drop loop.  Three seconds covers the
# first backoff steps (1 s, 2 s) in which such a loop would show.
sleep 3
assert_eq "$(links)" 1 "connections between A and B after 3 s"
r2=$(expect_ok on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khujand status=open)
wait_for "A has B's record over the one session" 30 on A show consultations "$r2"
echo "t_dedupe: ok"

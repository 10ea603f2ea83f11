#!/usr/bin/env bash
# timeout: 120
# Proves no plaintext crosses the wire: every byte two agents exchange is captured by a relay between them, and a marker name, phone and summary written in a consultation never appear in it, while the record does arrive and a node of the same center reads it (a node of another center would see "[encrypted]": t_confidential).
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Dushanbe
mknode B Dushanbe
expect_ok on A network create --name tj-legal >/dev/null
"$H" --data "$T/A" agent --no-ui --listen 127.0.0.1:0 >"$T/A.out" 2>"$T/A.log" &
echo $! >"$T/A.pid"
wait_for "agent A listening" 10 grep -q '^listening on' "$T/A.out"
PORT_A=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/A.out")
python3 "$(dirname "$0")/tcpcapture.py" "$T/relay.port" "$PORT_A" "$T/wire.bin" &
echo $! >"$T/relay.pid"
wait_for "relay listening" 10 test -s "$T/relay.port"
RELAY=$(cat "$T/relay.port")
cleanup() {
	local f
	for f in A.pid B.pid relay.pid; do
		if [ -f "$T/$f" ]; then kill -9 "$(cat "$T/$f")" 2>/dev/null || true; fi
	done
}
trap cleanup EXIT

tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Dushanbe --role office --address "127.0.0.1:$RELAY")
expect_ok on B join "$tok" >/dev/null
"$H" --data "$T/B" agent --no-ui --listen 127.0.0.1:0 >"$T/B.out" 2>"$T/B.log" &
echo $! >"$T/B.pid"

r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open \
    client_name="Zarina MARKERNAME Rahimova" client_phone=+992900471147 \
    summary="MARKERSUMMARY employer kept the passport")
wait_for "the consultation at B" 30 on B show consultations "$r"
on B show consultations "$r" | grep -q MARKERSUMMARY || die "B does not show the summary"
size=$(stat -c %s "$T/wire.bin")
[ "$size" -gt 1000 ] || die "the relay captured only $size bytes: did the sync go through it?"
for m in MARKERNAME MARKERSUMMARY 992900471147 "Zarina" "passport"; do
	if grep -a -q "$m" "$T/wire.bin"; then
		die "plaintext '$m' found in the $size bytes on the wire"
	fi
done
echo "t_wire: $size bytes captured, no plaintext: ok"

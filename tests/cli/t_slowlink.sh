#!/usr/bin/env bash
# timeout: 200
# plain: the sanitized build skips it (a minute of waiting on a slow link)
# Proves a commit that takes longer than the dead-link timeout (45 s) to cross a slow link still arrives: the receiver, which has nothing to send, pings, so the sender, which hears nothing while its batch trickles out, does not call the link dead.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
case $HAMROH_BUILD in
*/san) echo "SKIP: a minute of waiting on a 16 kbit/s link; make test runs it plain"; exit 77 ;;
esac
proxy=$HAMROH_BUILD/tools/faultproxy
[ -x "$proxy" ] || die "no faultproxy at $proxy (make unit builds it)"
trap 'kill_agents; [ -z "${PPID_PROXY:-}" ] || kill "$PPID_PROXY" 2>/dev/null || true' EXIT

mknode A Dushanbe
mknode B Murghob
expect_ok on A network create --name tj-legal >/dev/null
start_agent A --no-compress
expect_ok on A center add Murghob "Murghob center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Murghob --role office)
expect_ok on B join "$tok" >/dev/null

# 16 kbit/s (2000 B/s): a 120 KB guide needs a minute on the wire.
mkfifo "$T/ctl"
"$proxy" --seed 1 "ba=0:127.0.0.1:$PORT_A,rate=16000" <"$T/ctl" >"$T/proxy.out" 2>"$T/proxy.log" &
PPID_PROXY=$!
exec 3>"$T/ctl"
wait_for "proxy ready" 10 grep -q '^ready$' "$T/proxy.out"
pport=$(sed -n 's/^ba \([0-9]*\)$/\1/p' "$T/proxy.out")
expect_ok on B peer add "127.0.0.1:$pport" "$(on A id)" >/dev/null
python3 -c 'import random; r = random.Random(5); print("# Slow\n\n" + " ".join("%08x" % r.getrandbits(32) for _ in range(13500)))' >"$T/guide.md"
g=$(expect_ok on A guide publish "$T/guide.md" title=Slow language=tg)
t0=$SECONDS
start_agent B --no-compress
wait_for "the guide at B over 16 kbit/s" 150 on B show guides "$g"
echo "120 KB guide crossed 16 kbit/s in $((SECONDS - t0)) s"
[ $((SECONDS - t0)) -gt 45 ] || die "the transfer took under 45 s: the link was not slow enough to prove anything"
if grep -q "dead link" "$T/A.log" "$T/B.log"; then
	die "a live slow link was called dead: $(grep -h "dead link" "$T/A.log" "$T/B.log" | head -2)"
fi
echo "t_slowlink: ok"

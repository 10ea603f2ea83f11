#!/usr/bin/env bash
# timeout: 420
# The short chaos run: 6 agents behind the fault-injecting proxy, every fault kind at least once (flaps, resets, black holes, corruption, cut frames, kill -9 of agents and of an import, clocks 3 days off, a full disk), then heal: identical exports, every acknowledged write present, verify passes, no crash, no fork.
. "$(dirname "$0")/lib.sh"
proxy=$HAMROH_BUILD/tools/faultproxy
[ -x "$proxy" ] || die "no faultproxy at $proxy (make unit builds it)"
secs=75
# The bare binary: chaos.py signs its own admin in (staff_wrapper()).
python3 "$HAMROH_REPO/tests/chaos/chaos.py" --hamroh "$HAMROH" --proxy "$proxy" \
    --nodes 6 --seconds $secs --seed 20261128 --converge 180 \
    --dir "$TMPDIR" --require-every-fault

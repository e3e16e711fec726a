#!/usr/bin/env bash
# Builds the seed corpora fuzz/corpus/normalize_{binance,bybit,okx}/ from real messages:
#   * every `"kind":"raw"` line of <shared>/raw/<exchange>_*.jsonl (its `msg`, re-serialized),
#   * every line of fixtures/wire/<exchange>_*.jsonl.
# Each payload is written twice: prefixed by the byte selecting its stream hint (and market, and
# for REST answers the instrument hint line), and prefixed by 0x00/0x80 (stream detected).
# The byte layout is documented in fuzz/src/lib.rs. File names are SHA-1 of the content, as
# libFuzzer names them, so running the script again adds nothing twice.
#
# Usage: fuzz/seed_corpus.sh [SHARED_FIXTURES_DIR]
#   default: $LIQ_SHARED_FIXTURES, else ../../shared/fixtures relative to the repository root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
shared="${1:-${LIQ_SHARED_FIXTURES:-$repo/../shared/fixtures}}"

if [[ ! -d "$shared/raw" ]]; then
    echo "seed_corpus.sh: no raw recordings under $shared (pass the shared fixtures dir)" >&2
    exit 1
fi

python3 - "$shared" "$repo" "$here/corpus" <<'PY'
import glob, hashlib, json, os, sys

shared, repo, out = sys.argv[1:4]

# Index into liq_fuzz::STREAMS (bits 0-3 of the selector byte).
STREAM = {
    "liquidations": 1, "trades": 2, "mark_price": 3, "depth": 4, "open_interest": 5,
    "funding": 6, "ticker": 7, "top_account_ratio": 8, "top_position_ratio": 9,
    "global_account_ratio": 10,
}
SPOT, INSTRUMENT = 0x80, 0x40

def write(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha1(data).hexdigest())
    if os.path.exists(path):
        return 0
    with open(path, "wb") as f:
        f.write(data)
    return 1

def emit(exchange, market, stream, payload, instrument=None):
    target = "normalize_" + exchange
    market_bit = SPOT if market == "spot" else 0
    body = payload.encode("utf-8")
    hinted = bytes([STREAM[stream] | market_bit | (INSTRUMENT if instrument else 0)])
    if instrument:
        hinted += instrument.encode("utf-8") + b"\n"
    n = write(target, hinted + body)
    n += write(target, bytes([market_bit]) + body)  # stream detected from the message
    return n

counts = {}
for exchange in ("binance", "bybit", "okx"):
    n = 0
    for path in sorted(glob.glob(os.path.join(shared, "raw", exchange + "_*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                if rec.get("kind") != "raw" or rec.get("stream") not in STREAM:
                    continue
                msg = json.dumps(rec["msg"], separators=(",", ":"), ensure_ascii=False)
                inst = rec.get("symbol") if rec.get("via") == "rest" else None
                if inst == "*":
                    inst = None
                n += emit(exchange, rec.get("market", "perp"), rec["stream"], msg, inst)
    for path in sorted(glob.glob(os.path.join(repo, "fixtures", "wire", exchange + "_*.jsonl"))):
        # fixtures/wire/<exchange>_<market>_<stream>.jsonl
        name = os.path.basename(path)[: -len(".jsonl")]
        _, market, stream = name.split("_", 2)
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line:
                    n += emit(exchange, market, stream, line)
    counts[exchange] = n

for exchange, n in counts.items():
    total = len(os.listdir(os.path.join(out, "normalize_" + exchange)))
    print(f"normalize_{exchange}: {n} new seed files ({total} in corpus)")
PY

# state_files: the real state files of the shared golden session, each behind its selector byte.
G="$(dirname "$0")/../../shared/fixtures/golden/2026-02-28"
S="$(dirname "$0")/corpus/state_files"
if [ -d "$G" ]; then
    mkdir -p "$S"
    (printf '\000'; cat "$G/liq_calibrator_weights_BTC.json") > "$S/weights_btc"
    (printf '\001'; cat "$G/liq_active_zones_ETH.json") > "$S/zones_eth"
    (printf '\002'; head -c 4096 "$G/ob_heatmap_30s.bin") > "$S/frame_0"
    echo "state_files: 3 seed files"
fi

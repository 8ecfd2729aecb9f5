#!/usr/bin/env bash
# CRATE-tiny at batch 32, fp32, 2 threads: the reference model in PyTorch (reference_crate.py) and
# `crate bench`, alternated N times (default 3) so that both see the same machine load; prints
# each run, then the medians and crate4j's speed-up over the reference, forward and train step.
# Run it with nothing else on the machine:  tools/bench/side-by-side.sh [N]
# PYTHON (default /usr/bin/python3, Debian's torch on OpenBLAS) runs the reference.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${1:-3}"
python="${PYTHON:-/usr/bin/python3}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for i in $(seq "$runs"); do
  ref="$("$python" "$here/tools/bench/reference_crate.py" --batch 32 --threads 2)"
  ours="$("$here/crate" bench --model crate-tiny --batch 32 --threads 2 | grep '^{')"
  echo "run $i reference: $ref"
  echo "run $i crate4j:   $ours"
  printf '%s\n%s\n' "ref $ref" "ours $ours" >> "$log"
done
"$python" - "$log" <<'PY'
import json, statistics, sys
runs = {"ref": [], "ours": []}
for line in open(sys.argv[1]):
    who, js = line.split(" ", 1)
    runs[who].append(json.loads(js))
med = lambda who, k: statistics.median(r[k] for r in runs[who])
out = {"runs": len(runs["ref"])}
for phase in ("forward", "train"):
    k = phase + "ImagesPerSec"
    out[phase] = {"reference": med("ref", k), "crate4j": med("ours", k), "ratio": round(med("ours", k) / med("ref", k), 2)}
print("median of %d runs, img/s: forward %.2f (reference) vs %.2f (crate4j) = %.2fx; train step %.2f vs %.2f = %.2fx" % (
    out["runs"], out["forward"]["reference"], out["forward"]["crate4j"], out["forward"]["ratio"],
    out["train"]["reference"], out["train"]["crate4j"], out["train"]["ratio"]))
print(json.dumps(out))
PY

#!/usr/bin/env bash
# CRATE-tiny at batch 32, fp32, 2 threads: the reference model in PyTorch (reference_crate.py) and
# `crate bench`, alternated N times (default 3) so that both see the same machine load; prints
# each run, then the medians and crate4j's speed-up over the reference, forward and train step.
# Run it with nothing else on the machine:  tools/bench/side-by-side.sh [N]
# PYTHON (default /usr/bin/python3, Debian's torch on OpenBLAS) runs the reference.
# NPROC=2 runs crate4j as 2 data-parallel processes x 1 thread on batch 16 each (the same global
# batch 32 on the same 2 cores; how `crate train` splits itself by default) instead of 1 x 2.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${1:-3}"
python="${PYTHON:-/usr/bin/python3}"
nproc="${NPROC:-1}"
case "$nproc" in
  1|2) ;;
  *) echo "side-by-side.sh: NPROC must be 1 or 2 (the machine's 2 threads as 1 x 2 or 2 x 1), got '$nproc'" >&2; exit 2 ;;
esac
case "$runs" in
  ''|*[!0-9]*|0) echo "side-by-side.sh: the number of runs must be a positive integer, got '$runs'" >&2; exit 2 ;;
esac
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for i in $(seq "$runs"); do
  ref="$("$python" "$here/tools/bench/reference_crate.py" --batch 32 --threads 2)"
  if [ "$nproc" = 1 ]; then
    ours="$("$here/crate" bench --model crate-tiny --batch 32 --threads 2 | grep '^{')"
  else
    ours="$("$here/crate" launch --nproc "$nproc" --threads 1 -- \
      bench --model crate-tiny --batch $((32 / nproc)) | grep '^\[rank 0\] {' | sed 's/^\[rank 0\] //')"
  fi
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

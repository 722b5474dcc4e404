#!/usr/bin/env bash
# Issue 11: the digits runs too long for 2 CPU cores, run on one GPU within one device lease, records brought back.
#
#   bash scripts/gpu_digits.sh DATA_ROOT ARCHIVE LANE [LANE ...]
#
# A lane is a '+'-joined list of phases run one after another; lanes run at the same time. Phases:
#   probe    300-step versions of the mnistm and usps runs, 15 + 12 at once, into a scratch folder (throughput only)
#   usps     CDAN+E, DAN, Deep CORAL, confusion x 3 seeds on MNIST <-> USPS (experiments/digits_full_usps*_more.yaml)
#   mnistmN  CDAN, CDAN+E, DAN, Deep CORAL, confusion on MNIST -> MNIST-M, seed N (digits_full_mnistm_more.yaml)
#   long     DANN, CDAN x 3 seeds on MNIST <-> USPS at 20,000 iterations (digits_full_usps*_long.yaml)
#   longso   source-only x 3 seeds on MNIST <-> USPS at 20,000 iterations (the same files)
#   zoo      the 13 methods added since (JAN ... TENT, BN adaptation) x 3 seeds on MNIST <-> USPS (digits_full_usps*_zoo.yaml)
#   tllib    JAN, AFN, MDD, MCD with TLlib's digits hyperparameters x 3 seeds on MNIST -> USPS, then AFN and MDD at
#            20,000 iterations (digits_full_usps_zoo_tllib{,_long}.yaml)
# Every sweep resumes and skips finished runs, so a lane can be given again. At GPU_DIGITS_SECONDS (default 500)
# whatever still runs is stopped; then ARCHIVE (a .tar.gz) receives every record.json, metrics.csv and sweep manifest
# written by this call under RESULTS (default paper_results), to be unpacked there: tar -xzf ARCHIVE -C paper_results.
# Uses the machine's python3 with this checkout on PYTHONPATH (.venv's where present); one thread per run.
# GPU_DIGITS_OVERRIDES (e.g. "steps=4 eval_every=2") is added to every sweep: the CPU test's short version.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: bash scripts/gpu_digits.sh DATA_ROOT ARCHIVE LANE [LANE ...]" >&2; exit 2; }
DATA=$1 ARCHIVE=$2
shift 2
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
RESULTS=${RESULTS:-paper_results}
SCRATCH=${SCRATCH:-$(mktemp -d)}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 DA_BENCH_CACHE=${DA_BENCH_CACHE:-$PWD/.da_bench_cache}
START=$(date +%s)
END=$((START + ${GPU_DIGITS_SECONDS:-500}))
STAMP=$(mktemp)
LOGS=$SCRATCH/logs
mkdir -p "$LOGS"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
# the versions; then decode each digits domain the lanes use that is found under DATA (and build the MNIST-M training
# split, for the probe and mnistmN lanes only) once, before many runs want it (one process: importing Lightning costs seconds)
DOMAINS="mnist usps"
case " $* " in *probe* | *mnistm*) DOMAINS="$DOMAINS mnist_m" ;; esac
"$PY" -c "
import sys, time
from pathlib import Path
import torch, pytorch_lightning as pl
from da_bench.builtins import import_builtins
from da_bench.data.domains import load_domain
print('torch', torch.__version__, 'lightning', pl.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '')
import_builtins()
for name in sys.argv[2:]:
    if not (Path(sys.argv[1]) / name).is_dir():
        print(f'{name} not under {sys.argv[1]}: not prepared'); continue
    t = time.time(); load_domain(name, sys.argv[1]); print(f'{name} ready in {time.time() - t:.1f} s')
" "$DATA" $DOMAINS || exit 1

sweep() {  # sweep FILE OUT WORKERS [ARGS...]: one sweep, stopped at the deadline
    local file=$1 out=$2 workers=$3
    shift 3
    local left=$((END - $(date +%s)))
    [ "$left" -gt 10 ] || { echo "skipped $file $*: no time left"; return 0; }
    # shellcheck disable=SC2086 # GPU_DIGITS_OVERRIDES is a list of key=value words
    timeout -k 10 "$left" "$PY" -m da_bench.cli sweep "experiments/$file" ${GPU_DIGITS_OVERRIDES:-} "$@" --data-root "$DATA" \
        --launcher parallel --workers "$workers" --out "$out" >>"$LOGS/$(basename "$file" .yaml).log" 2>&1
    local rc=$?
    echo "$(($(date +%s) - START)) s: $file $* exited $rc"
}

phase() {
    case $1 in
    probe)
        sweep digits_full_mnistm_more.yaml "$SCRATCH/probe" 15 steps=300 eval_every=300 &
        sweep digits_full_usps_more.yaml "$SCRATCH/probe" 12 steps=300 eval_every=300 &
        wait
        "$PY" - "$SCRATCH/probe" <<'EOF'
import json, sys
from pathlib import Path
for path in sorted(Path(sys.argv[1]).rglob("record.json")):
    r = json.loads(path.read_text()); c = r["config"]
    print(f"probe {c['method']:12s} {c['source']}->{c['target']} seed {c['seed']}: {r['status']}, {r['provenance']['seconds']:.1f} s for {c['steps']} steps")
EOF
        ;;
    usps)
        sweep digits_full_usps_more.yaml "$RESULTS/digits_full_runs" 4 &
        sweep digits_full_usps_mnist_more.yaml "$RESULTS/digits_full_runs" 6 &
        wait
        ;;
    mnistm[0-9]) sweep digits_full_mnistm_more.yaml "$RESULTS/digits_full_center_runs" 5 --where "seed=${1#mnistm}" ;;
    long | longso)
        local methods=dann,cdan
        [ "$1" = longso ] && methods=source_only
        sweep digits_full_usps_long.yaml "$RESULTS/digits_full_long_runs" 6 --where "method=$methods" &
        sweep digits_full_usps_mnist_long.yaml "$RESULTS/digits_full_long_runs" 6 --where "method=$methods" &
        wait
        ;;
    zoo)
        sweep digits_full_usps_zoo.yaml "$RESULTS/digits_full_runs" 10 &
        sweep digits_full_usps_mnist_zoo.yaml "$RESULTS/digits_full_runs" 10 &
        wait
        ;;
    tllib)
        sweep digits_full_usps_zoo_tllib.yaml "$RESULTS/digits_full_tllib_runs" 8
        sweep digits_full_usps_zoo_tllib_long.yaml "$RESULTS/digits_full_tllib_runs" 4
        ;;
    *) echo "unknown phase '$1' (probe, usps, mnistmN, long, longso, zoo, tllib)" >&2 ;;
    esac
}

for lane in "$@"; do
    (IFS=+ read -ra phases <<<"$lane"; for p in "${phases[@]}"; do phase "$p"; done) &
done
wait
echo "all lanes ended after $(($(date +%s) - START)) s"
tail -n 3 "$LOGS"/*.log
cp -r "$LOGS" "$RESULTS/.gpu_digits_logs" 2>/dev/null
# A record rebuilt from a run's final checkpoint (a later call on a warm machine, after the re-sent working tree lost the
# first call's record.json but kept its ignored checkpoints) trained nothing here: leave it and its log out, so the
# archive cannot replace the original record, whose seconds are the real ones. (Should a run die between writing its
# final checkpoint and its record, its record is only rebuilt in the next call, and left out too: the log names it.)
(cd "$RESULTS" && find . -newer "$STAMP" \( -name record.json -o -name metrics.csv -o -path '*/sweeps/*.json' -o -path '*/.gpu_digits_logs/*' \) -print0) |
    "$PY" -c "
import json, sys
from pathlib import Path
paths = [p for p in sys.stdin.read().split('\0') if p]
def rebuilt(run):
    record = Path(sys.argv[1]) / run / 'record.json'
    if not record.is_file():
        return False
    r = json.loads(record.read_text())
    return r.get('resumed_from_step') is not None and r['resumed_from_step'] >= r['config']['steps']
runs = {p: Path(p).parent.parent if p.endswith('metrics.csv') else Path(p).parent for p in paths if '/runs/' in p}
left_out = {run for run in set(runs.values()) if rebuilt(run)}
print(f'left out {len(left_out)} records rebuilt from final checkpoints: {\" \".join(sorted(r.name for r in left_out)) or \"none\"}', file=sys.stderr)
sys.stdout.write(''.join(p + '\0' for p in paths if runs.get(p) not in left_out))
" "$RESULTS" |
    tar -czf "$ARCHIVE" -C "$RESULTS" --null -T -
rm -rf "$RESULTS/.gpu_digits_logs"
echo "archived $(tar -tzf "$ARCHIVE" | grep -c record.json) records into $ARCHIVE"

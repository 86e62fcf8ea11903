#!/usr/bin/env bash
# The parameter campaign's final round on the whole suite (datasets/params_suite, 360 boxes: 252 / 54 / 54), one
# step at a time, each resumable and skipped once done, so a session can be stopped at any minute and the next
# one picks up where it stopped:
#
#   docs/parameters/final_round.sh WORK_DIR STEP...        e.g.  final_round.sh /work/campaign build all_z
#
# WORK_DIR (outside the work tree) gets the datasets (WORK_DIR/tfds) and one model dir per run; each finished run's
# history, model info, evaluation metrics and D4-averaged Fig. 6 are copied into docs/parameters/final/ as
# RUN_history.csv, RUN_model_info.json, RUN_metrics.json and RUN_fig6_params_tta.png (the report's numbers).
# Steps, in the order of their value (times: 2 idle AVX2-only cores, measured 2026-12-07 for build and the three
# all_z runs, evaluation included; AVX-512 hosts ~2-4x faster):
#   build           tfds build of params_all_z, params_z10, params_z15 and z15                        ~2 min
#   all_z           AstroNet, the selected recipe (flags/train_params.flags): the one to ship         ~12 min
#   all_z_no_mean   the same with --remove_map_mean (an interferometer's maps have no mean)           ~12 min
#   all_z_long      the all_z recipe for 40 epochs instead of 20: is AstroNet short of steps or boxes? ~24 min
#   curve           the all_z recipe on 1/8, 1/4 and 1/2 of the training boxes, then the curve        ~36 min
#   z10 z15 z20     the all_z recipe on one redshift                                                  ~12 min each
#   unet_z15        the U-Net (flags/train_params_unet.flags), the reproduction's budget              ~85 min
#   unet_z15_cosine the same U-Net with a cosine schedule instead of the plateau rule: does a rate that
#                   settles lift r(k = 2) at this step budget?                                        ~85 min
#   z15_frozen z15_trainable   AstroNet at z = 15 from unet_z15's encoder, base 64                    ~25 min each
#   saliency        vanilla-gradient saliency of the shipped AstroNet's run (SHIPPED_RUN, default all_z_long: the
#                   one of all_z / all_z_long with the lower validation MSE, 2026-12-07) on 8 test maps   ~3 min
#   aa4_1000h aa4_10000h   unet_z15 fine-tuned for 5 epochs on maps observed by SKA-Low AA4 for 1,000 or
#                   10,000 h (--init_from; issue 20), results into docs/instrument/runs/               ~25 min each
#   wedge_suite     the wedge suite (flags/wedge_z15.flags) into WORK_DIR/wedge_suite, then tfds build of its
#                   z15 and z15_wedge into WORK_DIR/tfds_wedge                                        ~35 min
#   wedge_reference unet_z15 (noiseless, full maps) scored on the wedge suite's test boxes              ~4 min
#   wedge wedge_aa4_10000h   unet_z15 fine-tuned for 5 epochs on the wedge-filtered maps, noiseless or observed
#                   by AA4 for 10,000 h; results into docs/instrument/runs/                             ~25 min each
# Run it from a frozen copy of the code (git archive HEAD into a folder, PYTHONPATH at it) while you edit the tree.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PY:-$REPO/.venv/bin/python}
WORK=${1:?usage: final_round.sh WORK_DIR STEP...}
shift
SUITE=$REPO/datasets/params_suite
DATA=$WORK/tfds
OUT=$REPO/docs/parameters/final
STEPS=" build all_z all_z_no_mean all_z_long curve z10 z15 z20 unet_z15 unet_z15_cosine z15_frozen z15_trainable saliency aa4_1000h aa4_10000h wedge_suite wedge_reference wedge wedge_aa4_10000h "
for step in "$@"; do
    if [[ $STEPS != *" $step "* ]]; then
        echo "final_round.sh: unknown step '$step'; use one of:$STEPS" >&2
        exit 2
    fi
done
mkdir -p "$WORK"

log() { echo "[$(date -u +%H:%M:%S)] $*"; }

build() {  # build CONFIG: one dataset config of the suite (tfds build keeps a finished one)
    log "tfds build $1"
    "$PY" -m tensorflow_datasets.scripts.cli.main build hi21cm --imports=deep21_tf.data.tfds_builder \
        --manual_dir="$SUITE" --data_dir="$DATA" --config="$1"
}
WEDGE_SUITE=$WORK/wedge_suite
WEDGE_DATA=$WORK/tfds_wedge
INSTRUMENT_RUNS=$REPO/docs/instrument/runs

run() {  # run NAME TRAIN_ARGS...: train (resuming an unfinished run), evaluate with D4 averaging, copy the results
    local name=$1 model_dir=$WORK/$1
    shift
    mkdir -p "$OUT"
    if [[ ! -f $model_dir/exported.keras ]]; then
        log "train $name"
        "$PY" -m deep21_tf.apps.train --data_dir="$DATA" --model_dir="$model_dir" "$@"
    fi
    if [[ ! -f $model_dir/evaluation/metrics.json ]]; then
        log "evaluate $name"
        "$PY" -m deep21_tf.apps.evaluate --model_dir="$model_dir" --data_dir="$DATA" --tta --progress=false
    fi
    cp "$model_dir/history.csv" "$OUT/${name}_history.csv"
    cp "$model_dir/model_info.json" "$OUT/${name}_model_info.json"
    cp "$model_dir/evaluation/metrics.json" "$OUT/${name}_metrics.json"
    local figure
    for figure in fig6_params_tta.png fig4_power_z15.png fig3_maps_z15.png fig4_noise_z15.png; do
        if [[ -f $model_dir/evaluation/$figure ]]; then cp "$model_dir/evaluation/$figure" "$OUT/${name}_$figure"; fi
    done
    log "done $name"
}

ASTRO=(--flagfile="$REPO/flags/train_params.flags")
for step in "$@"; do
    case $step in
        build) for config in params_all_z params_z10 params_z15 z15; do build "$config"; done ;;
        all_z) run all_z "${ASTRO[@]}" ;;
        all_z_no_mean) run all_z_no_mean "${ASTRO[@]}" --remove_map_mean ;;
        all_z_long) run all_z_long "${ASTRO[@]}" --epochs=40 ;;
        curve)
            for fraction in 0.125 0.25 0.5; do run "all_z_train$fraction" "${ASTRO[@]}" --train_fraction=$fraction; done
            "$PY" -m deep21_tf.apps.learning_curve --run_dir="$WORK/curve" --model_dirs="$WORK/all_z_train0.125" \
                --model_dirs="$WORK/all_z_train0.25" --model_dirs="$WORK/all_z_train0.5" --model_dirs="$WORK/all_z"
            mkdir -p "$OUT"
            cp "$WORK/curve/learning_curve.json" "$OUT/astro_learning_curve.json"
            cp "$WORK/curve/learning_curve.png" "$OUT/astro_learning_curve.png" ;;
        z10 | z15 | z20) build "params_$step"; run "$step" "${ASTRO[@]}" --dataset="params_$step" ;;
        unet_z15) run unet_z15 --flagfile="$REPO/flags/train_params_unet.flags" ;;
        unet_z15_cosine) run unet_z15_cosine --flagfile="$REPO/flags/train_params_unet.flags" --lr_schedule=cosine ;;
        z15_frozen | z15_trainable)
            run "$step" "${ASTRO[@]}" --dataset=params_z15 --base_filters=64 --encoder="${step#z15_}" \
                --unet_dir="$WORK/unet_z15" ;;
        aa4_1000h | aa4_10000h)
            hours=${step#aa4_}
            OUT=$INSTRUMENT_RUNS run "unet_z15_$step" --flagfile="$REPO/flags/train_params_unet.flags" \
                --telescope=ska_low_aa4 --obs_hours="${hours%h}" --init_from="$WORK/unet_z15" --epochs=5 ;;
        wedge_suite)
            log "simulate the wedge suite"
            "$PY" -m deep21_tf.apps.simulate --flagfile="$REPO/flags/wedge_z15.flags" --suite_dir="$WEDGE_SUITE" \
                --progress=false
            for config in z15 z15_wedge; do SUITE=$WEDGE_SUITE DATA=$WEDGE_DATA build "$config"; done ;;
        wedge_reference)
            if [[ ! -f $WORK/unet_z15/evaluation_wedge_suite/metrics.json ]]; then
                log "evaluate unet_z15 on the wedge suite"
                "$PY" -m deep21_tf.apps.evaluate --model_dir="$WORK/unet_z15" --data_dir="$WEDGE_DATA" --tta \
                    --progress=false --output_dir="$WORK/unet_z15/evaluation_wedge_suite"
            fi
            mkdir -p "$INSTRUMENT_RUNS"
            for file in metrics.json fig4_power_z15.png; do
                cp "$WORK/unet_z15/evaluation_wedge_suite/$file" "$INSTRUMENT_RUNS/unet_z15_on_wedge_suite_$file"
            done ;;
        wedge | wedge_aa4_10000h)
            instrument=()
            if [[ $step == wedge_aa4_10000h ]]; then instrument=(--telescope=ska_low_aa4 --obs_hours=10000); fi
            DATA=$WEDGE_DATA OUT=$INSTRUMENT_RUNS run "unet_z15_$step" --flagfile="$REPO/flags/train_params_unet.flags" \
                --dataset=z15_wedge "${instrument[@]}" --init_from="$WORK/unet_z15" --epochs=5 ;;
        saliency)
            shipped=${SHIPPED_RUN:-all_z_long}
            "$PY" -m deep21_tf.apps.saliency --model_dir="$WORK/$shipped" --data_dir="$DATA" --num_maps=8 \
                --output_dir="$WORK/$shipped/saliency" > "$WORK/$shipped/saliency_summary.json"
            mkdir -p "$OUT"
            for figure in "$WORK/$shipped"/saliency/*.png; do cp "$figure" "$OUT/${shipped}_$(basename "$figure")"; done
            cp "$WORK/$shipped/saliency_summary.json" "$OUT/${shipped}_saliency_summary.json" ;;
    esac
done

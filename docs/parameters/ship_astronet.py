"""Ship an evaluated AstroNet inside the package: copy its inference files into deep21_tf/pretrained/astronet_all_z
(deep21-predict --target=parameters uses them without --model_dir) and write its MODEL_CARD.md, whose scores are
those of MODEL_DIR/evaluation/metrics.json (deep21-evaluate --tta on the test split; tests/test_shipped_model.py
checks the card against the copy of that file in docs/parameters/).

    .venv/bin/python docs/parameters/ship_astronet.py MODEL_DIR [DEST]
"""
import json
import os
import shutil
import sys

from deep21_tf.contracts import PARAMETER_TEXT, PARAMETER_UNITS
from deep21_tf.evaluation.files import read_metrics
from deep21_tf.training import run_files
from deep21_tf.util.paths import MAX_SHIPPED_MODEL_MB, REPO_DIR, SHIPPED_MODELS
from deep21_tf.util.text import format_number, format_with_interval

#: The files that travel: what deep21-predict reads.
SHIPPED_FILES = (run_files.EXPORTED_FILE, run_files.INFO_FILE, run_files.NORMALIZATION_FILE)
#: model_info.json keys left out of the shipped copy (where it was trained, not what it is).
LOCAL_KEYS = ("train_sim_ids",)


def score_rows(metrics: dict) -> list:
    """Table rows of the card: per parameter and predictor, R² over maps [68 % box interval], R² of the per-box
    means, squared Pearson correlation, RMSE (dex)."""
    rows = []
    for key, label in (("network_tta", "AstroNet, D4-averaged"), ("network", "AstroNet"),
                       ("baseline_kernel", "kernel ridge on map summaries")):
        scores = metrics[key]
        for name in scores["parameter_names"]:
            r2 = format_with_interval(scores["r2_log10"][name], scores["interval_68"]["r2_log10"][name])
            rows.append(f"| {label} | {PARAMETER_TEXT[name]} | {r2} | "
                        f"{format_number(scores['per_box']['r2_log10'][name], 2)} | "
                        f"{format_number(scores['pearson_r2_log10'][name], 2)} | "
                        f"{format_number(scores['rmse_log10'][name], 3)} |")
    return rows


def verdict(metrics: dict) -> str:
    """One sentence: on which parameters the D4-averaged network beats the kernel ridge in R² over maps."""
    network, baseline = metrics["network_tta"], metrics["baseline_kernel"]
    names = network["parameter_names"]
    leads = {name: network["r2_log10"][name] > baseline["r2_log10"][name] for name in names}
    ahead = [PARAMETER_TEXT[name] for name in names if leads[name]]
    if len(ahead) == len(names):
        return "**The network beats the kernel ridge on every parameter.**"
    behind = ", ".join(PARAMETER_TEXT[name] for name in names if not leads[name])
    return (f"**On these noiseless maps the kernel ridge is ahead of the network on {behind}**"
            + (f" (the network leads on {', '.join(ahead)})" if ahead else "")
            + ": the maps' means, std and P(k) carry most of what the network reads. The network is shipped as "
            "the project's best image-based estimator, not as the best estimator of these parameters.")


def model_card(info: dict, metrics: dict, priors: dict, metrics_copy: str) -> str:
    """MODEL_CARD.md of the AstroNet described by `info` (model_info.json), scored by `metrics` (metrics.json, whose
    copy in the source repository is `metrics_copy`, relative to it), trained on a suite with the log10 prior ranges
    `priors` (parameter name → [low, high])."""
    z = ", ".join(f"{value:g}" for value in info["redshifts"])
    cells = "×".join(str(side) for side in info["input_shape"][:2])
    prior_text = ", ".join(f"{PARAMETER_TEXT[name]} ∈ [{low:g}, {high:g}] ({PARAMETER_UNITS[name]})"
                           for name, (low, high) in priors.items())
    test = metrics["network_tta"]
    lines = [
        f"# Model card: deep21-tf AstroNet, z = {z} together (shipped with the package)",
        "",
        f"**What it does.** Takes the 21 cm brightness temperature δTb of one sky region at z = {z} — {cells} maps "
        f"of {info['cell_size']:g} Mpc pixels ({info['box_len']:g} Mpc), each the average over a 6 Mpc slab (mK, "
        "redshift space, line of sight perpendicular to the map), stacked as channels in increasing z, shape "
        f"({cells.replace('×', ', ')}, {len(info['redshifts'])}) — and returns the three astrophysical parameters "
        "as log10 of M_turn (M☉), L_X (erg s⁻¹ (M☉/yr)⁻¹) and N_γ (photons per baryon).",
        "",
        f"    deep21-predict --target=parameters --input=maps.npy --output=params.json --tta   # (N, "
        f"{cells.replace('×', ', ')}, {len(info['redshifts'])}) in mK",
        "    keras.saving.load_model(\"exported.keras\", safe_mode=True)    # maps in mK → log10 parameters (N, 3)",
        "",
        "## Training data and recipe",
        f"- 21cmFAST 4.1.1, the project's physics recipe (`flags/params.flags`): {info['train_simulations']} "
        f"training boxes of {info['input_shape'][0]}³ cells / {info['box_len']:g} Mpc ({info['train_maps']} maps), a Latin hypercube over {prior_text}. "
        f"Split by box 70/15/15; scored on the {test['num_boxes']} test boxes ({test['num_maps']} maps).",
        f"- AstroNet (`flags/train_params.flags` with `--epochs={info['fit_epochs']}`): base width "
        f"{info['base_filters']}, encoder "
        f"{info['encoder']['kind']}, {info['fit_epochs']} epochs of {info['maps_per_epoch']} maps drawn from all "
        f"training boxes, {info['fit_seconds'] / 60:.0f} min of fitting on 2 CPU cores; the epoch of lowest "
        "validation MSE is kept. Normalisation (train split) is inside the model; each map's mean is "
        + ("removed inside the network (it never sees it)." if info.get("remove_map_mean") else "part of the input."),
        "",
        "## Scores on the test boxes",
        "R² = 1 − SS_res/SS_tot of the log10 parameters over maps, with the central 68 % interval of 1,000 bootstrap "
        "resamples of the test boxes; the same R² of the per-box mean predictions; the squared Pearson correlation "
        "(the paper's \"linear correlation coefficient R²\"); RMSE in dex. The kernel ridge regression on each map's "
        "mean, std and P(k) is fitted on the same training boxes, the baseline the network has to beat.",
        "",
        "| predictor | parameter | R² (maps) [68 %] | R² (per box) | Pearson r² | RMSE (dex) |",
        "|---|---|---|---|---|---|",
        *score_rows(metrics),
        "",
        verdict(metrics),
        "",
        f"Every number above: `{metrics_copy}`; the full report: `docs/parameters/REPORT.md` (source repository).",
        "",
        "## Limits",
        "- Noiseless simulated maps: no thermal noise, beam, uv coverage or foregrounds. The map means carry the "
        "global signal, which an interferometer does not measure" + (
            "; this network removes them." if info.get("remove_map_mean") else ": do not apply it to observed maps."),
        "- One cosmology, the priors above, the three redshifts given; maps outside them are extrapolation. Near "
        "the edges of the priors the estimates are pulled toward their centre.",
        f"- {cells} maps of {info['cell_size']:g} Mpc only (a dense head): other sizes are refused.",
        "",
    ]
    return "\n".join(lines)


def main(model_dir: str, dest: str = SHIPPED_MODELS["parameters"][0]) -> None:
    info = run_files.read(model_dir, run_files.INFO_FILE)
    metrics = read_metrics(model_dir)
    if info["model"] != "astro" or metrics["split"] != "test" or "network_tta" not in metrics:
        sys.exit(f"{model_dir}: ship an AstroNet evaluated on the test split with --tta")
    if info["instrument"].get("telescope", "none") != "none":
        sys.exit(f"{model_dir}: trained on observed maps; this card describes noiseless ones")
    exported = run_files.path(model_dir, run_files.EXPORTED_FILE)
    if os.path.getsize(exported) > MAX_SHIPPED_MODEL_MB * 1e6:
        sys.exit(f"{exported}: {os.path.getsize(exported) / 1e6:.1f} MB, over the package's {MAX_SHIPPED_MODEL_MB} MB")
    with open(os.path.join(REPO_DIR, "datasets", "params_suite", "manifest.json"), encoding="utf-8") as handle:
        config = json.load(handle)["config"]
    priors = {name: config[f"{name}_range"] for name in info["parameter_names"]}
    metrics_copy = os.path.join("docs", "parameters", "final", f"{os.path.basename(os.path.normpath(model_dir))}"
                                "_metrics.json")
    with open(os.path.join(REPO_DIR, metrics_copy), encoding="utf-8") as handle:
        if json.load(handle) != metrics:
            sys.exit(f"{metrics_copy} differs from {model_dir}'s evaluation: copy it first (final_round.sh does)")
    os.makedirs(dest, exist_ok=True)
    for name in SHIPPED_FILES:
        shutil.copyfile(run_files.path(model_dir, name), os.path.join(dest, name))
    shipped_info = {key: value for key, value in info.items() if key not in LOCAL_KEYS}
    if isinstance(info.get("encoder"), dict):  # the U-Net it came from lived on the training machine
        shipped_info["encoder"] = {key: value for key, value in info["encoder"].items() if key != "unet_dir"}
    with open(os.path.join(dest, run_files.INFO_FILE), "w", encoding="utf-8") as handle:
        json.dump(shipped_info, handle, indent=1, sort_keys=True)
    with open(os.path.join(dest, "MODEL_CARD.md"), "w", encoding="utf-8") as handle:
        handle.write(model_card(info, metrics, priors, metrics_copy))
    print(f"shipped {model_dir} → {dest} ({os.path.getsize(exported) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(*sys.argv[1:])

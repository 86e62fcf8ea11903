"""Train the U-Net or AstroNet under a tf.distribute strategy, with TensorBoard, resume and export."""
from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
import shutil
import time
from typing import Sequence

import keras
import numpy as np

from deep21_tf.contracts import DATASET_REDSHIFTS, MODEL_NAMES, MODEL_TARGET_FIELD
from deep21_tf.data import load_normalization, make_dataset, open_builder
from deep21_tf.data.integrity import readable
from deep21_tf.data import metadata
from deep21_tf.data.metadata import map_shape
from deep21_tf.data.splits import training_subset
from deep21_tf.instrument.model import instrument_for_dataset
from deep21_tf.models import build_astronet, build_unet, copy_all_weights, transfer_encoder
from deep21_tf.training import run_files
from deep21_tf.training.export import export_model
from deep21_tf.training.monitor import DensityMonitor
from deep21_tf.training.resume import TrainingBackup, completed_epochs, restore, stateful
from deep21_tf.training.schedule import PlateauScheduler, cosine_schedule
from deep21_tf.training.settings import TrainSettings
from deep21_tf.training.strategy import make_strategy
from deep21_tf.util.atomic import atomic_path, atomic_write_text, removed_on_error

#: The epoch log that picks the best network and drives the learning-rate drops: the MSE without the L2 penalty.
SELECTION_METRIC = "val_mse"


def train(settings: TrainSettings, model_dir: str, overwrite: bool = False, verbose: int = 2) -> dict:
    """Train as `settings` say, into `model_dir` (see `deep21_tf.training.run_files`); resume an unfinished run.

    Returns a summary: epochs, best validation MSE, seconds, replicas, global batch.
    """
    settings.validate()
    strategy = make_strategy(settings.cpu_replicas)  # first: splitting the CPU must precede TF's initialisation
    builder = open_builder(settings.data_dir, settings.dataset)
    backup_dir = run_files.path(model_dir, run_files.BACKUP_DIR)
    # a run that fails before its first epoch is saved leaves no model dir behind; a damaged shard is one line
    with removed_on_error(model_dir, keep=lambda: completed_epochs(backup_dir) > 0), readable(builder):
        return _train(settings, model_dir, overwrite, verbose, strategy, builder)


def _train(settings: TrainSettings, model_dir: str, overwrite: bool, verbose: int, strategy, builder) -> dict:
    resumed = run_files.prepare(model_dir, dataclasses.asdict(settings), overwrite)
    instrument = instrument_for_dataset(settings.instrument, builder)  # None: the noiseless maps
    norm = load_normalization(builder)
    if instrument is not None:  # the network's inputs are observed maps, normalised as such
        norm = instrument.normalization(norm)
    shape = map_shape(builder)
    box_length = metadata.box_length(builder)
    replicas = strategy.num_replicas_in_sync
    global_batch = settings.batch_size * replicas
    all_train_ids = metadata.split_sim_ids(builder, "train")
    train_ids = training_subset(all_train_ids, settings.train_fraction)
    stored_examples = builder.info.splits["train"].num_examples * len(train_ids) // len(all_train_ids)
    train_examples = settings.maps_per_epoch or stored_examples
    steps = max(1, math.ceil(train_examples / global_batch))
    backup_dir = run_files.path(model_dir, run_files.BACKUP_DIR)
    start_epoch = completed_epochs(backup_dir)
    keras.utils.set_random_seed(settings.seed)

    datasets = dict(source=builder, config_name=None, target=settings.model, batch_size=settings.batch_size,
                    num_replicas=replicas, instrument=instrument)
    # Epoch e's batches are a pure function of (seed, e): a resumed run sees what an uninterrupted one sees.
    subset = train_ids if len(train_ids) < len(all_train_ids) else None
    remaining = range(start_epoch, settings.epochs)  # empty when a kill came during the export
    train_ds = make_dataset(split="train", augment="random", shuffle_buffer=settings.shuffle_buffer,
                            seed=settings.seed, epochs=remaining, sim_ids=subset,
                            maps_per_pass=settings.maps_per_epoch, **datasets) if remaining else None
    val_ds = make_dataset(split="validation", augment="none", **datasets)

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if settings.mixed_precision else "float32")
    with strategy.scope():
        network = _build_network(settings, shape)
        network.compile(optimizer=keras.optimizers.Adam(settings.learning_rate, settings.beta_1, settings.beta_2,
                                                        epsilon=settings.adam_epsilon),
                        loss="mse", metrics=[keras.metrics.MeanSquaredError(name="mse")],
                        jit_compile=settings.jit_compile)
        # Adam's moments made here, not in the first traced train step, where making variables has TensorFlow
        # trace the step twice: ~5 s less start-up per run (bench/bench_startup.py)
        network.optimizer.build(network.trainable_variables)
        restore(network, backup_dir)
    if resumed:
        _keep_history_before(model_dir, start_epoch)
    callbacks = _callbacks(settings, model_dir, builder, norm, box_length, instrument)
    start = time.perf_counter()
    if remaining:
        network.fit(train_ds, epochs=settings.epochs, initial_epoch=start_epoch, steps_per_epoch=steps,
                    validation_data=val_ds, callbacks=callbacks, shuffle=False, verbose=verbose)
    seconds = time.perf_counter() - start
    keras.mixed_precision.set_global_policy("float32")  # the exported wrapper (normalisation) stays in float32
    _export(settings, model_dir, norm, shape, box_length, train_ids=train_ids, train_maps=stored_examples,
            maps_per_epoch=train_examples,
            fit_seconds=seconds, fit_epochs=len(remaining),
            instrument=instrument.describe() if instrument else settings.instrument.to_json())
    shutil.rmtree(backup_dir, ignore_errors=True)  # only now: a kill during the export resumes from the backup
    return dict(epochs=settings.epochs, resumed_from_epoch=start_epoch if resumed else 0, seconds=seconds,
                replicas=replicas, global_batch=global_batch, steps_per_epoch=steps, train_simulations=len(train_ids),
                best_val_mse=float(callbacks[-1].tracked["ModelCheckpoint"].best))


def _build_network(settings: TrainSettings, shape) -> keras.Model:
    if settings.model == "unet":
        network = build_unet(shape, settings.base_filters, settings.weight_decay, output_channels=shape[-1])
    else:
        network = build_astronet(shape, settings.base_filters, dropout=settings.dropout,
                                 weight_decay=settings.weight_decay, head_moments=settings.head_moments,
                                 remove_map_mean=settings.remove_map_mean)
    if settings.init_from:
        trained = load_trained_network(settings.init_from, "init_from", settings.model, settings.dataset, shape)
        copy_all_weights(trained, network)
    elif settings.model == "astro" and settings.encoder != "scratch":
        unet = load_trained_network(settings.unet_dir, "unet_dir", "unet", settings.dataset, shape)
        transfer_encoder(unet, network, trainable=settings.encoder == "trainable")
    return network


def load_trained_network(model_dir: str, flag: str, model: str, dataset: str, shape) -> keras.Model:
    """The trained `model` network of `model_dir` (given as --`flag`), checked to match this dataset's redshifts and
    map shape (a U-Net of z15 serves an AstroNet of z15 or of its twin params_z15)."""
    info = run_files.read(model_dir, run_files.INFO_FILE)
    if info["model"] != model:
        raise ValueError(f"--{flag}={model_dir} holds {MODEL_NAMES[info['model']]}, not {MODEL_NAMES[model]}")
    same_redshifts = DATASET_REDSHIFTS.get(info["dataset"]) == DATASET_REDSHIFTS[dataset]
    if not same_redshifts or tuple(info["input_shape"]) != tuple(shape):
        raise ValueError(f"--{flag}={model_dir} was trained on {info['dataset']} maps of shape "
                         f"{tuple(info['input_shape'])}, but this run uses {dataset} maps of shape {tuple(shape)}")
    return keras.saving.load_model(run_files.path(model_dir, run_files.NETWORK_FILE), safe_mode=True)


def _callbacks(settings: TrainSettings, model_dir: str, builder, norm, box_length: float, instrument) -> list:
    # Selection and schedule follow the validation MSE alone: Keras' val_loss also holds the L2 penalty.
    checkpoint = keras.callbacks.ModelCheckpoint(run_files.path(model_dir, run_files.NETWORK_FILE), monitor=SELECTION_METRIC,
                                                 mode="min", save_best_only=True)
    if settings.lr_schedule == "cosine":
        scheduler = cosine_schedule(settings.learning_rate, settings.epochs)
    else:
        scheduler = PlateauScheduler(SELECTION_METRIC, factor=settings.lr_factor, patience=settings.lr_patience)
    callbacks = []
    if settings.model == "unet":
        callbacks.append(_density_monitor(settings, model_dir, builder, norm, box_length, instrument))
    return callbacks + [
        checkpoint, scheduler,
        keras.callbacks.CSVLogger(run_files.path(model_dir, run_files.HISTORY_FILE), append=True),
        keras.callbacks.TensorBoard(run_files.path(model_dir, run_files.LOG_DIR), write_graph=False),
        TrainingBackup(run_files.path(model_dir, run_files.BACKUP_DIR), stateful([checkpoint, scheduler])),
    ]


def _keep_history_before(model_dir: str, epoch: int) -> None:
    """Drop history.csv rows of epochs >= `epoch` (written by a killed run after its last backup)."""
    history_path = run_files.path(model_dir, run_files.HISTORY_FILE)
    if not os.path.isfile(history_path):
        return
    with open(history_path, encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows[:1] + [row for row in rows[1:] if row and int(row[0]) < epoch])
    atomic_write_text(history_path, text.getvalue())


def _density_monitor(settings: TrainSettings, model_dir: str, builder, norm, box_length: float,
                     instrument) -> DensityMonitor:
    maps = make_dataset(builder, None, "validation", target="unet", augment="none", batch_size=settings.monitor_maps,
                        instrument=instrument)
    inputs, targets = (np.asarray(t) for t in next(iter(maps)))
    return DensityMonitor(run_files.path(model_dir, run_files.LOG_DIR), inputs,
                          true_delta=norm.denormalize("density", targets)[..., 0],
                          display_21cm=norm.denormalize("map_21cm", inputs)[..., 0],
                          delta_mean=norm.density_mean[0], delta_std=norm.density_std[0], box_length=box_length,
                          num_panels=settings.monitor_maps)


def _encoder_source(settings: TrainSettings):
    """Where an AstroNet's encoder came from: {kind: frozen/trainable/scratch[, the U-Net's dir, dataset and
    telescope]}; None for a U-Net."""
    if settings.model == "unet":
        return None
    if settings.encoder == "scratch":
        return {"kind": "scratch"}
    unet = run_files.read(settings.unet_dir, run_files.INFO_FILE)
    return {"kind": settings.encoder, "unet_dir": os.path.abspath(settings.unet_dir), "unet_dataset": unet["dataset"],
            "unet_instrument": unet.get("instrument", {"telescope": "none"})}


def _init_source(settings: TrainSettings):
    """The trained network a fine-tuned run started from ({model_dir, dataset, instrument}), or None."""
    if not settings.init_from:
        return None
    info = run_files.read(settings.init_from, run_files.INFO_FILE)
    return {"model_dir": os.path.abspath(settings.init_from), "dataset": info["dataset"],
            "instrument": info.get("instrument", {"telescope": "none"})}


def _export(settings: TrainSettings, model_dir: str, norm, shape, box_length: float, train_ids: Sequence[str],
            train_maps: int, maps_per_epoch: int, fit_seconds: float, fit_epochs: int, instrument: dict) -> None:
    """Write model_info.json, normalization.json and, last, the self-contained exported.keras."""
    # compile=False: the export holds what inference needs, not the optimizer's moments (twice the weights)
    network = keras.saving.load_model(run_files.path(model_dir, run_files.NETWORK_FILE), safe_mode=True, compile=False)
    target = MODEL_TARGET_FIELD[settings.model]
    run_files.write_json(model_dir, run_files.NORMALIZATION_FILE, norm.to_dict())
    run_files.write_json(model_dir, run_files.INFO_FILE, dict(
        model=settings.model, dataset=settings.dataset, input_shape=list(shape), base_filters=settings.base_filters,
        box_len=box_length, cell_size=box_length / shape[0], train_simulations=len(train_ids),
        train_sim_ids=list(train_ids), train_maps=train_maps,
        maps_per_epoch=maps_per_epoch,
        fit_seconds=round(fit_seconds, 1), fit_epochs=fit_epochs, redshifts=list(norm.redshifts),
        parameter_names=list(norm.parameter_names), instrument=instrument, encoder=_encoder_source(settings),
        remove_map_mean=settings.remove_map_mean, initialised_from=_init_source(settings),
        output="density contrast δ" if settings.model == "unet" else "log10 parameters in physical units"))
    exported = export_model(network, norm.map_21cm_mean, norm.map_21cm_std, getattr(norm, target + "_mean"),
                            getattr(norm, target + "_std"), name=f"{settings.model}_exported")
    with atomic_path(run_files.path(model_dir, run_files.EXPORTED_FILE)) as temp_path:
        exported.save(temp_path)

"""The paper's optimiser semantics (its framework is PyTorch): the plateau rule and Adam's ε. No training."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from deep21_tf.training.schedule import PlateauScheduler, cosine_schedule
from deep21_tf.training.settings import TrainSettings


def learning_rates(values, patience=2, factor=0.1):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1.0), loss="mse")
    scheduler = PlateauScheduler("val_mse", factor=factor, patience=patience)
    scheduler.set_model(model)
    scheduler.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {"val_mse": value}
        scheduler.on_epoch_end(epoch, logs)
        rates.append(float(model.optimizer.learning_rate))
        assert logs["learning_rate"] == (rates[-2] if epoch else 1.0)  # logged: the rate the epoch used
    return rates


def test_plateau_counts_only_relative_improvements_and_waits_more_than_patience_epochs():
    # 1.0 → 0.99995 is a relative gain of 5e-5 < 1e-4: not an improvement for PyTorch (Keras' min_delta=0 would
    # count it). After patience = 2 such epochs PyTorch still waits; the third one drops the rate.
    assert np.allclose(learning_rates([1.0, 0.99995, 0.99995, 0.99995, 0.99995]), [1, 1, 1, 0.1, 0.1])
    # a real improvement (0.5 → 0.4) resets the count
    assert np.allclose(learning_rates([0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4]), [1, 1, 1, 1, 1, 1, 0.1])


def test_plateau_names_a_missing_monitor():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    scheduler = PlateauScheduler("val_mse", factor=0.1, patience=1)
    scheduler.set_model(model)
    with pytest.raises(KeyError, match="val_mse"):
        scheduler.on_epoch_end(0, {"val_loss": 1.0})


def test_cosine_schedule_decays_from_the_learning_rate_over_the_epochs():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1.0), loss="mse")
    scheduler = cosine_schedule(2e-3, epochs=4)
    scheduler.set_model(model)
    rates = []
    for epoch in (0, 1, 2, 3, 1):  # the last one: a resumed run's first epoch gets its rate from the epoch alone
        scheduler.on_epoch_begin(epoch)
        logs = {"val_mse": 1.0}  # Keras' callback logs into a dict it is given only when that is not empty
        scheduler.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    np.testing.assert_allclose(rates, 2e-3 * (1 + np.cos(np.pi * np.array([0, 1, 2, 3, 1]) / 4)) / 2, rtol=1e-6)


@pytest.mark.parametrize("settings, message", [
    (dict(lr_schedule="step"), "--lr_schedule=step is not allowed: use one of plateau, cosine"),
    (dict(head_moments=True), "--head_moments is AstroNet's (--model=astro)"),
    (dict(remove_map_mean=True), "--remove_map_mean is AstroNet's (--model=astro)"),
    (dict(model="astro", init_from="trained", unet_dir="unet"), "--init_from sets every weight, the encoder's too"),
])
def test_schedule_and_head_settings_are_validated(settings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TrainSettings(data_dir="d", **settings).validate()


def test_adam_epsilon_defaults_to_pytorch_and_is_validated():
    assert TrainSettings(data_dir="d").adam_epsilon == 1e-8
    with pytest.raises(ValueError, match="--adam_epsilon=0"):
        TrainSettings(data_dir="d", adam_epsilon=0.0).validate()

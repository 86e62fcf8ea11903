"""The U-Net's validation monitor: T(k)/r(k) scalars after every epoch, image panels on a thinning schedule."""
from __future__ import annotations

import numpy as np

from deep21_tf.training.monitor import DensityMonitor


def test_panels_are_drawn_after_epochs_1_2_4_8_and_the_last(tmp_path):
    maps = np.zeros((2, 16, 16, 1), np.float32)
    monitor = DensityMonitor(str(tmp_path), maps, maps[..., 0], maps[..., 0], 0.0, 1.0, 24.0)
    monitor.set_params({"epochs": 12, "steps": 4, "verbose": 0})
    drawn = [epoch + 1 for epoch in range(12) if monitor._draws_panels(epoch)]
    assert drawn == [1, 2, 4, 8, 12]

"""Choosing the tf.distribute strategy: every local GPU, two or more logical CPUs, or several workers."""
from __future__ import annotations

import json
import os

import tensorflow as tf


def split_cpu(num_devices: int) -> None:
    """Split the physical CPU into `num_devices` logical devices (call before TensorFlow initialises).

    Lets MirroredStrategy run several replicas on a machine without GPUs (tests, demonstrations).
    """
    if num_devices < 1:
        raise ValueError(f"num_devices={num_devices}: use 1 or more logical CPU devices")
    if num_devices == 1:
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices)
    except RuntimeError as error:  # TensorFlow already initialised: only the same split is possible
        if len(tf.config.list_logical_devices("CPU")) != num_devices:
            raise RuntimeError(f"cannot split the CPU into {num_devices} devices after TensorFlow started") from error


def make_strategy(cpu_replicas: int = 1) -> tf.distribute.Strategy:
    """MultiWorkerMirroredStrategy when TF_CONFIG names a cluster, else MirroredStrategy over all local GPUs,
    or over `cpu_replicas` logical CPU devices when there is no GPU (cpu_replicas = 1: the default strategy)."""
    if json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster"):
        return tf.distribute.MultiWorkerMirroredStrategy()
    if tf.config.list_physical_devices("GPU"):
        return tf.distribute.MirroredStrategy()
    if cpu_replicas == 1:
        # One replica has nothing to mirror, and on a CPU Keras' fit under any explicit strategy (Mirrored or
        # OneDevice) is slower per step than under the default one (BUILD_NOTES.md, "Training rate").
        return tf.distribute.get_strategy()
    split_cpu(cpu_replicas)
    devices = [device.name for device in tf.config.list_logical_devices("CPU")][:cpu_replicas]
    return tf.distribute.MirroredStrategy(devices=devices)

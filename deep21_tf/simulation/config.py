"""The settings that define a simulation suite, and their validation.

A `SuiteConfig` holds everything that changes the content of a suite (box, redshifts, slabs, parameter ranges,
design seed, number of simulations, the physics recipe). Worker counts and threads do not belong here: they change
how fast a suite is made, not what it holds.
"""
from __future__ import annotations

import dataclasses
from typing import Tuple

from deep21_tf.contracts import PARAMETER_NAMES, SIZE_MULTIPLE

#: Paper priors (Table I), in log10.
DEFAULT_RANGES = {"log10_mturn": (8.0, 9.0), "log10_lx": (40.0, 41.0), "log10_ngamma": (3.0, 4.0)}
#: Widest priors the validators accept (log10): beyond these 21cmFAST's E-INTEGRAL model is not meaningful.
ALLOWED_RANGES = {"log10_mturn": (7.0, 10.0), "log10_lx": (38.0, 42.0), "log10_ngamma": (2.0, 5.0)}
#: Output redshifts 21cmFAST can give with spin-temperature fluctuations (Z_HEAT_MAX = 35).
REDSHIFT_RANGE = (6.0, 35.0)
#: Simulation seeds are drawn below this value; seeds from it upwards are reserved for validation sets.
MAX_TRAINING_SEED = 90000
#: Lines of sight a suite may cut its maps along: 1 = the last box axis (z), 3 = x, y and z.
ALLOWED_LINES_OF_SIGHT = (1, 3)
#: Box axis names, in array-axis order.
AXIS_NAMES = ("x", "y", "z")
#: 21cmFAST's R_BUBBLE_MAX (Mpc) in the "simple" template; the sharp-k filter needs BOX_LEN >= 3 R_BUBBLE_MAX.
R_BUBBLE_MAX_MPC = 15.0
#: Printed by every report of a suite made with `fast_physics` (its numbers are not the paper's physics).
FAST_PHYSICS_NOTE = "fast physics: for demos and tests"


class ConfigError(ValueError):
    """A suite setting is out of its allowed range; the message names the setting and the allowed values."""


@dataclasses.dataclass(frozen=True)
class SuiteConfig:
    """What a suite contains. Lengths in Mpc, parameters in log10 of their physical units."""

    num_sims: int
    hii_dim: int
    box_len: float
    redshifts: Tuple[float, ...] = (10.0, 15.0, 20.0)
    slab_thickness: int = 4
    slab_spacing: int = 10
    log10_mturn_range: Tuple[float, float] = DEFAULT_RANGES["log10_mturn"]
    log10_lx_range: Tuple[float, float] = DEFAULT_RANGES["log10_lx"]
    log10_ngamma_range: Tuple[float, float] = DEFAULT_RANGES["log10_ngamma"]
    design_seed: int = 0
    keep_real_space_21cm: bool = False
    lines_of_sight: int = 1
    #: 21cmFAST's coarse recipe (`simulation.physics.FAST_PHYSICS_OPTIONS`): ~5x faster, other physics; demos and
    #: tests only. Manifests written before this setting existed lack it and load as False.
    fast_physics: bool = False
    #: Also store each 21 cm map with the foreground wedge removed (`simulation.wedge`: modes with
    #: k∥ < wedge_slope × m_h(z) k⊥ + wedge_buffer cut from the 3D redshift-space box before slabbing), as a field
    #: of its own. Off by default; manifests written before these settings existed load as off.
    wedge: bool = False
    wedge_slope: float = 1.0  # in units of the horizon slope m_h(z): 1 = horizon, sin θ_FoV = primary beam
    wedge_buffer: float = 0.0  # b, Mpc⁻¹
    #: Store the 21 cm maps in float16, compressed, and δ only at `density_redshifts`: ~0.29 MB per 64³ box of 16
    #: maps at three redshifts (+0.12 MB per δ redshift), a suite small enough to commit and grow over many
    #: sessions. AstroNet's params_* datasets build from it, the U-Net's only at redshifts with δ. Manifests written
    #: before these settings existed load as off / none.
    compact: bool = False
    density_redshifts: Tuple[float, ...] = ()
    #: Draw the design (Latin hypercube and seeds) for this many points and make the suite its first num_sims
    #: (0: a design of num_sims points). Such a suite resizes: another num_sims (<= design_size) keeps every box
    #: already made and grows, or cuts, the suite to that prefix of the same design — so a long campaign can pack and
    #: train on what is finished, then go on. Manifests written before this setting existed load as 0.
    design_size: int = 0

    def keeps_density(self, redshift: float) -> bool:
        """Whether the suite's files hold δ maps at `redshift` (a full suite: at every redshift)."""
        return not self.compact or any(abs(redshift - z) < 1e-6 for z in self.density_redshifts)

    @property
    def design_points(self) -> int:
        """How many points the design is drawn for (the suite is its first num_sims)."""
        return self.design_size or self.num_sims

    @property
    def cell_size(self) -> float:
        """Cell size in Mpc."""
        return self.box_len / self.hii_dim

    @property
    def slab_starts(self) -> Tuple[int, ...]:
        """First cell (along the line of sight) of each slab."""
        return tuple(range(0, self.hii_dim - self.slab_thickness + 1, self.slab_spacing))

    @property
    def los_axes(self) -> Tuple[int, ...]:
        """Array axes used as line of sight, in the order their maps are stored (1 line: the last axis only)."""
        return (2,) if self.lines_of_sight == 1 else (0, 1, 2)

    @property
    def maps_per_box(self) -> int:
        """Maps per simulation and redshift: slabs per line of sight × lines of sight."""
        return len(self.slab_starts) * len(self.los_axes)

    def parameter_ranges(self) -> dict:
        """{parameter name: (low, high)} in log10."""
        return {name: tuple(getattr(self, name + "_range")) for name in PARAMETER_NAMES}

    def to_json(self) -> dict:
        """A JSON-friendly dict (tuples become lists)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "SuiteConfig":
        """Inverse of `to_json`."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - fields
        if unknown:
            raise ConfigError(f"unknown suite settings {sorted(unknown)}; known: {sorted(fields)}")
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()})

    def validate(self) -> "SuiteConfig":
        """Raise `ConfigError` naming the first bad setting and its allowed values; return self when all are good."""
        if self.num_sims < 1 or self.num_sims >= MAX_TRAINING_SEED:
            raise ConfigError(f"num_sims={self.num_sims} is not allowed: use 1 <= num_sims < {MAX_TRAINING_SEED}")
        if self.design_size and not self.num_sims <= self.design_size < MAX_TRAINING_SEED:
            raise ConfigError(f"design_size={self.design_size} is not allowed: use 0 (a design of num_sims points) or "
                              f"num_sims={self.num_sims} <= design_size < {MAX_TRAINING_SEED}")
        if self.hii_dim < SIZE_MULTIPLE or self.hii_dim % SIZE_MULTIPLE:
            raise ConfigError(f"hii_dim={self.hii_dim} is not allowed: use a multiple of {SIZE_MULTIPLE} that is >= {SIZE_MULTIPLE} "
                              "(the U-Net pools three times)")
        if not self.box_len >= 3 * R_BUBBLE_MAX_MPC:
            raise ConfigError(f"box_len={self.box_len} Mpc is not allowed: use box_len >= {3 * R_BUBBLE_MAX_MPC:g} Mpc "
                              f"(21cmFAST's sharp-k filter needs BOX_LEN >= 3 R_BUBBLE_MAX = 3 x {R_BUBBLE_MAX_MPC:g} Mpc)")
        if not self.redshifts:
            raise ConfigError("redshifts is empty: give at least one redshift in "
                              f"[{REDSHIFT_RANGE[0]:g}, {REDSHIFT_RANGE[1]:g}]")
        for z in self.redshifts:
            if not REDSHIFT_RANGE[0] <= z <= REDSHIFT_RANGE[1]:
                raise ConfigError(f"redshift {z:g} is not allowed: use redshifts in "
                                  f"[{REDSHIFT_RANGE[0]:g}, {REDSHIFT_RANGE[1]:g}]")
        if len(set(self.redshifts)) != len(self.redshifts):
            raise ConfigError(f"redshifts={list(self.redshifts)} repeats a value: give each redshift once")
        if not 1 <= self.slab_thickness <= self.hii_dim:
            raise ConfigError(f"slab_thickness={self.slab_thickness} is not allowed: use 1 <= slab_thickness <= "
                              f"hii_dim={self.hii_dim}")
        if self.slab_spacing < self.slab_thickness:
            raise ConfigError(f"slab_spacing={self.slab_spacing} is not allowed: use slab_spacing >= "
                              f"slab_thickness={self.slab_thickness} (slabs must not overlap)")
        if self.slab_spacing > self.hii_dim:
            raise ConfigError(f"slab_spacing={self.slab_spacing} is not allowed: use slab_spacing <= "
                              f"hii_dim={self.hii_dim}")
        for name in PARAMETER_NAMES:
            low, high = getattr(self, name + "_range")
            allowed_low, allowed_high = ALLOWED_RANGES[name]
            if not (allowed_low <= low < high <= allowed_high):
                raise ConfigError(f"{name}_range=({low:g}, {high:g}) is not allowed: use low < high within "
                                  f"[{allowed_low:g}, {allowed_high:g}] (paper: {DEFAULT_RANGES[name]})")
        if self.lines_of_sight not in ALLOWED_LINES_OF_SIGHT:
            raise ConfigError(f"lines_of_sight={self.lines_of_sight} is not allowed: use 1 (the z axis) or 3 "
                              "(x, y and z)")
        if self.design_seed < 0:
            raise ConfigError(f"design_seed={self.design_seed} is not allowed: use a seed >= 0")
        if self.density_redshifts and not self.compact:
            raise ConfigError(f"density_redshifts={list(self.density_redshifts)} is only for a compact suite: use it "
                              "with compact (a full suite keeps δ at every redshift)")
        if not set(self.density_redshifts) <= set(self.redshifts):
            raise ConfigError(f"density_redshifts={list(self.density_redshifts)} is not allowed: use redshifts of the "
                              f"suite ({', '.join(f'{z:g}' for z in self.redshifts)})")
        if not self.wedge_slope >= 0:
            raise ConfigError(f"wedge_slope={self.wedge_slope:g} is not allowed: use a slope >= 0 in units of the "
                              "horizon slope (1 = horizon wedge, sin of the field of view's half-angle = primary beam)")
        if not self.wedge_buffer >= 0:
            raise ConfigError(f"wedge_buffer={self.wedge_buffer:g} is not allowed: use a buffer >= 0 in Mpc^-1")
        return self

"""The instrument settings a model is trained for (named telescope, observing time) and their validation.

The one home of the allowed telescopes and of the observation's fixed choices. Importable without TensorFlow
and without tools21cm.
"""
from __future__ import annotations

import dataclasses
import math

#: No instrument: the noiseless simulated maps (every model trained before the instrument model existed).
NO_TELESCOPE = "none"
#: Named telescopes → tools21cm's SKA-Low layout of that construction stage (stations in `tools21cm/input_data`).
TELESCOPES = {"ska_low_aa0.5": "AA0.5", "ska_low_aa1": "AA1", "ska_low_aa2": "AA2", "ska_low_aastar": "AA*",
              "ska_low_aa4": "AA4"}
TELESCOPE_CHOICES = (NO_TELESCOPE,) + tuple(TELESCOPES)
#: The observation: a track of DAILY_HOURS around transit each night at this declination (the SKA-Low EoR
#: deep fields; tools21cm's defaults), sampled every TRACK_STEP_S seconds to grid the uv tracks. The noise does
#: not depend on the step (σ_V² ∝ 1/t and the number of snapshots ∝ 1/t); 30 s moves a baseline at the edge
#: of a 200-cell uv grid by ≤ 0.22 cells per step.
DAILY_HOURS = 6.0
DECLINATION_DEG = -30.0
TRACK_STEP_S = 30.0
#: tools21cm's SKA-Low station SEFD table (SKA-TEL-SKO-0000818 rev. 2, interpolated in log10 over frequency).
SEFD_TABLE = "SKA1-LOW"
#: uv cells measured fewer times than this per snapshot (baselines per snapshot, averaged over the track) count
#: as unsampled: tools21cm's own threshold for the noise (`apply_uv_response_noise(uv_map_min=0.01)`).
MIN_BASELINES_PER_SNAPSHOT = 0.01


@dataclasses.dataclass(frozen=True)
class InstrumentSettings:
    """A telescope (one of TELESCOPE_CHOICES) observing for `obs_hours` hours in total (DAILY_HOURS a night)."""

    telescope: str = NO_TELESCOPE
    obs_hours: float = 1000.0

    @property
    def enabled(self) -> bool:
        """True when maps are observed (a telescope is named)."""
        return self.telescope != NO_TELESCOPE

    @property
    def subarray(self) -> str:
        """tools21cm's name of the layout."""
        return TELESCOPES[self.telescope]

    @property
    def label(self) -> str:
        """E.g. "SKA-Low AA4, 1000 h" for figures and reports ("no telescope" when none)."""
        return f"SKA-Low {self.subarray}, {self.obs_hours:g} h" if self.enabled else "no telescope"

    def validate(self) -> "InstrumentSettings":
        """Raise ValueError naming the bad setting and its allowed values; return self otherwise."""
        if self.telescope not in TELESCOPE_CHOICES:
            raise ValueError(f"--telescope={self.telescope} is not allowed: use one of {', '.join(TELESCOPE_CHOICES)}")
        if not (math.isfinite(self.obs_hours) and self.obs_hours > 0):
            raise ValueError(f"--obs_hours={self.obs_hours:g} is not allowed: use a total observing time in hours > 0")
        return self

    def to_json(self) -> dict:
        """The settings and the observation's fixed choices (what a model card records)."""
        if not self.enabled:
            return {"telescope": NO_TELESCOPE}
        return dict(telescope=self.telescope, subarray=self.subarray, obs_hours=float(self.obs_hours),
                    daily_hours=DAILY_HOURS, declination_deg=DECLINATION_DEG, track_step_s=TRACK_STEP_S,
                    sefd_table=SEFD_TABLE, min_baselines_per_snapshot=MIN_BASELINES_PER_SNAPSHOT)

    @classmethod
    def from_json(cls, data) -> "InstrumentSettings":
        """The settings of a model's `instrument` record (None or missing: no instrument, as before it existed)."""
        data = data or {}
        return cls(telescope=data.get("telescope", NO_TELESCOPE), obs_hours=float(data.get("obs_hours", 1000.0)))

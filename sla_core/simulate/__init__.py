"""The rubric what-if simulator, in the order a replay runs:

- `replay`: the current side (`Baseline`, every ticket as the Review judges it) and a period of it (`Replay`);
- `candidate`: what a product lead changed, applied as a whole validated policy;
- `inputs`: the sliders' numbers by name, and the link that carries them;
- `simulation`: the candidate replayed, judging again only what it can move;
- `frames`: what the page and the command line show of it;
- `agreement`: the current rubric against the impacts people assigned;
- `tables`: the scratch tables each of them owns.
"""

from sla_core.simulate.agreement import Calibration, agreement_tickets, calibration
from sla_core.simulate.candidate import (
    CandidateChanges,
    TargetChange,
    apply_changes,
    changed_targets,
    clock_settings_changed,
    policy_diff,
    targets_warnings,
    with_scale,
    with_target,
    with_thresholds,
    with_weights,
)
from sla_core.simulate.frames import scenario_summary
from sla_core.simulate.inputs import (
    RANGES,
    THRESHOLD_TIERS,
    changes_from_inputs,
    current_inputs,
    input_problems,
    inputs_from_query,
    inputs_to_query,
)
from sla_core.simulate.replay import (
    TICKET_KEY,
    UNTIERED,
    Baseline,
    Period,
    Replay,
    busiest_on_call_week,
    default_quarter,
    prepare_baseline,
    prepare_replay,
    score_profiles,
)
from sla_core.simulate.simulation import Simulation, simulate, write_diff

__all__ = [
    "RANGES",
    "THRESHOLD_TIERS",
    "TICKET_KEY",
    "UNTIERED",
    "Baseline",
    "Calibration",
    "CandidateChanges",
    "Period",
    "Replay",
    "Simulation",
    "TargetChange",
    "agreement_tickets",
    "apply_changes",
    "busiest_on_call_week",
    "calibration",
    "changed_targets",
    "changes_from_inputs",
    "current_inputs",
    "input_problems",
    "inputs_from_query",
    "inputs_to_query",
    "clock_settings_changed",
    "default_quarter",
    "policy_diff",
    "prepare_baseline",
    "prepare_replay",
    "scenario_summary",
    "score_profiles",
    "simulate",
    "targets_warnings",
    "with_scale",
    "with_target",
    "with_thresholds",
    "with_weights",
    "write_diff",
]

"""What the framework hooks share, with no framework imported: a run that is announced on first
use (so hyperparameters logged before any metric are its params), rows of metrics as scalar
series at the framework's step, and an end that says how training ended."""
from __future__ import annotations

import sys
from typing import Any, Dict, Optional

from .. import _describe, get_client
from .._wandb import WandbRun, _json_param, _warn_once


def new_run(agent_id: Optional[str], job_id: Optional[str], name: Optional[str], default_agent: str) -> WandbRun:
    """A run of the wandb layer (lazy announce, config as params, the loss-key rule), outside
    ``wandb.run``: a framework hook's run never becomes the wandb module's active run."""
    client = get_client()
    return WandbRun(
        project=agent_id or client._env_agent or default_agent,
        name=name,
        config=None,
        tags=None,
        notes=None,
        group=None,
        job_type=None,
        run_id=job_id,
        dir=None,
        disabled=client.disabled,
    )


def params(run: WandbRun, values: Dict[str, Any]) -> None:
    if run._run is not None:
        _warn_once("late-params:" + run.id, "hyperparameters logged after the first metrics are not sent (params go with the run's creation)")
        return
    run.config.update({str(k): _json_param(v) for k, v in values.items()})


def metrics(run: WandbRun, row: Dict[str, Any], step: Any) -> None:
    if run._finished:
        _warn_once("late-metrics:" + run.id, "metrics logged after the run ended are not sent (one run per training)")
        return
    if not run.disabled:
        run._emit(dict(row), step)


def progress(run: WandbRun, current: Any, total: Any) -> None:
    if run._finished or run.disabled:
        return
    try:
        r = run._announce()
        if total is not None and total > 0:
            r.progress(current, total)
        else:
            r.progress(current)
    except Exception as err:
        _warn_once("progress:" + run.id, "progress not sent: %s", err)


def end(run: WandbRun, ok: bool) -> None:
    """Completes the run, or, when training did not succeed, ends it as the exception being
    handled says (cancelled for a KeyboardInterrupt, failed with its text otherwise)."""
    if ok:
        run._end("job_completed", None)
        return
    exc = sys.exc_info()[1]
    if isinstance(exc, KeyboardInterrupt):
        run._end("job_cancelled", "interrupted (KeyboardInterrupt)")
    elif exc is not None:
        run._end("job_failed", _describe(type(exc), exc))
    else:
        run._end("job_failed", "training did not finish")

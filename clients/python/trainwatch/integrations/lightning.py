"""A PyTorch Lightning logger: ``Trainer(logger=TrainwatchLogger())``.

Written against ``lightning.pytorch.loggers.Logger`` (Lightning 2.x; ``pytorch_lightning`` too):
``log_hyperparams`` becomes the run's params, ``log_metrics(metrics, step)`` scalar series at
Lightning's step (``train_loss``/``loss``-like keys also the training loss), ``finalize(status)``
the run's end. Only rank 0 reports. Importing this module imports Lightning.
"""
from __future__ import annotations

from argparse import Namespace
from typing import Any, Dict, Optional, Union

try:
    from lightning.pytorch.loggers import Logger
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # the older package name
    from pytorch_lightning.loggers import Logger  # type: ignore[no-redef]
    from pytorch_lightning.utilities import rank_zero_only  # type: ignore[no-redef]

from . import _common

__all__ = ["TrainwatchLogger"]


class TrainwatchLogger(Logger):
    """Reports a ``Trainer.fit`` as a Trainwatch run.

    ``agent_id`` (default $TRAINWATCH_AGENT_ID, else ``"lightning"``), ``job_id`` (default
    $TRAINWATCH_JOB_ID once, else a new one), ``name``: as in ``trainwatch.start``.
    """

    def __init__(self, agent_id: Optional[str] = None, job_id: Optional[str] = None, name: Optional[str] = None) -> None:
        super().__init__()
        self._tw = _common.new_run(agent_id, job_id, name, "lightning")

    @property
    def name(self) -> str:
        return self._tw.agent_id

    @property
    def version(self) -> str:
        return self._tw.id

    @property
    def experiment(self) -> Any:
        """The trainwatch run behind this logger (``trainwatch.Run``), announced on first use."""
        return self._tw._announce()

    @rank_zero_only
    def log_hyperparams(self, params: Union[Dict[str, Any], Namespace], *args: Any, **kwargs: Any) -> None:
        values = vars(params) if isinstance(params, Namespace) else dict(params or {})
        _common.params(self._tw, values)

    @rank_zero_only
    def log_metrics(self, metrics: Dict[str, float], step: Optional[int] = None) -> None:
        _common.metrics(self._tw, metrics, step if step is not None else self._tw.step)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        # Lightning says "success" after a fit that ended normally and "failed" from its
        # exception handler, where the exception is the one being handled.
        _common.end(self._tw, status in ("success", "finished"))

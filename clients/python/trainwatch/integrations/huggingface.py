"""A Hugging Face ``transformers`` callback: ``Trainer(..., callbacks=[TrainwatchCallback()])``.

Written against ``transformers.TrainerCallback``: ``on_train_begin`` starts a run (params: the
``TrainingArguments``), ``on_log`` sends each logged number as a scalar series at
``state.global_step`` (``loss`` also as the training loss) with progress
``global_step / state.max_steps``, ``on_evaluate`` the evaluation metrics, ``on_train_end``
completes the run. A ``train()`` that raises leaves the run to the client's exit handler, which
fails it with the exception. Only the main process reports. Importing this module imports
transformers.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from transformers import TrainerCallback

from . import _common

__all__ = ["TrainwatchCallback"]


class TrainwatchCallback(TrainerCallback):
    def __init__(self, agent_id: Optional[str] = None, job_id: Optional[str] = None, name: Optional[str] = None) -> None:
        self.agent_id = agent_id
        self.job_id = job_id
        self.name = name
        self.run = None  # type: Any

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if self.run is not None and not self.run._finished:
            _common.end(self.run, True)
        name = self.name or getattr(args, "run_name", None)
        self.run = _common.new_run(self.agent_id, self.job_id, name, "huggingface")
        self.run.loss_keys = frozenset(("loss",))
        self.job_id = None  # a second train() is a new run
        _common.params(self.run, args.to_dict() if hasattr(args, "to_dict") else {})
        _common.progress(self.run, state.global_step, state.max_steps)

    def on_log(self, args: Any, state: Any, control: Any, logs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        if self.run is None or not state.is_world_process_zero or not logs:
            return
        if any(k.startswith("eval_") for k in logs):
            return  # the same numbers came through on_evaluate
        row = {k: v for k, v in logs.items() if k != "total_flos"}
        # Only the per-step "loss" is the training loss; train() ends by logging "train_loss", its mean.
        loss = row.pop("loss", None)
        _common.metrics(self.run, row, state.global_step)
        if loss is not None:
            _common.metrics(self.run, {"loss": loss}, state.global_step)
        _common.progress(self.run, state.global_step, state.max_steps)

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        if self.run is None or not state.is_world_process_zero or not metrics:
            return
        _common.metrics(self.run, dict(metrics), state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None or not state.is_world_process_zero:
            return
        _common.progress(self.run, state.global_step, state.max_steps)
        _common.end(self.run, True)

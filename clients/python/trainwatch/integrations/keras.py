"""A Keras callback: ``model.fit(..., callbacks=[TrainwatchCallback()])``.

Written against ``keras.callbacks.Callback`` (Keras 3, or ``tf.keras``): ``on_train_begin``
starts a run (progress in epochs, of ``params["epochs"]``), ``on_epoch_end`` sends each number in
``logs`` as a scalar series at the epoch (1-based; ``loss`` also as the training loss),
``on_train_end`` completes the run; with ``every_n_batches=N`` the batch logs are sent too, as
``batch/<key>`` at the global batch number. Importing this module imports Keras.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

try:
    from keras.callbacks import Callback
except ImportError:
    from tensorflow.keras.callbacks import Callback  # type: ignore[no-redef]

from . import _common

__all__ = ["TrainwatchCallback"]


class TrainwatchCallback(Callback):
    def __init__(self, agent_id: Optional[str] = None, job_id: Optional[str] = None, name: Optional[str] = None, every_n_batches: Optional[int] = None) -> None:
        super().__init__()
        self.agent_id = agent_id
        self.job_id = job_id
        self.name = name
        self.every_n_batches = every_n_batches
        self.run = None  # type: Any
        self._epochs = None  # type: Optional[int]
        self._batches = 0

    def on_train_begin(self, logs: Optional[Dict[str, Any]] = None) -> None:
        self.run = _common.new_run(self.agent_id, self.job_id, self.name, "keras")
        self.run.loss_keys = frozenset(("loss",))
        self.job_id = None  # a second fit() is a new run
        params = dict(getattr(self, "params", None) or {})
        self._epochs = params.get("epochs")
        self._batches = 0
        _common.params(self.run, {k: v for k, v in params.items() if k in ("epochs", "steps", "batch_size", "samples")})
        _common.progress(self.run, 0, self._epochs)

    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        self._batches += 1
        if self.run is None or not self.every_n_batches or self._batches % self.every_n_batches or not logs:
            return
        _common.metrics(self.run, {"batch/" + k: v for k, v in logs.items()}, self._batches)

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        if self.run is None:
            return
        if logs:
            _common.metrics(self.run, dict(logs), epoch + 1)
        _common.progress(self.run, epoch + 1, self._epochs)

    def on_train_end(self, logs: Optional[Dict[str, Any]] = None) -> None:
        if self.run is not None:
            _common.end(self.run, True)

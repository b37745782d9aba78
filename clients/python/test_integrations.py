"""The framework hooks in trainwatch.integrations, each driven by its real framework where that is
importable (a tiny real fit against the fake engine of test_trainwatch.py), skipped with the
reason where it is not. Also: ``import trainwatch`` imports no framework.
Run: python3 -m unittest discover -s clients/python
"""
import importlib
import os
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import trainwatch  # noqa: E402
from test_trainwatch import FakeEngine  # noqa: E402


def importable(*names: str) -> Optional[str]:
    """Why none of ``names`` can be imported, or None when one can."""
    errors = []
    for name in names:
        try:
            importlib.import_module(name)
            return None
        except Exception as err:  # ImportError, or a broken install
            errors.append("%s: %s" % (name, err))
    return "; ".join(errors)


class NoFrameworkAtImport(unittest.TestCase):
    def test_import_trainwatch_imports_no_framework(self) -> None:
        code = "import sys, trainwatch, trainwatch.integrations; print(sorted(m for m in ('torch', 'lightning', 'pytorch_lightning', 'transformers', 'keras', 'tensorflow', 'numpy') if m in sys.modules))"
        out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=HERE), capture_output=True, text=True, timeout=60)
        self.assertEqual((out.stdout, out.stderr), ("[]\n", ""))


class _WithEngine(unittest.TestCase):
    def setUp(self) -> None:
        self.engine = FakeEngine()
        trainwatch.configure(addr=self.engine.addr, env={}, reconnect_min=0.02)

    def tearDown(self) -> None:
        trainwatch.close(2)
        trainwatch.configure(env={}, disabled=True)
        self.engine.stop()

    def events(self, job: str) -> List[Dict[str, Any]]:
        self.assertTrue(trainwatch.flush(10))
        return [e for e in self.engine.events if e.get("job_id") == job]

    def series(self, job: str, kind: str, name: Optional[str] = None) -> List[Any]:
        out = []
        for e in self.events(job):
            if e["type"] == kind == "scalar" and e["name"] == name:
                out.append([e["step"], e["value"]])
            elif e["type"] == kind == "training":
                out.append([e.get("iteration"), e["loss"]])
        return out


LIGHTNING = importable("lightning.pytorch", "pytorch_lightning")


@unittest.skipIf(LIGHTNING is not None, "Lightning is not importable here (%s)" % LIGHTNING)
class LightningLogger(_WithEngine):
    def test_a_fit_reports_hyperparameters_the_logged_loss_at_each_step_and_its_end(self) -> None:
        import torch

        try:
            import lightning.pytorch as pl
        except ImportError:
            import pytorch_lightning as pl  # type: ignore[no-redef]
        from trainwatch.integrations.lightning import TrainwatchLogger

        losses = []  # type: List[float]

        class Model(pl.LightningModule):
            def __init__(self, lr: float = 0.1) -> None:
                super().__init__()
                self.save_hyperparameters()
                self.layer = torch.nn.Linear(1, 1)

            def training_step(self, batch: Any, batch_idx: int) -> Any:
                x, y = batch
                loss = torch.nn.functional.mse_loss(self.layer(x), y)
                losses.append(loss.item())
                self.log("train_loss", loss)
                return loss

            def configure_optimizers(self) -> Any:
                return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

        torch.manual_seed(0)
        x = torch.randn(32, 1)
        data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, 2 * x), batch_size=8)
        with tempfile.TemporaryDirectory() as root:
            trainer = pl.Trainer(
                max_steps=6, logger=TrainwatchLogger(job_id="pl-fit"), log_every_n_steps=1, accelerator="cpu", devices=1,
                enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, default_root_dir=root,
            )
            trainer.fit(Model(lr=0.1), data)
        events = self.events("pl-fit")
        self.assertEqual(events[0]["type"], "job_created")
        self.assertEqual(events[0]["params"], {"lr": 0.1})
        self.assertEqual(events[-1]["type"], "job_completed")
        self.assertEqual([v for _, v in self.series("pl-fit", "scalar", "train_loss")], [float(v) for v in losses])
        self.assertEqual(self.series("pl-fit", "training"), self.series("pl-fit", "scalar", "train_loss"))


TRANSFORMERS = importable("transformers")


@unittest.skipIf(TRANSFORMERS is not None, "transformers is not importable here (%s)" % TRANSFORMERS)
class HuggingFaceCallback(_WithEngine):
    def test_train_reports_each_logged_loss_progress_of_max_steps_and_its_end(self) -> None:
        import torch
        from transformers import Trainer, TrainingArguments
        from trainwatch.integrations.huggingface import TrainwatchCallback

        class Model(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.layer = torch.nn.Linear(1, 1)

            def forward(self, x: Any, labels: Any) -> Dict[str, Any]:
                return {"loss": torch.nn.functional.mse_loss(self.layer(x), labels)}

        torch.manual_seed(0)
        data = [{"x": torch.tensor([v]), "labels": torch.tensor([2 * v])} for v in torch.randn(16).tolist()]
        with tempfile.TemporaryDirectory() as out:
            args = TrainingArguments(output_dir=out, max_steps=4, logging_steps=1, per_device_train_batch_size=4, report_to=[], save_strategy="no", use_cpu=True)
            trainer = Trainer(model=Model(), args=args, train_dataset=data, callbacks=[TrainwatchCallback(job_id="hf-train")])
            trainer.train()
        logged = [(h["step"], h["loss"]) for h in trainer.state.log_history if "loss" in h]
        self.assertEqual(len(logged), 4)
        self.assertEqual(self.series("hf-train", "training"), [[s, v] for s, v in logged])
        events = self.events("hf-train")
        progress = [(e["current_iteration"], e.get("total_iterations")) for e in events if e["type"] == "progress"]
        self.assertEqual(progress[-1], (4, 4))
        self.assertEqual(events[-1]["type"], "job_completed")


KERAS = importable("keras", "tensorflow.keras")


@unittest.skipIf(KERAS is not None, "Keras is not importable here (%s)" % KERAS)
class KerasCallback(_WithEngine):
    def test_fit_reports_the_loss_of_each_epoch_and_its_end(self) -> None:
        try:
            import keras
        except ImportError:
            from tensorflow import keras  # type: ignore[no-redef]
        import numpy as np
        from trainwatch.integrations.keras import TrainwatchCallback

        x = np.linspace(-1, 1, 32).reshape(-1, 1).astype("float32")
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(x, 2 * x, epochs=3, verbose=0, callbacks=[TrainwatchCallback(job_id="keras-fit")])
        self.assertEqual(self.series("keras-fit", "training"), [[i + 1, float(v)] for i, v in enumerate(history.history["loss"])])
        self.assertEqual(self.events("keras-fit")[-1]["type"], "job_completed")


STANDINS = os.path.join(HERE, "standins")


class HooksDrivenAsTheFrameworksCallThem(unittest.TestCase):
    """Each hook in a child process against stand-ins of its framework's base class (standins/),
    called in the documented order; skipped for a framework that is importable, whose real test
    above runs instead."""

    def setUp(self) -> None:
        self.engine = FakeEngine()

    def tearDown(self) -> None:
        self.engine.stop()

    def drive(self, script: str) -> List[Dict[str, Any]]:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, STANDINS]), TRAINWATCH_ADDR=self.engine.addr)
        for k in ("TRAINWATCH_JOB_ID", "TRAINWATCH_AGENT_ID", "TRAINWATCH_LAUNCHED", "TRAINWATCH_DISABLE"):
            env.pop(k, None)
        out = subprocess.run([sys.executable, "-c", "import trainwatch\n" + script + "\nassert trainwatch.flush(10)"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual((out.returncode, out.stderr), (0, ""))
        return [{k: v for k, v in e.items() if k not in ("ts", "seq", "agent_id", "job_id", "pid")} for e in self.engine.events]

    @unittest.skipIf(TRANSFORMERS is None, "transformers is importable: the real test runs instead")
    def test_hugging_face_on_log_on_evaluate_and_progress_of_max_steps(self) -> None:
        events = self.drive("""
from trainwatch.integrations.huggingface import TrainwatchCallback
class Args(object):
    run_name = "hf run"
    def to_dict(self):
        return {"learning_rate": 5e-05, "max_steps": 3, "output_dir": "out"}
class State(object):
    is_world_process_zero = True
    global_step = 0
    max_steps = 3
cb, a, s = TrainwatchCallback(job_id="hf-standin"), Args(), State()
cb.on_train_begin(a, s, None)
for step in (1, 2, 3):
    s.global_step = step
    cb.on_log(a, s, None, logs={"loss": 1.0 / step, "grad_norm": 0.5, "learning_rate": 1e-05 * step, "epoch": step / 3})
    if step == 2:
        cb.on_evaluate(a, s, None, metrics={"eval_loss": 0.7, "epoch": 0.67})
        cb.on_log(a, s, None, logs={"eval_loss": 0.7, "epoch": 0.67})
cb.on_log(a, s, None, logs={"train_runtime": 1.5, "train_loss": 0.61, "epoch": 1.0, "total_flos": 10})
cb.on_train_end(a, s, None)
""")
        self.assertEqual(events[0], {"type": "job_created", "name": "hf run", "params": {"learning_rate": 5e-05, "max_steps": 3, "output_dir": "out"}})
        self.assertEqual([(e["current_iteration"], e["total_iterations"]) for e in events if e["type"] == "progress"], [(0, 3), (1, 3), (2, 3), (3, 3), (3, 3), (3, 3)])
        self.assertEqual([(e["iteration"], e["loss"]) for e in events if e["type"] == "training"], [(1, 1.0), (2, 0.5), (3, 1 / 3)])
        scalars = [(e["name"], e["step"], e["value"]) for e in events if e["type"] == "scalar"]
        self.assertEqual([x for x in scalars if x[0] in ("eval_loss", "train_loss", "total_flos")], [("eval_loss", 2, 0.7), ("train_loss", 3, 0.61)])
        self.assertEqual(events[-1], {"type": "job_completed"})

    @unittest.skipIf(LIGHTNING is None, "Lightning is importable: the real test runs instead")
    def test_lightning_hyperparameters_metrics_at_its_step_and_a_failed_finalize(self) -> None:
        events = self.drive("""
import argparse
from trainwatch.integrations.lightning import TrainwatchLogger
lg = TrainwatchLogger(job_id="pl-standin", name="pl run")
assert (lg.name, lg.version) == ("lightning", "pl-standin")
lg.log_hyperparams(argparse.Namespace(lr=0.1, layers=2))
for step in range(3):
    lg.log_metrics({"train_loss": 1.0 / (step + 1), "epoch": 0}, step=step)
lg.log_metrics({"val_loss": 0.8, "epoch": 0}, step=2)
try:
    raise RuntimeError("CUDA out of memory")
except RuntimeError:
    lg.finalize("failed")
""")
        self.assertEqual(events[0], {"type": "job_created", "name": "pl run", "params": {"lr": 0.1, "layers": 2}})
        self.assertEqual([(e["iteration"], e["loss"]) for e in events if e["type"] == "training"], [(0, 1.0), (1, 0.5), (2, 1 / 3)])
        self.assertEqual([(e["step"], e["value"]) for e in events if e["type"] == "scalar" and e["name"] == "val_loss"], [(2, 0.8)])
        self.assertEqual(events[-1], {"type": "job_failed", "error": "RuntimeError: CUDA out of memory"})

    @unittest.skipIf(KERAS is None, "Keras is importable: the real test runs instead")
    def test_keras_epochs_as_progress_and_every_n_batches(self) -> None:
        events = self.drive("""
from trainwatch.integrations.keras import TrainwatchCallback
cb = TrainwatchCallback(job_id="keras-standin", every_n_batches=2)
cb.set_params({"epochs": 2, "steps": 3, "verbose": 0})
cb.on_train_begin()
for epoch in range(2):
    for b in range(3):
        cb.on_train_batch_end(b, {"loss": 0.1 * (b + 1)})
    cb.on_epoch_end(epoch, {"loss": 0.5 / (epoch + 1), "val_loss": 0.6})
cb.on_train_end()
""")
        self.assertEqual(events[0], {"type": "job_created", "params": {"epochs": 2, "steps": 3}})
        self.assertEqual([(e["current_iteration"], e["total_iterations"]) for e in events if e["type"] == "progress"], [(0, 2), (1, 2), (2, 2)])
        self.assertEqual([(e["step"], e["value"]) for e in events if e["type"] == "scalar" and e["name"] == "batch/loss"], [(2, 0.2), (4, 0.1), (6, 0.30000000000000004)])
        self.assertEqual([(e["iteration"], e["loss"]) for e in events if e["type"] == "training"], [(1, 0.5), (2, 0.25)])
        self.assertEqual(events[-1], {"type": "job_completed"})


if __name__ == "__main__":
    unittest.main()

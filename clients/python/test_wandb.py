"""The wandb layer's own rules, without an engine: config access, series names, step rules.
The scripts that exercise it against a live engine are in test/clients/pythonWandb.test.ts.
Run: python3 -m unittest discover -s clients/python
"""
import argparse
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import trainwatch  # noqa: E402
from trainwatch import _wandb  # noqa: E402


class ConfigAccess(unittest.TestCase):
    def test_attribute_and_item_access_update_and_setdefaults(self) -> None:
        c = trainwatch.Config()
        c.update({"lr": 0.1}, allow_val_change=True)
        c.update(argparse.Namespace(batch_size=32, _private=1))
        c.epochs = 3
        c["model"] = {"layers": 2}
        c.setdefaults({"lr": 0.5, "seed": 7})
        self.assertEqual(c.as_dict(), {"lr": 0.1, "batch_size": 32, "epochs": 3, "model": {"layers": 2}, "seed": 7})
        self.assertEqual((c.lr, c["epochs"], c.get("missing", "d"), "seed" in c, len(c)), (0.1, 3, "d", True, 5))
        with self.assertRaisesRegex(AttributeError, "config has no key 'missing'"):
            c.missing  # noqa: B018
        del c.seed
        self.assertEqual(sorted(c.keys()), ["batch_size", "epochs", "lr", "model"])


class SeriesNames(unittest.TestCase):
    def test_wandb_keys_become_valid_series_names(self) -> None:
        rows = [
            ("train/loss", "train/loss"),
            ("eval loss", "eval_loss"),
            ("acc@1", "acc_1"),
            ("1st", "_1st"),
            ("/leading", "_/leading"),
            ("ü-metric", "_-metric"),
            ("x" * 200, "x" * 128),
        ]
        for key, want in rows:
            with self.subTest(key):
                self.assertEqual(_wandb.series_name(key), want)
                trainwatch._protocol.check_fields({"type": "scalar", "name": want, "value": 1})


class Disabled(unittest.TestCase):
    def test_mode_disabled_keeps_the_api_working_and_sends_nothing(self) -> None:
        trainwatch.configure(addr="127.0.0.1:9", env={})
        try:
            run = trainwatch.init(project="p", id="off", mode="disabled", config={"a": 1})
            run.log({"loss": 1.0})
            run.log({"loss": 0.5}, step=3)
            self.assertIs(trainwatch.run, run)
            self.assertEqual((trainwatch.config.a, run.step), (1, 3))
            trainwatch.finish()
            self.assertIsNone(trainwatch.run)
            self.assertEqual(trainwatch.stats()["queued"], 0)
        finally:
            trainwatch.configure(env={}, disabled=True)


if __name__ == "__main__":
    unittest.main()

"""The client against the one protocol spec: its constants equal shared/protocol/protocol.json,
the conformance cases there give the engine's verdict through the client's own validator, and a
call the engine would refuse raises at the call, naming what is allowed. Also: the package's
version is package.json's. Run: python3 -m unittest discover -s clients/python
"""
import json
import os
import sys
import unittest
from typing import Any, Dict, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import trainwatch  # noqa: E402
from trainwatch import _protocol  # noqa: E402
from trainwatch import _wandb  # noqa: E402

PROTOCOL_JSON = os.path.join(ROOT, "shared", "protocol", "protocol.json")
ALL_PHASES = '"trajectory_generation", "policy_update", "iteration", "checkpoint_save"'


def load_protocol() -> Optional[Dict[str, Any]]:
    if not os.path.exists(PROTOCOL_JSON):
        return None
    with open(PROTOCOL_JSON, encoding="utf-8") as f:
        return json.load(f)


class Version(unittest.TestCase):
    def test_the_package_version_is_package_json_s(self) -> None:
        with open(os.path.join(ROOT, "package.json"), encoding="utf-8") as f:
            want = json.load(f)["version"]
        self.assertEqual(trainwatch.__version__, want)


class ValidationAtTheCall(unittest.TestCase):
    """Each row: a call, the reason code, and the exact message the ProtocolError carries."""

    def setUp(self) -> None:
        self.client = trainwatch.Client(addr="127.0.0.1:9", env={}, disabled=True)
        self.run = self.client.start(job_id="j", agent_id="a")

    def tearDown(self) -> None:
        self.client.close(0.1)

    def rows(self) -> Any:
        run, start = self.run, self.client.start
        return [
            ("a phase name that is not one of PHASES", lambda: run.phase("trajectory").__enter__(), "invalid_value", "duration: phase must be one of %s, got 'trajectory'" % ALL_PHASES),
            ("a duration of a misspelt phase", lambda: run.duration("policy-update", 1.0), "invalid_value", "duration: phase must be one of %s, got 'policy-update'" % ALL_PHASES),
            ("a negative duration", lambda: run.duration("iteration", -0.5), "negative_duration", "duration: seconds must not be negative, got -0.5"),
            ("a negative iteration", lambda: run.progress(-1), "invalid_value", "progress: current_iteration must be >= 0, got -1"),
            ("an iteration given as text", lambda: run.progress("3"), "wrong_type", "progress: current_iteration must be a number, got a string"),
            ("a boolean total", lambda: run.progress(1, True), "wrong_type", "progress: total_iterations must be a number, got a boolean"),
            ("a NaN budget", lambda: run.budget(float("nan")), "non_finite", "budget: usage_usd must be a finite number, got nan"),
            ("an infinite budget limit", lambda: run.budget(1, float("inf")), "non_finite", "budget: limit_usd must be a finite number, got inf"),
            ("a loss that is not a number", lambda: run.training(loss="high"), "wrong_type", "training: loss must be a number (NaN and infinities are fine), got 'high'"),
            ("a scalar name with a space", lambda: run.scalar("eval loss", 1), "invalid_value", "scalar: name must start with a letter or _ and use only letters, digits, _ . / -, got 'eval loss'"),
            ("a scalar name over 128 characters", lambda: run.scalar("x" * 129, 1), "field_too_long", "scalar: name is longer than 128 characters"),
            ("an empty scalar name", lambda: run.scalar("", 1), "missing_field", "scalar: name must not be empty"),
            ("an infinite scalar step", lambda: run.scalar("acc", 1, step=float("inf")), "non_finite", "scalar: step must be a finite number, got inf"),
            ("a job id with a newline", lambda: start(job_id="a\nb", agent_id="a"), "invalid_value", "job_created: job_id must not contain control characters, got 'a\\nb'"),
            ("an empty job id", lambda: start(job_id="", agent_id="a"), "missing_field", "job_created: job_id must not be empty"),
            ("a job id with a lone surrogate", lambda: start(job_id="run-\ud800", agent_id="a"), "invalid_value", "job_created: job_id must be valid Unicode (no lone surrogates)"),
            ("an agent id over 256 characters", lambda: start(job_id="j2", agent_id="x" * 257), "field_too_long", "job_created: agent_id is longer than 256 characters"),
            # 129 emoji are 258 UTF-16 units: the engine counts as JavaScript does.
            ("a job id of 129 emoji", lambda: start(job_id="\U0001F600" * 129, agent_id="a"), "field_too_long", "job_created: job_id is longer than 256 characters"),
            ("a name over 256 characters", lambda: start(job_id="j3", agent_id="a", name="n" * 257), "field_too_long", "job_created: name is longer than 256 characters"),
            ("a negative total", lambda: start(job_id="j4", agent_id="a", total_iterations=-5), "invalid_value", "job_created: total_iterations must be >= 0, got -5"),
            ("params nested 9 deep", lambda: start(job_id="j5", agent_id="a", params=_nested(9)), "too_deep", "job_created: params must be nested at most 8 levels deep"),
            ("params that are not JSON", lambda: start(job_id="j6", agent_id="a", params={"f": object()}), "wrong_type", "job_created: params must be JSON (numbers, strings, booleans, null, lists and objects): object is not a number"),
        ]

    def test_a_call_the_engine_would_refuse_raises_at_the_call_naming_what_is_allowed(self) -> None:
        for name, call, reason, message in self.rows():
            with self.subTest(name):
                with self.assertRaises(trainwatch.ProtocolError) as caught:
                    call()
                self.assertEqual((caught.exception.reason, str(caught.exception)), (reason, message))
                self.assertIsInstance(caught.exception, ValueError)

    def test_a_refused_start_registers_no_job(self) -> None:
        with self.assertRaises(trainwatch.ProtocolError):
            self.client.start(job_id="bad\x00id", agent_id="a")
        self.assertEqual(sorted(self.client._jobs), ["j"])

    def test_the_phase_is_checked_before_the_block_runs(self) -> None:
        ran = []
        with self.assertRaises(trainwatch.ProtocolError):
            with self.run.phase("trajectory"):
                ran.append(1)
        self.assertEqual(ran, [])

    def test_values_the_engine_takes_pass(self) -> None:
        class Tensor(object):  # a 0-d tensor: .item() gives the number
            def item(self) -> float:
                return 0.25

        self.run.training(loss=float("nan"), mean_reward=Tensor(), iteration=3)
        self.run.scalar("train/loss_ema-2.x", float("-inf"), step=Tensor())
        self.run.progress(2, 10.0)
        self.run.budget(0, 0)
        for p in trainwatch.PHASES:
            with self.run.phase(p):
                pass
        self.client.start(job_id="\U0001F600" * 128, agent_id="a" * 256, name="n" * 256, params=_nested(8))

    def test_the_drop_in_logs_what_it_refuses_and_never_raises(self) -> None:
        trainwatch.configure(addr="127.0.0.1:9", env={}, disabled=True)
        try:
            with self.assertLogs("trainwatch", "WARNING") as logs:
                trainwatch.TrainingMetrics.update_progress("a", "j", -1, 3)
                trainwatch.TrainingMetrics.update_budget("a", "j", float("inf"), 3)
            self.assertEqual(
                logs.output,
                [
                    "WARNING:trainwatch:trainwatch: progress: current_iteration must be >= 0, got -1",
                    "WARNING:trainwatch:trainwatch: budget: usage_usd must be a finite number, got inf",
                ],
            )
        finally:
            trainwatch.configure(env={}, disabled=True)

    def test_free_text_is_cut_to_the_limit_in_utf16_units_without_splitting_a_character(self) -> None:
        rows = [
            ("ascii under the limit", "boom", 8192, "boom"),
            ("ascii over", "x" * 9000, 8192, "x" * 8192),
            ("emoji at the boundary", "a" + "\U0001F600" * 5, 4, "a\U0001F600"),
            ("a lone surrogate", "bad \ud800 text", 100, "bad ? text"),
        ]
        for name, text, limit, want in rows:
            with self.subTest(name):
                self.assertEqual(_protocol.clean_text(text, limit), want)


def _nested(depth: int) -> Dict[str, Any]:
    """Params whose deepest object is ``depth`` levels down, as the engine counts."""
    v = {"leaf": 1}  # type: Dict[str, Any]
    for _ in range(depth - 1):
        v = {"k": v}
    return v


def _strict_json(line: str) -> Any:
    """JSON as the engine reads it: Python's json also takes bare NaN and Infinity, JSON does not."""

    def refuse(name: str) -> Any:
        raise ValueError("%s is not JSON" % name)

    return json.loads(line, parse_constant=refuse)


class AgainstProtocolJson(unittest.TestCase):
    """shared/protocol/protocol.json is generated from shared/protocol (npm run gen:protocol)."""

    def setUp(self) -> None:
        spec = load_protocol()
        if spec is None:
            if os.environ.get("CI") == "true":
                self.fail("%s is missing: it is generated from shared/protocol (npm run gen:protocol)" % PROTOCOL_JSON)
            self.skipTest("%s is not generated in this checkout" % PROTOCOL_JSON)
        self.spec = spec  # type: Dict[str, Any]

    def test_the_clients_constants_are_the_specs(self) -> None:
        s = self.spec
        self.assertEqual(_protocol.PROTOCOL_VERSION, s["protocol_version"])
        self.assertEqual(list(trainwatch.PHASES), s["phases"])
        self.assertEqual(list(_protocol.EVENT_TYPES), s["event_types"])
        self.assertEqual(sorted(_protocol.LIFECYCLE - {"job_created"}), sorted(s["terminal_types"]))
        self.assertEqual(list(trainwatch.SYSTEM_FIELDS), s["system_fields"])
        self.assertEqual(list(_protocol.NON_FINITE_STRINGS), s["non_finite_strings"])
        self.assertEqual(sorted(_wandb.LOSS_KEYS), sorted(s["loss_like_scalars"]))
        self.assertEqual(trainwatch.DEFAULT_ADDR, s["defaults"]["addr"])
        self.assertEqual(trainwatch.MAX_MESSAGE, s["limits"]["message_length"])
        snake = {"".join("_" + c.lower() if c.isupper() else c for c in k): v for k, v in _protocol.LIMITS.items()}
        self.assertEqual(snake, s["limits"])
        self.assertEqual(_protocol.SCALAR_NAME.pattern, s["rules"]["scalar_name"].replace("\\/", "/"))

    def test_the_client_checks_exactly_the_fields_of_each_event_with_the_specs_bounds(self) -> None:
        events = self.spec["events"]
        self.assertEqual(sorted(events), sorted(_protocol.EVENT_TYPES))
        for kind, schema in events.items():
            with self.subTest(kind):
                rules = _protocol._RULES[kind]
                self.assertEqual(sorted(["type"] + [f for f, _, _, _ in rules]), sorted(schema["properties"]))
                self.assertEqual(sorted(["type"] + [f for f, _, _, req in rules if req]), sorted(schema["required"]))
        system = events["system"]["properties"]
        for field, (low, high) in _protocol.SYSTEM_RANGES.items():
            with self.subTest(field):
                self.assertEqual((low, high), (system[field].get("minimum"), system[field].get("maximum")))

    def test_the_client_reads_every_environment_variable_the_spec_names(self) -> None:
        with open(os.path.join(HERE, "trainwatch", "__init__.py"), encoding="utf-8") as f:
            source = f.read()
        for name in self.spec["client_env"].values():
            with self.subTest(name):
                self.assertIn('"%s"' % name, source)

    def test_every_conformance_case_gets_the_engines_verdict_from_the_client(self) -> None:
        checked = 0
        for case in self.spec["conformance"]:
            try:
                value = _strict_json(case["line"])
            except ValueError:
                self.assertEqual(case["expect"], "invalid_json", case["name"])
                continue  # the client never writes a line that is not JSON (allow_nan=False)
            if isinstance(value, dict) and value.get("type") == "hello":
                continue  # the client writes its own hello; its client_id is made, not given
            with self.subTest(case["name"]):
                try:
                    _protocol.check_event(value)
                    got = "accept"
                except trainwatch.ProtocolError as err:
                    got = err.reason
                self.assertEqual(got, case["expect"], case["line"][:200])
                checked += 1
        self.assertGreaterEqual(checked, 60)


if __name__ == "__main__":
    unittest.main()

"""Unit tests for the trainwatch package against a small fake engine on loopback that speaks the stream
protocol (hello, cumulative acks, cancel lines). Run: python3 -m unittest discover -s clients/python

The real engine is exercised from test/clients/python.test.ts; these pin the client's own rules.
"""
import ast
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import unittest
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import trainwatch  # noqa: E402


class FakeEngine(object):
    """Accepts stream connections, applies events once per (client_id, seq), acks each chunk."""

    def __init__(self, port: int = 0, ack: bool = True) -> None:
        self.ack = ack
        self.events = []  # type: List[Dict[str, Any]]
        self.duplicates = 0
        self.hellos = []  # type: List[Dict[str, Any]]
        self.ledger = {}  # type: Dict[str, int]
        self.conns = []  # type: List[socket.socket]
        self.lock = threading.Lock()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", port))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        client_id = None  # type: Optional[str]
        buf = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            top = -1
            out = []
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = json.loads(raw.decode("utf-8"))  # a bare NaN would raise here
                with self.lock:
                    if line["type"] == "hello":
                        client_id = line["client_id"]
                        self.hellos.append(line)
                        out.append({"type": "hello", "server": "fake", "protocol": 1, "client_id": client_id, "last_seq": self.ledger.get(client_id)})
                        continue
                    seq = line.get("seq")
                    if client_id is not None and seq is not None and seq <= self.ledger.get(client_id, -1):
                        self.duplicates += 1
                    else:
                        self.events.append(line)
                        if client_id is not None and seq is not None:
                            self.ledger[client_id] = seq
                    if seq is not None:
                        top = max(top, seq)
            if top >= 0 and self.ack:
                out.append({"type": "ack", "seq": top})
            try:
                conn.sendall("".join(json.dumps(o) + "\n" for o in out).encode())
            except OSError:
                return

    def send_all(self, line: Dict[str, Any]) -> None:
        with self.lock:
            for c in self.conns:
                try:
                    c.sendall((json.dumps(line) + "\n").encode())
                except OSError:
                    pass

    def drop_connections(self) -> None:
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self.conns = []

    def stop(self) -> None:
        self.running = False
        try:
            # Wakes the accept thread first: a closed descriptor's number can be reused by the
            # next engine's socket, and a thread still blocked on it would serve that one.
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()
        self.drop_connections()

    def of_type(self, kind: str) -> List[Dict[str, Any]]:
        with self.lock:
            return [e for e in self.events if e["type"] == kind]

    def wait_for(self, cond: Any, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError("timed out; events so far: %r" % (self.events[-10:],))
            time.sleep(0.01)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def client(addr: str, **kw: Any) -> trainwatch.Client:
    kw.setdefault("reconnect_min", 0.02)
    kw.setdefault("reconnect_max", 0.1)
    kw.setdefault("env", {})
    return trainwatch.Client(addr=addr, **kw)


class AddressAndValues(unittest.TestCase):
    def test_parses_every_documented_address_form(self) -> None:
        rows = [
            ("tcp host:port", "127.0.0.1:9479", ("tcp", ("127.0.0.1", 9479))),
            ("localhost", " localhost:1 ", ("tcp", ("localhost", 1))),
            ("bracketed IPv6", "[::1]:9479", ("tcp", ("::1", 9479))),
            ("absolute socket path", "/run/user/1000/trainwatch.sock", ("unix", "/run/user/1000/trainwatch.sock")),
            ("relative socket path", "./tw.sock", ("unix", "./tw.sock")),
            ("unix: prefix", "unix:tw.sock", ("unix", "tw.sock")),
        ]
        for name, text, want in rows:
            with self.subTest(name):
                self.assertEqual(trainwatch.parse_addr(text), want)

    def test_refuses_what_is_neither_host_port_nor_a_path(self) -> None:
        for text in ["nonsense", "host:0", "host:70000", "::1:9479", ":9479", "host:port"]:
            with self.subTest(text):
                with self.assertRaisesRegex(ValueError, "neither HOST:PORT nor a Unix socket path"):
                    trainwatch.parse_addr(text)

    def test_writes_non_finite_metric_values_as_the_protocol_strings(self) -> None:
        self.assertEqual(
            [trainwatch.metric_value(x) for x in [float("nan"), float("inf"), float("-inf"), 0.5, 2]],
            ["NaN", "Infinity", "-Infinity", 0.5, 2.0],
        )

    def test_the_package_parses_as_python_3_8(self) -> None:
        pkg = os.path.join(HERE, "trainwatch")
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(pkg) for f in fs if f.endswith(".py"))
        self.assertIn(os.path.join(pkg, "__init__.py"), files)
        for path in files:
            with self.subTest(os.path.relpath(path, HERE)):
                with open(path) as f:
                    ast.parse(f.read(), feature_version=(3, 8))


class Delivery(unittest.TestCase):
    def setUp(self) -> None:
        self.engines = []  # type: List[FakeEngine]
        self.clients = []  # type: List[trainwatch.Client]

    def tearDown(self) -> None:
        for c in self.clients:
            c.close(0.2)
        for e in self.engines:
            e.stop()

    def engine(self, port: int = 0, ack: bool = True) -> FakeEngine:
        e = FakeEngine(port, ack)
        self.engines.append(e)
        return e

    def client(self, addr: str, **kw: Any) -> trainwatch.Client:
        c = client(addr, **kw)
        self.clients.append(c)
        return c

    def test_sends_hello_first_and_numbers_events_from_1(self) -> None:
        eng = self.engine()
        c = self.client(eng.addr, client_id="c1")
        run = c.start(job_id="j1", agent_id="a", total_iterations=3, budget_limit_usd=2.0, name="n", params={"lr": 0.1})
        run.progress(1)
        self.assertTrue(c.flush(5))
        self.assertEqual(eng.hellos, [{"type": "hello", "client_id": "c1"}])
        created = eng.events[0]
        self.assertEqual(
            {k: v for k, v in created.items() if k != "ts"},
            {"type": "job_created", "job_id": "j1", "agent_id": "a", "total_iterations": 3, "budget_limit_usd": 2.0, "name": "n", "params": {"lr": 0.1}, "pid": os.getpid(), "seq": 1},
        )
        self.assertEqual([e["seq"] for e in eng.events], [1, 2])
        self.assertEqual(c.stats()["acked"], 2)

    def test_sends_nan_and_infinity_as_strings_and_never_a_bare_nan(self) -> None:
        eng = self.engine()
        c = self.client(eng.addr)
        run = c.start(job_id="j", agent_id="a")
        run.training(loss=float("nan"), mean_reward=float("-inf"))
        run.scalar("grad_norm", float("inf"))
        # Anywhere else a non-finite number is the caller's mistake: refused at the call.
        with self.assertRaisesRegex(trainwatch.ProtocolError, r"^duration: seconds must be a finite number, got nan$"):
            run.duration("policy_update", float("nan"))
        with self.assertRaisesRegex(trainwatch.ProtocolError, r"^progress: current_iteration must be a finite number, got inf$"):
            run.progress(float("inf"))
        # A hand-made event with a bare NaN is still never sent (allow_nan=False).
        with self.assertLogs("trainwatch", "WARNING") as logs:
            c.emit({"type": "progress", "job_id": "j", "agent_id": "a", "current_iteration": float("nan")})
        self.assertTrue(c.flush(5))
        self.assertEqual([(e.get("loss"), e.get("mean_reward")) for e in eng.of_type("training")], [("NaN", "-Infinity")])
        self.assertEqual([e["value"] for e in eng.of_type("scalar")], ["Infinity"])
        self.assertEqual(eng.of_type("duration") + eng.of_type("progress"), [])
        self.assertEqual(c.stats()["invalid"], 1)
        self.assertIn("NaN and infinities are allowed only in loss, mean_reward and scalar values", logs.output[0])

    def test_sends_numpy_like_numbers_as_plain_numbers(self) -> None:
        class Scalar(object):
            def __init__(self, v: float) -> None:
                self.v = v

            def item(self) -> float:
                return self.v

            def __float__(self) -> float:
                return self.v

        eng = self.engine()
        c = self.client(eng.addr)
        run = c.start(job_id="j", agent_id="a")
        run.progress(Scalar(7))  # type: ignore[arg-type]
        run.training(loss=Scalar(0.25))  # type: ignore[arg-type]
        self.assertTrue(c.flush(5))
        self.assertEqual(eng.of_type("progress")[0]["current_iteration"], 7)
        self.assertEqual(eng.of_type("training")[0]["loss"], 0.25)

    def test_never_blocks_the_loop_while_the_engine_is_down_then_delivers_everything_once(self) -> None:
        port = free_port()
        c = self.client("127.0.0.1:%d" % port)
        run = c.start(job_id="j", agent_id="a")
        slowest = 0.0
        for i in range(300):
            t = time.perf_counter()
            run.progress(i)
            run.training(loss=1.0 / (i + 1))
            slowest = max(slowest, time.perf_counter() - t)
            if i == 100:
                eng = self.engine(port)
        # A report that waited for the connection would take the 2 s connect timeout or a backoff
        # (seconds); 0.5 s leaves room for a descheduled thread on a loaded machine.
        self.assertLess(slowest, 0.5, "one report took %.3fs" % slowest)
        self.assertTrue(c.flush(5))
        self.assertEqual([e["current_iteration"] for e in eng.of_type("progress")], list(range(300)))
        self.assertEqual(eng.duplicates, 0)
        self.assertEqual(c.stats()["dropped"], 0)

    def test_after_a_reconnect_resends_only_what_the_engine_has_not_processed(self) -> None:
        eng = self.engine(ack=False)  # processes, but its acks never arrive
        c = self.client(eng.addr, client_id="resend")
        run = c.start(job_id="j", agent_id="a")
        for i in range(5):
            run.progress(i)
        eng.wait_for(lambda: len(eng.events) == 6)
        self.assertEqual(c.stats()["buffered"], 6)
        eng.ack = True
        eng.drop_connections()
        for i in range(5, 8):
            run.progress(i)
        self.assertTrue(c.flush(5))
        self.assertEqual([e["seq"] for e in eng.events], list(range(1, 10)))
        self.assertEqual(eng.duplicates, 0)
        self.assertEqual(len(eng.hellos), 2)
        self.assertEqual(c.stats()["reconnects"], 1)

    def test_with_the_engine_gone_mid_run_keeps_the_newest_events_and_reports_the_drops_once(self) -> None:
        eng = self.engine()
        port = eng.port
        c = self.client(eng.addr, max_buffer=20)
        run = c.start(job_id="j", agent_id="a", total_iterations=100)
        self.assertTrue(c.flush(5))
        eng.stop()
        time.sleep(0.05)
        with self.assertLogs("trainwatch", "WARNING") as logs:
            for i in range(100):
                run.progress(i)
            run.finish()
            back = self.engine(port)
            self.assertTrue(c.flush(5))
        dropped = c.stats()["dropped"]
        self.assertGreater(dropped, 0)
        drop_warnings = [m for m in logs.output if "dropping the oldest" in m]
        self.assertEqual(len(drop_warnings), 1)
        self.assertTrue(any("%d events were dropped while it was unreachable" % dropped in m for m in logs.output), logs.output)
        progress = [e["current_iteration"] for e in back.of_type("progress")]
        self.assertEqual(progress[-1], 99)
        self.assertEqual(len(back.of_type("job_completed")), 1)
        # Reported before the job's end, though it ended while the engine was away.
        self.assertEqual([e["value"] for e in back.of_type("scalar") if e["name"] == "trainwatch/dropped_events"], [dropped])
        self.assertEqual([e["type"] for e in back.events[-2:]], ["scalar", "job_completed"])

    def test_tells_a_running_job_how_many_events_were_dropped(self) -> None:
        port = free_port()
        c = self.client("127.0.0.1:%d" % port, max_buffer=5)
        run = c.start(job_id="j", agent_id="a")
        for i in range(20):
            run.progress(i)
        eng = self.engine(port)
        self.assertTrue(c.flush(5))
        eng.wait_for(lambda: eng.of_type("scalar"))
        self.assertEqual(eng.of_type("job_created")[0]["job_id"], "j")
        self.assertEqual([(e["name"], e["value"]) for e in eng.of_type("scalar")], [("trainwatch/dropped_events", c.stats()["dropped"])])

    def test_flushes_what_is_left_when_the_interpreter_exits(self) -> None:
        eng = self.engine()
        code = textwrap.dedent(
            """
            import trainwatch
            run = trainwatch.start(job_id="exit-j", agent_id="a")
            for i in range(50):
                run.progress(i)
            run.finish()
            """
        )
        env = dict(os.environ, PYTHONPATH=HERE, TRAINWATCH_ADDR=eng.addr)
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(len(eng.of_type("progress")), 50)
        self.assertEqual(len(eng.of_type("job_completed")), 1)

    def test_reports_an_uncaught_exception_as_the_runs_failure_at_exit(self) -> None:
        eng = self.engine()
        code = "import trainwatch\nrun = trainwatch.start(job_id='crash', agent_id='a')\nraise RuntimeError('CUDA out of memory')\n"
        env = dict(os.environ, PYTHONPATH=HERE, TRAINWATCH_ADDR=eng.addr)
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertEqual([e["error"] for e in eng.of_type("job_failed")], ["RuntimeError: CUDA out of memory"])

    def test_disabled_sends_nothing(self) -> None:
        eng = self.engine()
        c = self.client(eng.addr, env={"TRAINWATCH_DISABLE": "1"})
        c.start(job_id="j", agent_id="a").progress(1)
        self.assertTrue(c.flush(1))
        time.sleep(0.1)
        self.assertEqual(eng.events, [])


class JobScoped(unittest.TestCase):
    def setUp(self) -> None:
        self.eng = FakeEngine()
        self.c = client(self.eng.addr)

    def tearDown(self) -> None:
        self.c.close(0.2)
        self.eng.stop()

    def ended(self) -> List[Dict[str, Any]]:
        self.assertTrue(self.c.flush(5))
        return [{k: v for k, v in e.items() if k in ("type", "error", "reason")} for e in self.eng.events if e["type"].startswith("job_") and e["type"] != "job_created"]

    def test_a_block_that_returns_completes_the_job(self) -> None:
        with self.c.start(job_id="ok", agent_id="a") as run:
            with run.phase("policy_update"):
                time.sleep(0.01)
        self.assertEqual(self.ended(), [{"type": "job_completed"}])
        seconds = self.eng.of_type("duration")[0]["seconds"]
        self.assertTrue(0.009 < seconds < 1, seconds)

    def test_a_block_that_raises_fails_the_job_with_the_exception_text_and_reraises(self) -> None:
        with self.assertRaises(ValueError):
            with self.c.start(job_id="bad", agent_id="a"):
                raise ValueError("loss diverged at step 7")
        self.assertEqual(self.ended(), [{"type": "job_failed", "error": "ValueError: loss diverged at step 7"}])

    def test_keyboard_interrupt_cancels_and_sys_exit_0_completes(self) -> None:
        with self.assertRaises(KeyboardInterrupt):
            with self.c.start(job_id="ki", agent_id="a"):
                raise KeyboardInterrupt()
        with self.assertRaises(SystemExit):
            with self.c.start(job_id="exit0", agent_id="a"):
                sys.exit(0)
        self.assertEqual(self.ended(), [{"type": "job_cancelled", "reason": "interrupted (KeyboardInterrupt)"}, {"type": "job_completed"}])

    def test_only_the_first_ending_counts_and_nothing_is_sent_after_it(self) -> None:
        run = self.c.start(job_id="once", agent_id="a")
        run.finish()
        run.fail("late")
        run.progress(3)
        self.assertEqual(self.ended(), [{"type": "job_completed"}])
        self.assertEqual(self.eng.of_type("progress"), [])

    def test_a_cancel_sets_the_flag_and_calls_back_with_the_reason(self) -> None:
        heard = []  # type: List[str]
        run = self.c.start(job_id="cx", agent_id="a", on_cancel=heard.append)
        self.assertTrue(self.c.flush(5))
        self.eng.send_all({"type": "cancel", "job_id": "other", "reason": "not yours"})
        self.eng.send_all({"type": "cancel", "job_id": "cx", "reason": "stopped from the UI"})
        self.assertTrue(run.cancel_event.wait(5))
        self.assertEqual((run.cancelled, run.cancel_reason, heard), (True, "stopped from the UI", ["stopped from the UI"]))
        run.cancel()
        self.assertEqual(self.ended(), [{"type": "job_cancelled", "reason": "stopped from the UI"}])

    def test_with_interrupt_a_cancel_raises_keyboard_interrupt_in_the_main_thread(self) -> None:
        with self.assertRaises(KeyboardInterrupt):
            with self.c.start(job_id="intr", agent_id="a", interrupt=True) as run:
                self.assertTrue(self.c.flush(5))
                self.eng.send_all({"type": "cancel", "job_id": "intr", "reason": "enough"})
                started = time.monotonic()
                time.sleep(10)  # a blocking call is interrupted too, like by Ctrl-C
        self.assertLess(time.monotonic() - started, 5)
        self.assertTrue(run.cancelled)
        self.assertEqual(self.ended(), [{"type": "job_cancelled", "reason": "enough"}])

    def test_under_trainwatch_run_leaves_creation_to_the_launcher_and_sends_the_metadata(self) -> None:
        env = {"TRAINWATCH_LAUNCHED": "1", "TRAINWATCH_JOB_ID": "L1", "TRAINWATCH_AGENT_ID": "ppo"}
        c = client(self.eng.addr, env=env)
        try:
            run = c.start(total_iterations=10, budget_limit_usd=5)
            other = c.start(agent_id="ppo")
            self.assertTrue(c.flush(5))
        finally:
            c.close(0.2)
        self.assertEqual((run.job_id, run.agent_id), ("L1", "ppo"))
        self.assertNotEqual(other.job_id, "L1")
        self.assertEqual([e["job_id"] for e in self.eng.of_type("job_created")], [other.job_id])
        self.assertEqual([(e["current_iteration"], e["total_iterations"]) for e in self.eng.of_type("progress")], [(0, 10)])
        self.assertEqual([(e["usage_usd"], e["limit_usd"]) for e in self.eng.of_type("budget")], [(0, 5)])
        # The launcher SIGINTs for its own job; the client interrupts only for the others.
        self.assertEqual((run._job.interrupt, other._job.interrupt), (False, True))

    def test_under_trainwatch_run_leaves_a_keyboard_interrupt_of_its_job_to_the_launcher(self) -> None:
        env = {"TRAINWATCH_LAUNCHED": "1", "TRAINWATCH_JOB_ID": "L2"}
        c = client(self.eng.addr, env=env)
        try:
            with self.assertRaises(KeyboardInterrupt):
                with c.start():
                    raise KeyboardInterrupt()
            self.assertTrue(c.flush(5))
        finally:
            c.close(0.2)
        # The launcher knows whether its SIGINT was a cancel (and why) or a Ctrl-C.
        self.assertEqual([e["type"] for e in self.eng.events], ["heartbeat"])


class DropIn(unittest.TestCase):
    def setUp(self) -> None:
        self.eng = FakeEngine()
        trainwatch.configure(addr=self.eng.addr, env={}, reconnect_min=0.02)

    def tearDown(self) -> None:
        trainwatch.get_client().close(0.2)
        self.eng.stop()

    def test_names_the_job_after_the_first_update_and_sends_held_phases_after_job_created(self) -> None:
        M = trainwatch.TrainingMetrics
        M.job_created("ppo")
        with M.measure_trajectory_generation("ppo"):
            pass
        M.update_budget("ppo", "run-7", 5.0, 20.0)
        with M.measure_policy_update("ppo"):
            pass
        M.update_progress("ppo", "run-7", 1, 10)
        M.update_training_metrics("ppo", "run-7", loss=float("nan"), mean_reward=None)
        M.update_training_metrics("ppo", "run-7")
        M.job_completed("ppo")
        self.assertTrue(trainwatch.flush(5))
        got = [(e["type"], e["job_id"], e.get("phase")) for e in self.eng.events]
        self.assertEqual(
            got,
            [
                ("job_created", "run-7", None),
                ("duration", "run-7", "trajectory_generation"),
                ("budget", "run-7", None),
                ("duration", "run-7", "policy_update"),
                ("progress", "run-7", None),
                ("training", "run-7", None),
                ("job_completed", "run-7", None),
            ],
        )
        created, held = self.eng.events[0], self.eng.events[1]
        self.assertLessEqual(created["ts"], held["ts"])
        self.assertEqual(self.eng.of_type("training")[0]["loss"], "NaN")
        self.assertNotIn("mean_reward", self.eng.of_type("training")[0])

    def test_a_job_that_ends_before_any_update_gets_a_generated_id(self) -> None:
        M = trainwatch.TrainingMetrics
        M.job_created("sac")
        M.job_failed("sac")
        M.job_cancelled("sac")  # no open job: ends a new one, as the engine would create it
        self.assertTrue(trainwatch.flush(5))
        ids = [(e["type"], e["job_id"]) for e in self.eng.events]
        self.assertEqual([t for t, _ in ids], ["job_created", "job_failed", "job_cancelled"])
        self.assertRegex(ids[0][1], r"^sac-\d+-[0-9a-f]{8}$")
        self.assertEqual(ids[0][1], ids[1][1])
        self.assertNotEqual(ids[1][1], ids[2][1])

    def test_two_agents_keep_their_own_current_job(self) -> None:
        M = trainwatch.TrainingMetrics
        M.job_created("a")
        M.job_created("b")
        M.update_progress("a", "ja", 1, 2)
        M.update_progress("b", "jb", 1, 2)
        with M.measure_iteration("a"):
            pass
        with M.measure_checkpoint_save("b"):
            pass
        M.job_completed("b")
        M.job_completed("a")
        self.assertTrue(trainwatch.flush(5))
        self.assertEqual([(e["phase"], e["job_id"]) for e in self.eng.of_type("duration")], [("iteration", "ja"), ("checkpoint_save", "jb")])
        self.assertEqual([e["job_id"] for e in self.eng.of_type("job_completed")], ["jb", "ja"])

    def test_never_raises_into_training_code(self) -> None:
        M = trainwatch.TrainingMetrics
        with self.assertLogs("trainwatch", "WARNING"):
            M.update_training_metrics("a", "j", loss="not a number")  # type: ignore[arg-type]
            M.update_progress("a", "j", object(), 2)  # type: ignore[arg-type]


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    unittest.main()

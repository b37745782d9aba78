"""Trainwatch client for Python training scripts. Standard library only, Python >= 3.8.
``pip install ./clients/python`` (docs/clients.md).

Drop-in for the original prometheus_client metrics module: change the import, keep the calls::

    from trainwatch import TrainingMetrics

    TrainingMetrics.job_created(agent_id)
    with TrainingMetrics.measure_policy_update(agent_id):
        update_policy()
    TrainingMetrics.update_progress(agent_id, job_id, iteration, total)
    TrainingMetrics.update_training_metrics(agent_id, job_id, loss=loss, mean_reward=reward)
    TrainingMetrics.job_completed(agent_id)

Job-scoped API for new code::

    import trainwatch

    with trainwatch.start(job_id="ppo-1", agent_id="ppo", total_iterations=100) as run:
        for i in range(100):
            with run.phase("policy_update"):
                update_policy()
            run.progress(i + 1)
            run.training(loss=loss, mean_reward=reward)
            if run.cancelled:
                break
    # completed; or failed with the exception's text if the block raised

A wandb script runs unchanged with ``import trainwatch as wandb`` (``init``, ``log``, ``config``,
``summary``, ``finish``; the mapping is in trainwatch/_wandb.py and docs/clients.md), and
``trainwatch.integrations`` has hooks for PyTorch Lightning, Hugging Face and Keras.

Arguments the engine would refuse (a phase not in PHASES, an id with control characters, a
negative or non-finite progress) raise :class:`ProtocolError` at the call, naming what is allowed.

Promises to the training loop:

* Never blocks and never raises because of the monitor. Every call appends to a bounded buffer
  under a lock; a background thread sends batches. With the engine down, the buffer keeps the
  newest events (lifecycle events first), counts what it dropped, logs that once, reconnects with
  backoff and tells the engine how many were lost (scalar ``trainwatch/dropped_events``).
* Nothing is applied twice: the client says ``hello`` and numbers its events, and after a
  reconnect resends only what the engine has not processed (docs/protocol.md, section 6.4).
* Events still buffered at exit are flushed (up to ``flush_timeout`` seconds; 1 second when the
  engine is unreachable).
* NaN and +-Infinity losses, rewards and scalar values are sent as the protocol's strings
  ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; lines are encoded with ``allow_nan=False``, so a
  bare NaN can never be sent.
* Cancel from the Trainwatch UI reaches the script: ``run.cancelled`` becomes true, ``on_cancel``
  callbacks run (on the client's thread), and with ``interrupt=True`` (the default under
  ``trainwatch run``) the main thread gets a KeyboardInterrupt.

Configuration from the environment: ``TRAINWATCH_ADDR`` (``HOST:PORT``, ``[IPV6]:PORT``,
``unix:PATH`` or a path with ``/``; default ``127.0.0.1:9479``), ``TRAINWATCH_JOB_ID`` and
``TRAINWATCH_AGENT_ID`` (defaults for the first job), ``TRAINWATCH_LAUNCHED=1`` (set by
``trainwatch run``, which then owns that job's creation and end), ``TRAINWATCH_DISABLE=1``,
``TRAINWATCH_TOKEN`` (the engine's token when it runs with ``--auth``; sent in ``hello``),
``TRAINWATCH_GPU_STATS=SECONDS`` (send this process's GPU figures through NVML every SECONDS,
for an engine on another machine; off by default, since a local engine samples the process itself).
Messages go to the ``trainwatch`` logger.
"""
from __future__ import annotations

import _thread
import atexit
import itertools
import json
import logging
import math
import os
import select
import signal
import socket
import sys
import threading
import time
import uuid
import weakref
from collections import deque
from contextlib import contextmanager
from typing import Any, Callable, Deque, Dict, Iterator, List, NamedTuple, Optional, Tuple, Union

from ._protocol import (
    ALERT_LEVELS,
    DEFAULT_ADDR,
    LIFECYCLE,
    LIMITS,
    MAX_MESSAGE,
    PHASES,
    SYSTEM_FIELDS,
    SYSTEM_RANGES,
    ProtocolError,
    alert_level,
    check_event,
    check_fields,
    clean_text,
    number,
)
from ._version import __version__

__all__ = [
    "ALERT_LEVELS",
    "AlertLevel",
    "DEFAULT_ADDR",
    "LIMITS",
    "MAX_MESSAGE",
    "PHASES",
    "ProtocolError",
    "SYSTEM_FIELDS",
    "Client",
    "Run",
    "TrainingMetrics",
    "close",
    "configure",
    "flush",
    "get_client",
    "gpu_stats",
    "metric_value",
    "parse_addr",
    "start",
    "stats",
    "__version__",
]

_log = logging.getLogger("trainwatch")
_MAX_LOGGED_REJECTIONS = 10
_MAX_HELD = 1000

Addr = Tuple[str, Union[str, Tuple[str, int]]]
Event = Dict[str, Any]


def parse_addr(text: str) -> Addr:
    """``("unix", path)`` or ``("tcp", (host, port))`` from TRAINWATCH_ADDR syntax."""
    s = text.strip()
    if s.startswith("unix:"):
        return ("unix", s[5:])
    if "/" in s:
        return ("unix", s)
    host, sep, port = s.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535 or (":" in host and not s.startswith("[")):
        raise ValueError("address %r is neither HOST:PORT nor a Unix socket path" % text)
    return ("tcp", (host, int(port)))


def format_addr(addr: Addr) -> str:
    kind, where = addr
    if kind == "unix":
        return str(where)
    host, port = where  # type: ignore[misc]
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def metric_value(x: Any) -> Union[float, str]:
    """A loss, mean reward or scalar value as the protocol wants it (non-finite as strings)."""
    v = float(x)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _now() -> float:
    return time.time()


def _json_default(o: Any) -> Any:
    """NumPy scalars, 0-d arrays and tensors as plain numbers (``.item()``)."""
    if hasattr(o, "item"):
        o = o.item()
        if isinstance(o, (int, float, str, bool)) or o is None:
            return o
    if hasattr(o, "__float__"):
        return float(o)
    raise TypeError("%s is not a number" % type(o).__name__)


# Built once: json.dumps with any option builds a new encoder per call (a third of a call's cost).
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"), default=_json_default)


class _Entry(NamedTuple):
    seq: int
    data: bytes
    job_id: str
    lifecycle: bool


class _Job(object):
    """What the client knows of one job it reports: for heartbeats and cancels."""

    def __init__(self, job_id: str, agent_id: str, launcher_owned: bool, interrupt: bool) -> None:
        self.job_id = job_id
        self.agent_id = agent_id
        self.launcher_owned = launcher_owned
        self.interrupt = interrupt
        self.last_emit = time.monotonic()
        self.ended = False
        self.cancel_event = threading.Event()
        self.cancel_reason = None  # type: Optional[str]
        self.callbacks = []  # type: List[Callable[[str], None]]
        self.reported_drops = 0


class Client(object):
    """A connection to one engine, shared by any number of jobs. Thread-safe."""

    def __init__(
        self,
        addr: Optional[str] = None,
        client_id: Optional[str] = None,
        max_buffer: int = 10000,
        flush_interval: float = 0.05,
        heartbeat_interval: float = 30.0,
        reconnect_min: float = 0.1,
        reconnect_max: float = 5.0,
        flush_timeout: float = 5.0,
        disabled: Optional[bool] = None,
        env: Optional[Dict[str, str]] = None,
        gpu_stats_interval: Optional[float] = None,
    ) -> None:
        self._env = dict(os.environ if env is None else env)
        self.addr = parse_addr(addr if addr is not None else (self._env.get("TRAINWATCH_ADDR") or DEFAULT_ADDR))
        if max_buffer < 1:
            raise ValueError("max_buffer must be >= 1, got %r" % (max_buffer,))
        self.client_id = client_id or "%s-%d-%s" % (socket.gethostname(), os.getpid(), uuid.uuid4().hex[:8])
        self.max_buffer = max_buffer
        self.flush_interval = flush_interval
        self.heartbeat_interval = heartbeat_interval
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self.flush_timeout = flush_timeout
        self.disabled = self._env.get("TRAINWATCH_DISABLE") == "1" if disabled is None else disabled
        self.launched = self._env.get("TRAINWATCH_LAUNCHED") == "1"
        self.token = self._env.get("TRAINWATCH_TOKEN") or None
        self._env_job = self._env.get("TRAINWATCH_JOB_ID") or None
        self._env_agent = self._env.get("TRAINWATCH_AGENT_ID") or None
        self._env_job_used = False
        self._pid = os.getpid()
        # Off unless asked: where the engine runs on the same machine it samples this process itself.
        if gpu_stats_interval is None:
            try:
                gpu_stats_interval = float(self._env.get("TRAINWATCH_GPU_STATS") or 0)
            except ValueError:
                _log.warning("trainwatch: TRAINWATCH_GPU_STATS must be a number of seconds; GPU stats are off")
                gpu_stats_interval = 0.0
        self.gpu_stats_interval = gpu_stats_interval
        self._setup()
        atexit.register(self._at_exit)
        if self.gpu_stats_interval > 0 and not self.disabled:
            threading.Thread(target=self._gpu_loop, name="trainwatch-gpu", daemon=True).start()

    def _setup(self) -> None:
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._buf = deque()  # type: Deque[_Entry]
        self._seq = 0
        self._jobs = {}  # type: Dict[str, _Job]
        self._thread = None  # type: Optional[threading.Thread]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._closing = False
        self._closed = False
        self._hurry = False
        self._stats = {"queued": 0, "acked": 0, "rejected": 0, "dropped": 0, "invalid": 0, "reconnects": 0}
        self._connected = False
        self._unreported_drops = 0
        self._warned_drop = False

    # -- what training code calls (any thread) --------------------------------------------------

    def emit(self, event: Event) -> None:
        """Queues one protocol event; adds ``seq``. Never blocks, never raises."""
        if self.disabled or self._closed:
            return
        try:
            self._emit(event, True)
        except Exception as err:  # a monitor must never break training
            _log.warning("trainwatch: event not sent: %s", err)

    def _emit(self, event: Event, bounded: bool) -> None:
        if os.getpid() != self._pid:
            self._after_fork()
        with self._lock:
            self._seq += 1
            seq = self._seq
            event = dict(event)
            event["seq"] = seq
            try:
                data = (_ENCODER.encode(event) + "\n").encode("utf-8")
            except (TypeError, ValueError) as err:
                self._stats["invalid"] += 1
                _log.warning("trainwatch: %s event not sent: %s (NaN and infinities are allowed only in loss, mean_reward and scalar values)", event.get("type"), err)
                return
            job_id = str(event.get("job_id"))
            lifecycle = event.get("type") in LIFECYCLE
            self._buf.append(_Entry(seq, data, job_id, lifecycle))
            self._stats["queued"] += 1
            job = self._jobs.get(job_id)
            if job is not None:
                job.last_emit = time.monotonic()
            # Lifecycle events are few (two per job) and never dropped: without them a run never
            # starts or never ends. The bound is on everything else.
            if bounded and not lifecycle and len(self._buf) > self.max_buffer:
                self._drop_one()
            start = self._thread is None
        if start:
            self._start_thread()
        if lifecycle:
            self._wake()

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until everything queued so far is acknowledged; False after ``timeout`` seconds."""
        if self.disabled or self._thread is None:
            return True
        deadline = time.monotonic() + (self.flush_timeout if timeout is None else timeout)
        with self._lock:
            self._hurry = True
        self._wake()
        with self._lock:
            try:
                while self._buf:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._thread is None or not self._thread.is_alive():
                        return False
                    self._settled.wait(min(left, 0.1))
                return True
            finally:
                self._hurry = False

    def close(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Flushes, then stops the background thread. Logs what could not be delivered."""
        if self._closed:
            return self.stats()
        delivered = self.flush(timeout)
        with self._lock:
            self._closing = True
            undelivered = len(self._buf)
            dropped = self._stats["dropped"]
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)
        self._closed = True
        if not delivered and undelivered:
            _log.warning("trainwatch: %d events could not be delivered to %s (engine unreachable)", undelivered, format_addr(self.addr))
        if dropped:
            _log.warning("trainwatch: %d events were dropped in all while the engine was unreachable", dropped)
        for s in (self._wake_r, self._wake_w):
            try:
                s.close()
            except OSError:
                pass
        return self.stats()

    def stats(self) -> Dict[str, Any]:
        """Counts: queued, acked, rejected, dropped, invalid, reconnects; buffered; connected."""
        with self._lock:
            out = dict(self._stats)  # type: Dict[str, Any]
            out["buffered"] = len(self._buf)
            out["connected"] = self._connected
            return out

    def start(
        self,
        job_id: Optional[str] = None,
        agent_id: Optional[str] = None,
        total_iterations: Optional[float] = None,
        budget_limit_usd: Optional[float] = None,
        name: Optional[str] = None,
        params: Optional[Dict[str, Any]] = None,
        on_cancel: Optional[Callable[[str], None]] = None,
        interrupt: Optional[bool] = None,
    ) -> "Run":
        """Starts reporting a job; see the module-level :func:`start`."""
        agent = agent_id or self._env_agent or "default"
        total_iterations = number(total_iterations)
        budget_limit_usd = number(budget_limit_usd)
        # Checked before anything is registered: a run the engine would refuse is an error here.
        job, owned = self._job_id(job_id, agent, dry=True)
        created = {"type": "job_created", "job_id": job, "agent_id": agent, "name": name, "total_iterations": total_iterations, "budget_limit_usd": budget_limit_usd, "params": params}
        check_event({k: v for k, v in created.items() if v is not None})
        if params is not None:
            try:
                _ENCODER.encode(params)
            except (TypeError, ValueError) as err:
                raise ProtocolError("wrong_type", "job_created: params must be JSON (numbers, strings, booleans, null, lists and objects): %s" % err)
        job, owned = self._job_id(job_id, agent)
        state = self._register(job, agent, owned, interrupt)
        run = Run(self, state)
        if on_cancel is not None:
            run.on_cancel(on_cancel)
        extra = {}  # type: Event
        if name is not None:
            extra["name"] = name
        if params is not None:
            extra["params"] = params
        self._announce(state, total_iterations, budget_limit_usd, extra)
        return run

    # -- shared by Run and TrainingMetrics ------------------------------------------------------

    def _job_id(self, job_id: Optional[str], agent_id: str, dry: bool = False) -> Tuple[str, bool]:
        """The job id to use, and whether `trainwatch run` owns that job's creation and end
        (``dry``: only says which, consuming nothing)."""
        with self._lock:
            if job_id is None and self._env_job and not self._env_job_used and (self._env_agent is None or self._env_agent == agent_id):
                job_id = self._env_job
            if job_id is None:
                job_id = "%s-%d-%s" % (agent_id, int(_now()), uuid.uuid4().hex[:8])
            if job_id == self._env_job and not dry:
                self._env_job_used = True
            return job_id, self.launched and job_id == self._env_job

    def _register(self, job_id: str, agent_id: str, launcher_owned: bool, interrupt: Optional[bool]) -> _Job:
        # Under `trainwatch run` the launcher SIGINTs the child for its own job; for other jobs the
        # client interrupts the main thread itself. Never both: a second interrupt would break
        # the clean-up the first one started.
        if interrupt is None:
            interrupt = self.launched and not launcher_owned
        job = _Job(job_id, agent_id, launcher_owned, bool(interrupt))
        with self._lock:
            self._jobs[job_id] = job
        return job

    def _announce(self, job: _Job, total: Optional[float], limit: Optional[float], extra: Event, ts: Optional[float] = None) -> None:
        ids = {"job_id": job.job_id, "agent_id": job.agent_id}
        if not job.launcher_owned:
            e = dict(type="job_created", ts=ts if ts is not None else _now(), **ids)  # type: Event
            if total is not None:
                e["total_iterations"] = total
            if limit is not None:
                e["budget_limit_usd"] = limit
            # The engine's system sampler watches this process (CPU, memory, GPU) by its pid.
            e["pid"] = os.getpid()
            e.update(extra)
            self.emit(e)
            return
        # `trainwatch run` created this job; send what it cannot know.
        if total is not None:
            self.emit(dict(type="progress", current_iteration=0, total_iterations=total, **ids))
        if limit is not None:
            self.emit(dict(type="budget", usage_usd=0, limit_usd=limit, **ids))
        if total is None and limit is None:
            self.emit(dict(type="heartbeat", **ids))

    def _end(self, job: _Job, kind: str, text: Optional[str] = None) -> bool:
        """Sends the job's terminal event once; False if it had ended already."""
        with self._lock:
            if job.ended:
                return False
            job.ended = True
            self._jobs.pop(job.job_id, None)
            dropped = self._stats["dropped"]
        if dropped > job.reported_drops:
            # The run's record should say what it lost, even when it ends before a reconnect.
            self._report_drops(job, dropped)
        e = {"type": kind, "job_id": job.job_id, "agent_id": job.agent_id, "ts": _now()}  # type: Event
        if text is not None and kind == "job_failed":
            e["error"] = clean_text(text)
        if text is not None and kind == "job_cancelled":
            e["reason"] = clean_text(text)
        self.emit(e)
        return True

    def _report_drops(self, job: _Job, dropped: int) -> None:
        job.reported_drops = dropped
        # Outside the buffer's bound: it must not push out what it reports on.
        self._emit({"type": "scalar", "job_id": job.job_id, "agent_id": job.agent_id, "name": "trainwatch/dropped_events", "value": dropped}, False)

    # -- the background thread ------------------------------------------------------------------

    def _gpu_loop(self) -> None:
        """Sends this process's GPU figures (gpu_stats()) for every open job, every gpu_stats_interval seconds."""
        while True:
            time.sleep(self.gpu_stats_interval)
            with self._lock:
                if self._closing:
                    return
                jobs = [j for j in self._jobs.values() if not j.ended]
            if os.getpid() != self._pid:
                return
            if not jobs:
                continue
            fields = gpu_stats()
            if not fields:
                _log.warning("trainwatch: no GPU stats to send (%s); GPU stats are off", _nvml_state["why"] or "no GPU in use")
                return
            for j in jobs:
                e = dict(type="system", job_id=j.job_id, agent_id=j.agent_id, ts=_now())  # type: Event
                e.update(fields)
                self.emit(e)

    def _start_thread(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._io_loop, name="trainwatch-io", daemon=True)
        self._thread.start()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass  # full (a wake-up is pending anyway) or closed

    def _drop_one(self) -> None:
        # Called with the lock held, after a non-lifecycle event was added: the oldest such goes.
        for i, e in enumerate(self._buf):
            if not e.lifecycle:
                del self._buf[i]
                break
        self._stats["dropped"] += 1
        self._unreported_drops += 1
        if not self._warned_drop:
            self._warned_drop = True
            _log.warning(
                "trainwatch: the engine at %s is unreachable and %d events are waiting; dropping the oldest (lifecycle events are kept; see stats()['dropped'])",
                format_addr(self.addr), self.max_buffer,
            )

    def _io_loop(self) -> None:
        try:
            _Connection(self).run()
        except Exception:  # pragma: no cover - a bug here must not take training down
            _log.exception("trainwatch: the reporting thread stopped")

    def _after_fork(self) -> None:
        # A forked child (a DataLoader worker, multiprocessing) has no I/O thread and shares the
        # parent's buffer: it starts afresh, under its own client id.
        self._pid = os.getpid()
        self.client_id = "%s-%d-%s" % (socket.gethostname(), self._pid, uuid.uuid4().hex[:8])
        self._setup()

    def _at_exit(self) -> None:
        if self._closed or os.getpid() != self._pid:
            return
        _finish_at_exit(self)
        if self._thread is not None:
            # Connected: give the engine time to take the rest. Unreachable: do not hold up the
            # exit of a script whose monitor is not running.
            self.close(self.flush_timeout if self._connected else min(self.flush_timeout, 1.0))


class _Connection(object):
    """The I/O thread's state: one socket at a time, hello, resend, acks, cancels, heartbeats."""

    def __init__(self, client: Client) -> None:
        self.c = client
        self.sock = None  # type: Optional[socket.socket]
        self.ready = False
        self.inbuf = b""
        self.outbuf = b""
        self.written = 0
        self.backoff = client.reconnect_min
        self.next_attempt = 0.0
        self.hello_deadline = 0.0
        self.ever_connected = False
        self.warned_down = False
        self.last_attempt = 0.0

    def run(self) -> None:
        c = self.c
        while True:
            with c._lock:
                if c._closing:
                    break
                hurry = c._hurry
            now = time.monotonic()
            # Someone waits in flush(): retry soon instead of at the end of a long backoff.
            due = min(self.next_attempt, self.last_attempt + 0.1) if hurry else self.next_attempt
            if self.sock is None and now >= due:
                self.connect()
            rlist = [c._wake_r]  # type: List[Any]
            wlist = []  # type: List[Any]
            if self.sock is not None:
                rlist.append(self.sock)
                if self.outbuf:
                    wlist.append(self.sock)
            timeout = c.flush_interval
            if self.sock is None:
                timeout = max(0.0, min(timeout, due - time.monotonic()))
            try:
                readable, writable, _ = select.select(rlist, wlist, [], timeout)
            except (OSError, ValueError):
                self.disconnect()
                continue
            if c._wake_r in readable:
                try:
                    while c._wake_r.recv(4096):
                        pass
                except OSError:
                    pass
            if self.sock is not None and self.sock in readable:
                self.receive()
            if self.sock is not None and self.ready:
                self.heartbeats()
                self.fill()
            if self.sock is not None and self.outbuf:
                self.send()
            if self.sock is not None and not self.ready and time.monotonic() > self.hello_deadline:
                self.disconnect()
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        with c._lock:
            c._connected = False
            c._settled.notify_all()

    def connect(self) -> None:
        c = self.c
        kind, where = c.addr
        self.last_attempt = time.monotonic()
        try:
            if kind == "unix":
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            else:
                host, port = where  # type: ignore[misc]
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                if host == "localhost":
                    family = socket.AF_INET
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(2.0)
            try:
                sock.connect(where)
            except Exception:
                sock.close()
                raise
            sock.setblocking(False)
        except (OSError, ValueError) as err:
            if not self.warned_down:
                self.warned_down = True
                _log.warning("trainwatch: cannot reach the engine at %s (%s); buffering events and retrying", format_addr(c.addr), err)
            self.schedule_retry()
            return
        self.sock = sock
        self.ready = False
        self.inbuf = b""
        hello = {"type": "hello", "client_id": c.client_id}
        if c.token:
            hello["token"] = c.token
        self.outbuf = (json.dumps(hello) + "\n").encode("utf-8")
        self.hello_deadline = time.monotonic() + 5.0

    def schedule_retry(self) -> None:
        self.next_attempt = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, self.c.reconnect_max)

    def disconnect(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.ready = False
        self.outbuf = b""
        with self.c._lock:
            self.c._connected = False
        self.schedule_retry()

    def receive(self) -> None:
        try:
            data = self.sock.recv(65536)  # type: ignore[union-attr]
        except BlockingIOError:
            return
        except OSError:
            self.disconnect()
            return
        if not data:
            self.disconnect()
            return
        self.inbuf += data
        while b"\n" in self.inbuf:
            raw, self.inbuf = self.inbuf.split(b"\n", 1)
            try:
                line = json.loads(raw.decode("utf-8"))
            except ValueError:
                continue
            if not isinstance(line, dict):
                continue
            kind = line.get("type")
            if kind == "hello":
                last = line.get("last_seq")
                self.on_hello(last if isinstance(last, int) else None)
            elif kind == "ack" and isinstance(line.get("seq"), int):
                self.settle(line["seq"])
            elif kind == "error":
                self.on_error(line)
            elif kind == "cancel" and isinstance(line.get("job_id"), str):
                reason = line.get("reason")
                _cancel_requested(self.c, line["job_id"], reason if isinstance(reason, str) else "cancelled")

    def on_hello(self, last_seq: Optional[int]) -> None:
        c = self.c
        with c._lock:
            if self.ever_connected:
                c._stats["reconnects"] += 1
            drops = c._unreported_drops
            c._unreported_drops = 0
            c._connected = True
        if self.warned_down or drops:
            _log.warning("trainwatch: connected to the engine at %s%s", format_addr(c.addr), "; %d events were dropped while it was unreachable" % drops if drops else "")
        self.ever_connected = True
        self.warned_down = False
        self.backoff = c.reconnect_min
        if last_seq is not None:
            self.settle(last_seq)
        self.written = last_seq if last_seq is not None else 0
        self.ready = True
        with c._lock:
            pending = set(e.job_id for e in c._buf)
            jobs = [j for j in c._jobs.values() if not j.ended]
            dropped = c._stats["dropped"]
        for j in jobs:
            if dropped > j.reported_drops:
                c._report_drops(j, dropped)
            elif j.job_id not in pending:
                # Nothing to resend for this job: a heartbeat registers this connection for its
                # cancels, and says the job is alive. Outside the bound, like the drop report.
                c._emit({"type": "heartbeat", "job_id": j.job_id, "agent_id": j.agent_id}, False)

    def on_error(self, line: Dict[str, Any]) -> None:
        c = self.c
        with c._lock:
            c._stats["rejected"] += 1
            n = c._stats["rejected"]
        if n <= _MAX_LOGGED_REJECTIONS:
            where = "seq %s" % line["seq"] if "seq" in line else "line %s" % line.get("line")
            more = " (further rejections are only counted in stats()['rejected'])" if n == _MAX_LOGGED_REJECTIONS else ""
            _log.warning("trainwatch: the engine rejected %s (%s): %s%s", where, line.get("reason"), line.get("message"), more)

    def settle(self, seq: int) -> None:
        c = self.c
        with c._lock:
            n = 0
            while c._buf and c._buf[0].seq <= seq:
                c._buf.popleft()
                n += 1
            c._stats["acked"] += n
            if not c._buf:
                c._settled.notify_all()

    def heartbeats(self) -> None:
        c = self.c
        now = time.monotonic()
        with c._lock:
            due = [j for j in c._jobs.values() if not j.ended and now - j.last_emit >= c.heartbeat_interval]
        for j in due:
            c.emit({"type": "heartbeat", "job_id": j.job_id, "agent_id": j.agent_id})

    def fill(self) -> None:
        if self.outbuf:
            return
        c = self.c
        parts = []  # type: List[bytes]
        size = 0
        with c._lock:
            # The buffer is in seq order and holds at most last.seq - written unwritten entries,
            # all at its end: start there instead of walking (under the lock, which the training
            # loop needs for every event) past everything written but not yet acknowledged.
            start = max(0, len(c._buf) - (c._buf[-1].seq - self.written)) if c._buf else 0
            for e in itertools.islice(c._buf, start, None):
                if e.seq <= self.written:
                    continue
                parts.append(e.data)
                self.written = e.seq
                size += len(e.data)
                if size >= 256 * 1024:
                    break
        self.outbuf = b"".join(parts)

    def send(self) -> None:
        try:
            n = self.sock.send(self.outbuf)  # type: ignore[union-attr]
        except BlockingIOError:
            return
        except OSError:
            self.disconnect()
            return
        self.outbuf = self.outbuf[n:]


def _cancel_requested(client: Client, job_id: str, reason: str) -> None:
    with client._lock:
        job = client._jobs.get(job_id)
        if job is None or job.ended or job.cancel_reason is not None:
            return
        job.cancel_reason = reason
        callbacks = list(job.callbacks)
    _log.warning("trainwatch: cancel requested for job %s: %s", job_id, reason)
    for cb in callbacks:
        try:
            cb(reason)
        except Exception:
            _log.exception("trainwatch: an on_cancel callback raised")
    job.cancel_event.set()  # after the callbacks: whoever waits on it sees their effects
    if job.interrupt:
        _interrupt_main()


def _interrupt_main() -> None:
    """Ctrl-C for the main thread: a real SIGINT to it, so a blocking call returns too."""
    main = threading.main_thread().ident
    if hasattr(signal, "pthread_kill") and main is not None:
        signal.pthread_kill(main, signal.SIGINT)
    else:  # pragma: no cover - Windows: lands when the main thread next runs Python code
        _thread.interrupt_main()


class Run(object):
    """One job reported by this process. Every method is safe from any thread, in any order."""

    def __init__(self, client: Client, job: _Job) -> None:
        self._client = client
        self._job = job
        self.job_id = job.job_id
        self.agent_id = job.agent_id

    @property
    def cancelled(self) -> bool:
        """True once the monitor asked to cancel this job."""
        return self._job.cancel_reason is not None

    @property
    def cancel_reason(self) -> Optional[str]:
        return self._job.cancel_reason

    @property
    def cancel_event(self) -> threading.Event:
        """Set when a cancel arrives, after the on_cancel callbacks ran: ``run.cancel_event.wait(timeout)``."""
        return self._job.cancel_event

    @property
    def ended(self) -> bool:
        return self._job.ended

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        """Calls ``callback(reason)`` when the monitor asks to cancel (on the client's thread)."""
        with self._client._lock:
            self._job.callbacks.append(callback)
            already = self._job.cancel_reason
        if already is not None:
            callback(already)

    # Every method below checks its arguments as the engine would (protocol.json) and raises
    # ProtocolError (a ValueError) naming the field and what is allowed: a mistake the client can
    # see fails at the call. The engine being down never raises.

    def progress(self, current_iteration: float, total_iterations: Optional[float] = None) -> None:
        e = {"type": "progress", "current_iteration": number(current_iteration)}  # type: Event
        if total_iterations is not None:
            e["total_iterations"] = number(total_iterations)
        self._checked(e)

    def budget(self, usage_usd: float, limit_usd: Optional[float] = None) -> None:
        e = {"type": "budget", "usage_usd": number(usage_usd)}  # type: Event
        if limit_usd is not None:
            e["limit_usd"] = number(limit_usd)
        self._checked(e)

    def training(self, loss: Optional[float] = None, mean_reward: Optional[float] = None, iteration: Optional[float] = None) -> None:
        """The training loss and mean reward (NaN and infinities travel), optionally the iteration."""
        e = {"type": "training"}  # type: Event
        if loss is not None:
            e["loss"] = _metric_arg("training: loss", loss)
        if mean_reward is not None:
            e["mean_reward"] = _metric_arg("training: mean_reward", mean_reward)
        if iteration is not None:
            e["iteration"] = number(iteration)
        self._checked(e)

    def scalar(self, name: str, value: float, step: Optional[float] = None) -> None:
        """One point of the scalar series ``name`` (letters, digits, ``_ . / -``; at most 128)."""
        e = {"type": "scalar", "name": name, "value": _metric_arg("scalar: value", value)}  # type: Event
        if step is not None:
            e["step"] = number(step)
        self._checked(e)

    def heartbeat(self) -> None:
        self._send({"type": "heartbeat"})

    def alert(self, title: str, text: Optional[str] = None, level: Any = "INFO") -> None:
        """Tells the person watching (``wandb.alert``): a desktop notification where the app
        runs, and the run view's latest alert. ``title`` 1..256 characters, ``text`` at most
        8192, ``level`` one of ALERT_LEVELS (``AlertLevel.INFO``/``WARN``/``ERROR``)."""
        e = {"type": "alert", "title": title}  # type: Event
        if text is not None:
            e["text"] = text
        e["level"] = alert_level(level)
        self._checked(e)

    def system(self, **fields: Optional[float]) -> None:
        """Measurements of this job's process and machine (a ``system`` event, protocol.md 4.11),
        for an engine that cannot sample this process itself (another machine, a container):
        ``run.system(**trainwatch.gpu_stats())``, or any of SYSTEM_FIELDS. Not a heartbeat.
        Unlike the other methods it logs a bad value instead of raising: its figures come from
        drivers (NVML), not from the training code."""
        e = {"type": "system"}  # type: Event
        for k, v in fields.items():
            if v is None:
                continue
            if k not in SYSTEM_FIELDS:
                _log.warning("trainwatch: system event not sent: unknown field %r (known: %s)", k, ", ".join(SYSTEM_FIELDS))
                return
            low, high = SYSTEM_RANGES[k]
            v = number(v)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < low or (high is not None and v > high):
                bound = ">= %s" % (low,) if high is None else "in [%s, %s]" % (low, high)
                _log.warning("trainwatch: system event not sent: %s must be a finite number %s, got %r", k, bound, v)
                return
            e[k] = v
        if len(e) > 1:
            self._send(e)

    def duration(self, phase: str, seconds: float) -> None:
        """A phase you timed yourself: one of PHASES, in seconds."""
        self._checked({"type": "duration", "phase": phase, "seconds": number(seconds)})

    @contextmanager
    def phase(self, phase: str) -> Iterator[None]:
        """Times the block as one of PHASES, also when it raises. A name not in PHASES raises
        ProtocolError before the block runs."""
        check_fields({"type": "duration", "phase": phase, "seconds": 0})
        started = time.perf_counter()
        try:
            yield
        finally:
            self.duration(phase, time.perf_counter() - started)

    def finish(self) -> None:
        """The job completed."""
        self._client._end(self._job, "job_completed")

    def fail(self, error: Optional[str] = None) -> None:
        self._client._end(self._job, "job_failed", error)

    def cancel(self, reason: Optional[str] = None) -> None:
        """Reports the job as cancelled (by default with the reason the monitor gave)."""
        self._client._end(self._job, "job_cancelled", reason if reason is not None else self._job.cancel_reason)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc_type is None:
            if self.cancelled:
                self.cancel()
            else:
                self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            # Under `trainwatch run` the launcher knows better: a SIGINT it sent for a cancel
            # (whose line may not have reached this thread yet), or a Ctrl-C. It records the end.
            if self._job.cancel_reason is not None or not self._job.launcher_owned:
                self.cancel(self._job.cancel_reason or "interrupted (KeyboardInterrupt)")
        elif issubclass(exc_type, SystemExit) and getattr(exc, "code", None) in (None, 0):
            self.finish()
        elif self.cancelled:
            self.cancel()
        else:
            self.fail(_describe(exc_type, exc))

    def _checked(self, e: Event) -> None:
        check_fields(e)
        self._send(e)

    def _send(self, e: Event) -> None:
        if self._job.ended:
            return
        e["job_id"] = self.job_id
        e["agent_id"] = self.agent_id
        e["ts"] = _now()
        self._client.emit(e)



_nvml_state = {"ready": False, "why": None}  # type: Dict[str, Any]


def gpu_stats(pid: Optional[int] = None) -> Dict[str, float]:
    """This process's GPU figures through NVML (the ``pynvml`` module of ``pip install
    nvidia-ml-py``), as ``system`` event fields: the memory the process (``pid``, default this
    one) holds, summed over GPUs, and the mean utilization, summed power and hottest temperature
    of the GPUs it holds memory on. In a container with its own pid namespace NVML reports host
    pids; when no GPU lists this pid, the figures cover every GPU visible here (memory: all used
    memory on them). Empty when pynvml is not installed or there is no GPU. Never raises."""
    try:
        import pynvml  # type: ignore[import-not-found]
    except ImportError:
        _nvml_state["why"] = "pynvml is not installed: pip install nvidia-ml-py"
        return {}
    try:
        if not _nvml_state["ready"]:
            pynvml.nvmlInit()
            _nvml_state["ready"] = True
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception as err:  # NVMLError: no driver, no GPU
        _nvml_state["why"] = "NVML: %s" % (err,)
        return {}
    if not handles:
        _nvml_state["why"] = "NVML lists no GPU"
        return {}
    me = os.getpid() if pid is None else pid
    mine = []  # type: List[Any]
    mem = 0
    mem_known = False
    for h in handles:
        try:
            procs = pynvml.nvmlDeviceGetComputeRunningProcesses(h)
        except Exception:
            continue
        held = [p for p in procs if p.pid == me]
        if held:
            mine.append(h)
            for p in held:
                if isinstance(p.usedGpuMemory, int):  # None where NVML cannot attribute it (MIG)
                    mem += p.usedGpuMemory
                    mem_known = True
    if not mine:
        mine = handles
        for h in handles:
            try:
                mem += pynvml.nvmlDeviceGetMemoryInfo(h).used
                mem_known = True
            except Exception:
                pass
    out = {}  # type: Dict[str, float]
    if mem_known:
        out["gpu_mem_bytes"] = mem
    utils, power, temps = [], [], []  # type: List[float], List[float], List[float]
    for h in mine:
        try:
            utils.append(pynvml.nvmlDeviceGetUtilizationRates(h).gpu / 100.0)
        except Exception:
            pass  # MIG mode: no whole-GPU utilization
        try:
            power.append(pynvml.nvmlDeviceGetPowerUsage(h) / 1000.0)  # milliwatts
        except Exception:
            pass
        try:
            temps.append(float(pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU)))
        except Exception:
            pass
    if utils:
        out["gpu_util_ratio"] = min(1.0, max(0.0, sum(utils) / len(utils)))
    if power:
        out["gpu_power_watts"] = sum(power)
    if temps:
        out["gpu_temp_celsius"] = max(temps)
    return out


def _metric_arg(where: str, x: Any) -> Union[float, str]:
    """A loss, reward or scalar argument as the protocol carries it; anything that is not a
    number raises ProtocolError naming the field."""
    x = number(x)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ProtocolError("wrong_type", "%s must be a number (NaN and infinities are fine), got %r" % (where, x))
    return metric_value(x)


def _describe(exc_type: Any, exc: Optional[BaseException]) -> str:
    text = "%s: %s" % (getattr(exc_type, "__name__", str(exc_type)), exc) if exc is not None and str(exc) else getattr(exc_type, "__name__", str(exc_type))
    return clean_text(text)


def _finish_at_exit(client: Client) -> None:
    """At interpreter exit, ends the jobs this process left open, when it knows how they ended."""
    last = getattr(sys, "last_value", None)  # set when the script died of an uncaught exception
    with client._lock:
        jobs = [j for j in client._jobs.values() if not j.ended]
    for job in jobs:
        if job.cancel_reason is not None:
            client._end(job, "job_cancelled", job.cancel_reason)
        elif isinstance(last, KeyboardInterrupt):
            if not job.launcher_owned:
                client._end(job, "job_cancelled", "interrupted (KeyboardInterrupt)")
        elif last is not None:
            client._end(job, "job_failed", _describe(type(last), last))
        elif job in _scoped_jobs and not job.launcher_owned:
            client._end(job, "job_failed", "the process exited without finishing the run (call run.finish(), or use `with trainwatch.start(...) as run:`)")
        # Drop-in jobs and the launcher's job are left as they are: the original module never
        # ended a job by itself, and `trainwatch run` records the exit code.


_scoped_jobs = weakref.WeakSet()  # type: weakref.WeakSet[_Job]


# -- the process-wide client ---------------------------------------------------------------------

_default = None  # type: Optional[Client]
_default_lock = threading.Lock()


def get_client() -> Client:
    """The process-wide client, created from the environment on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Client()
        return _default


def configure(**options: Any) -> Client:
    """Replaces the process-wide client (closing the old one): ``configure(addr=..., max_buffer=...)``."""
    global _default
    with _default_lock:
        old, _default = _default, Client(**options)
    if old is not None:
        old.close(0.5)
    _drop_in._reset()
    return _default


def start(
    job_id: Optional[str] = None,
    agent_id: Optional[str] = None,
    total_iterations: Optional[float] = None,
    budget_limit_usd: Optional[float] = None,
    name: Optional[str] = None,
    params: Optional[Dict[str, Any]] = None,
    on_cancel: Optional[Callable[[str], None]] = None,
    interrupt: Optional[bool] = None,
    client: Optional[Client] = None,
) -> Run:
    """Starts reporting a job and returns its :class:`Run`; also a context manager.

    ``job_id`` defaults to $TRAINWATCH_JOB_ID (once per process), else a new id; ``agent_id`` to
    $TRAINWATCH_AGENT_ID, else ``"default"``. ``on_cancel(reason)`` runs when the monitor asks to
    cancel; ``interrupt=True`` also raises KeyboardInterrupt in the main thread then (default:
    on under ``trainwatch run``, where the launcher's SIGINT does it for its own job).
    """
    run = (client or get_client()).start(job_id, agent_id, total_iterations, budget_limit_usd, name, params, on_cancel, interrupt)
    _scoped_jobs.add(run._job)
    return run


def flush(timeout: Optional[float] = None) -> bool:
    """Waits until the process-wide client's events are acknowledged."""
    return get_client().flush(timeout)


def close(timeout: Optional[float] = None) -> Dict[str, Any]:
    return get_client().close(timeout)


def stats() -> Dict[str, Any]:
    return get_client().stats()


# -- the drop-in for the original module ---------------------------------------------------------


class _DropInJob(object):
    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        self.created_ts = _now()
        self.state = None  # type: Optional[_Job]
        self.held = []  # type: List[Event]


class _DropIn(object):
    """Maps the original per-agent calls onto jobs.

    The original ``job_created(agent_id)`` names no job, and its histograms are per agent, while
    every Trainwatch event names a job. So each agent has a current job: ``job_created(agent_id)``
    opens one; the first ``update_*(agent_id, job_id, ...)`` names it (the engine then shows
    your job ids); phases measured before that are held and sent once it is named (with their
    original times). ``measure_*`` and ``job_completed/failed/cancelled(agent_id)`` refer to the
    agent's current job; a job ended before any update is named $TRAINWATCH_JOB_ID (once) or
    ``<agent_id>-<unix time>-<8 hex digits>``.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._agents = {}  # type: Dict[str, List[_DropInJob]]

    def _reset(self) -> None:
        with self._lock:
            self._agents = {}

    def created(self, agent_id: str) -> None:
        with self._lock:
            self._agents.setdefault(agent_id, []).append(_DropInJob(agent_id))

    def current(self, agent_id: str) -> _DropInJob:
        with self._lock:
            jobs = self._agents.setdefault(agent_id, [])
            if not jobs:
                jobs.append(_DropInJob(agent_id))  # a phase measured with no job open starts one
            return jobs[-1]

    def resolve(self, agent_id: str, job_id: str) -> _Job:
        with self._lock:
            jobs = self._agents.setdefault(agent_id, [])
            for i, job in enumerate(jobs):
                if job.state is not None and job.state.job_id == job_id:
                    jobs.append(jobs.pop(i))
                    return job.state
            if jobs and jobs[-1].state is None:
                return self._bind(jobs[-1], job_id)
            # Updates for a job this process never announced: the engine creates it implicitly.
            job = _DropInJob(agent_id)
            c = get_client()
            job_name, owned = c._job_id(job_id, agent_id)
            job.state = c._register(job_name, agent_id, owned, None)
            jobs.append(job)
            return job.state

    def _bind(self, job: _DropInJob, job_id: Optional[str]) -> _Job:
        c = get_client()
        name, owned = c._job_id(job_id, job.agent_id)
        job.state = c._register(name, job.agent_id, owned, None)
        c._announce(job.state, None, None, {}, ts=job.created_ts)
        for e in job.held:
            e["job_id"] = name
            c.emit(e)
        job.held = []
        return job.state

    def event(self, agent_id: str, e: Event) -> None:
        with self._lock:
            job = self.current(agent_id)
            e["agent_id"] = agent_id
            e["ts"] = _now()
            if job.state is None:
                job.held.append(e)
                if len(job.held) > _MAX_HELD:
                    del job.held[0]
                    c = get_client()
                    with c._lock:
                        c._stats["dropped"] += 1
                return
            e["job_id"] = job.state.job_id
        get_client().emit(e)

    def ended(self, agent_id: str, kind: str, text: Optional[str]) -> None:
        with self._lock:
            jobs = self._agents.setdefault(agent_id, [])
            if jobs:
                job = jobs.pop()
                state = job.state if job.state is not None else self._bind(job, None)
            else:
                # Ended without being created, as the original allowed: the terminal event
                # creates the job in the engine (which counts it as created too).
                c = get_client()
                job_id, owned = c._job_id(None, agent_id)
                state = c._register(job_id, agent_id, owned, None)
        get_client()._end(state, kind, text)


_drop_in = _DropIn()


class TrainingMetrics(object):
    """Drop-in for the original prometheus_client module: same names, same arguments."""

    @staticmethod
    def job_created(agent_id: str) -> None:
        _safe(_drop_in.created, agent_id)

    @staticmethod
    def job_completed(agent_id: str) -> None:
        _safe(_drop_in.ended, agent_id, "job_completed", None)

    @staticmethod
    def job_failed(agent_id: str, error: Optional[str] = None) -> None:
        _safe(_drop_in.ended, agent_id, "job_failed", error)

    @staticmethod
    def job_cancelled(agent_id: str, reason: Optional[str] = None) -> None:
        _safe(_drop_in.ended, agent_id, "job_cancelled", reason)

    @staticmethod
    def measure_trajectory_generation(agent_id: str) -> Any:
        return _measure(agent_id, "trajectory_generation")

    @staticmethod
    def measure_policy_update(agent_id: str) -> Any:
        return _measure(agent_id, "policy_update")

    @staticmethod
    def measure_iteration(agent_id: str) -> Any:
        return _measure(agent_id, "iteration")

    @staticmethod
    def measure_checkpoint_save(agent_id: str) -> Any:
        return _measure(agent_id, "checkpoint_save")

    @staticmethod
    def update_budget(agent_id: str, job_id: str, usage_usd: float, limit_usd: float) -> None:
        _safe(_update, agent_id, job_id, {"type": "budget", "usage_usd": usage_usd, "limit_usd": limit_usd})

    @staticmethod
    def update_progress(agent_id: str, job_id: str, current_iteration: float, total_iterations: float) -> None:
        _safe(_update, agent_id, job_id, {"type": "progress", "current_iteration": current_iteration, "total_iterations": total_iterations})

    @staticmethod
    def update_training_metrics(agent_id: str, job_id: str, loss: Optional[float] = None, mean_reward: Optional[float] = None) -> None:
        _safe(_update_training, agent_id, job_id, loss, mean_reward)


def _update_training(agent_id: str, job_id: str, loss: Optional[float], mean_reward: Optional[float]) -> None:
    e = {"type": "training"}  # type: Event
    if loss is not None:
        e["loss"] = metric_value(loss)
    if mean_reward is not None:
        e["mean_reward"] = metric_value(mean_reward)
    if len(e) > 1:  # the original set nothing when both are None
        _update(agent_id, job_id, e)


def _update(agent_id: str, job_id: str, e: Event) -> None:
    for k, v in e.items():
        e[k] = number(v)
    check_fields(e)  # refused here, and logged by _safe, rather than by the engine later
    state = _drop_in.resolve(agent_id, job_id)
    if state.ended:
        return
    e.update(job_id=state.job_id, agent_id=agent_id, ts=_now())
    get_client().emit(e)


@contextmanager
def _measure(agent_id: str, phase: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        _safe(_drop_in.event, agent_id, {"type": "duration", "phase": phase, "seconds": time.perf_counter() - started})


def _safe(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception as err:  # the monitor must never break training
        _log.warning("trainwatch: %s", err)


# -- the wandb API (``import trainwatch as wandb``; docs/clients.md) --------------------------------

from ._wandb import (  # noqa: E402
    AlertLevel,
    Config,
    Error,
    Histogram,
    Image,
    Settings,
    Table,
    WandbRun,
    alert,
    define_metric,
    finish,
    init,
    log,
    login,
    save,
    watch,
)

# Follow the active wandb run (set by init(), cleared by finish()), as wandb's module globals do.
run = None  # type: Optional[WandbRun]
config = Config()
summary = {}  # type: Dict[str, Any]

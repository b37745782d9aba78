"""The subset of the wandb API that training scripts use, so ``import trainwatch as wandb`` runs
a wandb script unchanged (docs/clients.md, "The wandb API"). Each ``init()`` is a Trainwatch run:

* ``project`` is the agent id ($TRAINWATCH_AGENT_ID first, then ``project``, then ``"wandb"``),
  ``id`` the job id (else $TRAINWATCH_JOB_ID once, else a new one), ``name`` the run's name,
  ``config`` its params, ``tags``/``group`` its sweep fields.
* ``log({...})``: every number is a point of the scalar series of its key (nested dicts flattened
  with ``.``; characters the protocol does not allow in a series name become ``_``), at wandb's
  step (or at the value of the key named by ``define_metric(step_metric=...)``). A loss-like key
  (see LOSS_KEYS) also feeds the run's training loss, as long as the run logs only one of them.
* The run is announced at its first ``log()`` (or at ``finish()``), stamped with the time of
  ``init()``: config set between ``init()`` and the first ``log()`` is part of its params.
* ``alert(title, text, level)``: an ``alert`` event, a desktop notification where the app runs
  and the run view's latest alert (``wait_duration`` honoured on the client, as wandb's server does).
* ``finish()`` completes it (``exit_code`` != 0 fails it); a script that ends without it completes
  it at exit, fails it with the exception an uncaught one raised (or with ``sys.exit``'s code),
  and cancels it on a KeyboardInterrupt.
"""
from __future__ import annotations

import atexit
import fnmatch
import logging
import math
import os
import re
import sys
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from . import _protocol

_log = logging.getLogger("trainwatch")

# Keys whose values are also the run's training loss (the engine's training_loss series).
LOSS_KEYS = frozenset(("loss", "train_loss", "train/loss", "training_loss", "training/loss", "train_loss_step"))

_INIT_KEYWORDS = frozenset(
    (
        "job_type", "dir", "config", "project", "entity", "reinit", "tags", "group", "name", "notes",
        "magic", "config_exclude_keys", "config_include_keys", "anonymous", "mode", "allow_val_change",
        "resume", "force", "tensorboard", "sync_tensorboard", "monitor_gym", "save_code", "id",
        "fork_from", "resume_from", "settings",
    )
)

_warned = set()  # type: set
_warned_lock = threading.Lock()


def _warn_once(key: str, message: str, *args: Any) -> None:
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    _log.warning("trainwatch: " + message, *args)


class Error(Exception):
    """What wandb raises for API misuse (``wandb.Error``): a call that needs a run before ``init()``."""


class AlertLevel(object):
    """wandb's alert levels, as the protocol spells them (plain strings: ``AlertLevel.WARN == "WARN"``)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


# wandb's default wait_duration: an alert with the same title as one sent less than this many
# seconds ago is not sent again (wandb suppresses it on its server; here the client does).
ALERT_WAIT_SECONDS = 60.0


class _Unshown(object):
    """Media and tables: accepted so scripts run, not shown (Trainwatch charts scalars)."""

    kind = "media"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _warn_once("media:" + self.kind, "wandb.%s is accepted but not shown in Trainwatch (scalars only); logged %s values are skipped", self.kind, self.kind)
        self.args = args
        self.kwargs = kwargs


class Table(_Unshown):
    kind = "Table"

    def add_data(self, *data: Any) -> None:
        pass


class Image(_Unshown):
    kind = "Image"


class Histogram(_Unshown):
    kind = "Histogram"


class Settings(object):
    """Accepted (``wandb.Settings(...)``); nothing in it changes what Trainwatch does."""

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


class Config(object):
    """``wandb.config``: attribute and item access, ``update``, ``setdefaults``, ``keys``/``items``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_on_change", None)

    def _changed(self) -> None:
        cb = self._on_change
        if cb is not None:
            cb()

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError("config has no key %r" % key)

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        del self[key]

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._items[key] = value
        self._changed()

    def __delitem__(self, key: str) -> None:
        del self._items[key]
        self._changed()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return "Config(%r)" % (self._items,)

    def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key, default)

    def keys(self) -> Any:
        return self._items.keys()

    def items(self) -> Any:
        return self._items.items()

    def values(self) -> Any:
        return self._items.values()

    def as_dict(self) -> Dict[str, Any]:
        return dict(self._items)

    def update(self, d: Any = None, allow_val_change: Optional[bool] = None, **kwargs: Any) -> None:
        """A dict, an ``argparse.Namespace`` or any object with attributes; keyword arguments too."""
        if d is not None:
            self._items.update(_as_dict(d))
        self._items.update(kwargs)
        self._changed()

    def setdefaults(self, d: Any) -> None:
        for k, v in _as_dict(d).items():
            self._items.setdefault(k, v)
        self._changed()


def _as_dict(d: Any) -> Dict[str, Any]:
    if isinstance(d, Config):
        return d.as_dict()
    if isinstance(d, dict):
        return dict(d)
    if hasattr(d, "items"):
        return dict(d.items())
    if hasattr(d, "__dict__"):  # argparse.Namespace, a dataclass, an object of settings
        return {k: v for k, v in vars(d).items() if not k.startswith("_")}
    raise TypeError("config.update takes a dict or an object with attributes, got %s" % type(d).__name__)


class Summary(dict):
    """``run.summary``: the last value of each logged key, as wandb keeps it; a value you set
    (``run.summary["best_acc"] = 0.93``) is also sent, as one point of the series ``summary/<key>``."""

    def __init__(self, run: "WandbRun") -> None:
        dict.__init__(self)
        self._run = run

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        self._run._summary_set(key, value)

    def update(self, d: Any = None, **kwargs: Any) -> None:  # type: ignore[override]
        for k, v in dict(d or {}, **kwargs).items():
            self[k] = v


_NOT_NAME = re.compile(r"[^A-Za-z0-9_./-]")


def series_name(key: str) -> str:
    """A wandb key as a Trainwatch scalar name: disallowed characters as ``_``, a leading ``_``
    when it starts with a digit or punctuation, at most 128 characters."""
    name = _NOT_NAME.sub("_", key)
    if not name or not (name[0].isalpha() or name[0] == "_") or not name[0].isascii():
        name = "_" + name
    return name[: _protocol.LIMITS["scalarNameLength"]]


def _flatten(d: Dict[str, Any], prefix: str = "") -> Iterator[Tuple[str, Any]]:
    for k, v in d.items():
        key = "%s%s" % (prefix, k)
        if isinstance(v, dict):
            for item in _flatten(v, key + "."):
                yield item
        else:
            yield key, v


def _json_param(v: Any, depth: int = 0) -> Any:
    """A config value as JSON: containers kept, numbers and text as they are, anything else as its
    ``str()`` (a torch.device, a class)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float)):
        return v if not isinstance(v, float) or math.isfinite(v) else str(v)
    if isinstance(v, dict):
        return {str(k): _json_param(x, depth + 1) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_json_param(x, depth + 1) for x in v]
    n = _protocol.number(v)
    if isinstance(n, (int, float)) and not isinstance(n, bool):
        return _json_param(n, depth)
    return str(v)


class _State(object):
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.active = None  # type: Optional[WandbRun]
        self.hooked = False
        self.exit_code = None  # type: Any


_state = _State()


class WandbRun(object):
    """What ``wandb.init()`` returns: ``log``, ``config``, ``summary``, ``finish``, ``id``, ``name``."""

    def __init__(
        self,
        project: Optional[str],
        name: Optional[str],
        config: Any,
        tags: Optional[Sequence[str]],
        notes: Optional[str],
        group: Optional[str],
        job_type: Optional[str],
        run_id: Optional[str],
        dir: Optional[str],
        disabled: bool,
        config_exclude_keys: Optional[Sequence[str]] = None,
        config_include_keys: Optional[Sequence[str]] = None,
    ) -> None:
        from . import get_client

        self.project = project
        self.notes = notes
        self.group = group
        self.job_type = job_type
        self.tags = tuple(tags or ())
        self.dir = dir
        self.entity = None  # type: Optional[str]
        self.disabled = disabled
        self.config = Config()
        if config is not None:
            items = _as_dict(config)
            if config_include_keys:
                items = {k: v for k, v in items.items() if k in config_include_keys}
            if config_exclude_keys:
                items = {k: v for k, v in items.items() if k not in config_exclude_keys}
            self.config.update(items)
        self.summary = Summary(self)
        self._lock = threading.RLock()
        self._step = 0
        self._pending = {}  # type: Dict[str, Any]
        self._step_metrics = []  # type: List[Tuple[str, str]]
        self._loss_keys = set()  # type: set
        self._alerted = {}  # type: Dict[str, float]
        # Keys that feed the training loss; a framework hook that knows its loss key narrows it.
        self.loss_keys = LOSS_KEYS  # type: frozenset
        self._run = None  # type: Any
        self._finished = False
        self._started_at = time.time()
        self._client = get_client()
        agent = self._client._env_agent or project or "wandb"
        if disabled:
            self.id = run_id or "disabled"
            self.agent_id = agent
            self.name = name or self.id
            return
        job_id, _ = self._client._job_id(run_id, agent, dry=True)
        created = {"type": "job_created", "job_id": job_id, "agent_id": agent}  # type: Dict[str, Any]
        if name is not None:
            created["name"] = name
        if self.tags:
            created["tags"] = list(self.tags)
        if group is not None:
            created["group"] = group
        _protocol.check_event(created)
        self.id, self._launcher_owned = self._client._job_id(run_id, agent)
        self.agent_id = agent
        self.name = name if name is not None else self.id
        self._created = created
        self._created["job_id"] = self.id
        object.__setattr__(self.config, "_on_change", self._config_changed)

    # -- wandb's Run API ------------------------------------------------------------------------

    @property
    def step(self) -> int:
        return self._step

    @property
    def job_id(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return "<trainwatch wandb run %s (%s)>" % (self.id, self.name)

    def log(self, data: Dict[str, Any], step: Optional[int] = None, commit: Optional[bool] = None, sync: Optional[bool] = None) -> None:
        """wandb's step rules: without ``step`` each call is a step (``commit=False`` adds to
        the current one); with ``step`` the data waits for a call with a later step (or
        ``commit=True``); a step lower than the current one is dropped, with a warning."""
        if not isinstance(data, dict):
            raise TypeError("wandb.log takes a dict, got %s" % type(data).__name__)
        if self._finished:
            return
        with self._lock:
            if step is not None:
                step = int(_protocol.number(step))
                if step < self._step:
                    _warn_once("step:" + self.id, "log(step=%d) is lower than the run's current step %d; the data is dropped (as wandb does)", step, self._step)
                    return
                if step > self._step:
                    if self._pending:
                        self._commit()
                    self._step = step
                self._pending.update(data)
                if commit:
                    self._commit()
                return
            self._pending.update(data)
            if commit is None or commit:
                self._commit()

    def define_metric(self, name: str, step_metric: Optional[str] = None, **kwargs: Any) -> None:
        """Accepted; ``step_metric`` is honoured: keys matching ``name`` (a glob) are plotted
        against that key's value in the same ``log()``."""
        if step_metric is not None:
            with self._lock:
                self._step_metrics.append((name, step_metric))

    def alert(self, title: str, text: str, level: Any = AlertLevel.INFO, wait_duration: Any = None) -> None:
        """An ``alert`` event: a desktop notification where the app runs, the run view's latest
        alert. Arguments the engine would refuse raise ProtocolError (a ValueError, as wandb
        raises for a bad level). ``wait_duration`` (seconds or a timedelta; default 60 s, as
        wandb's): an alert with the same title sent less than that ago is not sent again."""
        event = {"type": "alert", "title": title, "level": _protocol.alert_level(AlertLevel.INFO if level is None else level)}  # type: Dict[str, Any]
        if text is not None:
            event["text"] = text
        _protocol.check_fields(event)
        wait = ALERT_WAIT_SECONDS if wait_duration is None else getattr(wait_duration, "total_seconds", lambda: wait_duration)()
        if not isinstance(wait, (int, float)) or isinstance(wait, bool):
            raise TypeError("wait_duration must be an int, float, or datetime.timedelta")
        if self.disabled or self._finished:
            return
        now = time.monotonic()
        with self._lock:
            last = self._alerted.get(title)
            if last is not None and now - last < wait:
                _log.debug("trainwatch: alert %r not sent again within %s s (wait_duration)", title, wait)
                return
            self._alerted[title] = now
        try:
            run = self._announce()
        except Exception as err:  # the monitor must never break training
            _log.warning("trainwatch: alert not reported: %s", err)
            return
        run.alert(title, event.get("text"), event["level"])

    def watch(self, *args: Any, **kwargs: Any) -> None:
        _warn_once("watch", "watch() is accepted; gradients and parameters are not logged")

    def save(self, *args: Any, **kwargs: Any) -> None:
        _warn_once("save", "save() is accepted; files are not uploaded")

    def finish(self, exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
        """Completes the run; a non-zero ``exit_code`` fails it (``exit code N``)."""
        if exit_code not in (None, 0):
            self._end("job_failed", "exit code %s" % (exit_code,))
        else:
            self._end("job_completed", None)

    def __enter__(self) -> "WandbRun":
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        from . import _describe

        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            self._end("job_cancelled", "interrupted (KeyboardInterrupt)")
        elif issubclass(exc_type, SystemExit) and getattr(exc, "code", None) in (None, 0):
            self.finish()
        elif issubclass(exc_type, SystemExit):
            self._end("job_failed", "exit code %s" % (getattr(exc, "code", None),))
        else:
            self._end("job_failed", _describe(exc_type, exc))

    # -- the mapping ----------------------------------------------------------------------------

    def _config_changed(self) -> None:
        if self._run is not None:
            _warn_once("config:" + self.id, "config changes after the run's first log() are not sent (params go with the run's creation)")

    def _announce(self) -> Any:
        """The trainwatch Run, created (job_created stamped with init's time) on first use."""
        if self._run is None:
            from . import Run, _ENCODER

            c = self._client
            extra = dict((k, v) for k, v in self._created.items() if k in ("name", "tags", "group"))
            if len(self.config):
                params = _json_param(self.config.as_dict())
                try:
                    _protocol.check_fields({"type": "job_created", "params": params})
                    _ENCODER.encode(params)
                    extra["params"] = params
                except (ValueError, TypeError) as err:
                    _log.warning("trainwatch: config not sent as params: %s", err)
            job = c._register(self.id, self.agent_id, self._launcher_owned, None)
            c._announce(job, None, None, extra, ts=self._started_at)
            self._run = Run(c, job)
        return self._run

    def _x(self, key: str, row: Dict[str, Any], step: int) -> Any:
        for pattern, metric in self._step_metrics:
            if key != metric and fnmatch.fnmatchcase(key, pattern) and metric in row:
                x = _protocol.number(row[metric])
                if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
                    return x
        return step

    def _commit(self) -> None:
        row = dict(_flatten(self._pending))
        self._pending = {}
        step = self._step
        self._step += 1
        self._emit(row, step)

    def _emit(self, row: Dict[str, Any], step: Any) -> None:
        """Sends one row of flat keys: each number a point of its series at ``step`` (or at its
        ``define_metric`` step), a loss-like key also as the training loss."""
        if not row or self.disabled:
            return
        try:
            run = self._announce()
        except Exception as err:  # the monitor must never break training
            _log.warning("trainwatch: run not reported: %s", err)
            return
        for key, value in row.items():
            v = _protocol.number(value)
            if isinstance(v, _Unshown):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                _warn_once("type:%s:%s" % (self.id, key), "%r is a %s, not a number: not shown (Trainwatch charts numbers)", key, type(value).__name__)
                continue
            dict.__setitem__(self.summary, key, value)
            x = self._x(key, row, step)
            try:
                run.scalar(series_name(key), v, step=x)
                if key in self.loss_keys:
                    self._loss_keys.add(key)
                    if len(self._loss_keys) == 1:
                        run.training(loss=v, iteration=x if x >= 0 else None)
                    else:
                        _warn_once("loss:" + self.id, "the run logs %s: the training loss is ambiguous and follows none of them from now on", " and ".join(sorted(self._loss_keys)))
            except Exception as err:
                _warn_once("send:%s:%s" % (self.id, key), "%r not sent: %s", key, err)

    def _summary_set(self, key: str, value: Any) -> None:
        if self.disabled or self._finished:
            return
        v = _protocol.number(value)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return
        try:
            self._announce().scalar(series_name("summary/" + key), v, step=self._step)
        except Exception as err:
            _log.warning("trainwatch: summary %r not sent: %s", key, err)

    def _end(self, kind: str, text: Optional[str]) -> None:
        with self._lock:
            if self._finished:
                return
            if self._pending:
                self._commit()
            self._finished = True
        if not self.disabled:
            try:
                run = self._announce()
                if kind == "job_completed":
                    run.finish()
                elif kind == "job_failed":
                    run.fail(text)
                else:
                    run.cancel(text)
            except Exception as err:
                _log.warning("trainwatch: run end not reported: %s", err)
        with _state.lock:
            if _state.active is self:
                _state.active = None
                _publish(None)


def _publish(run: Optional[WandbRun]) -> None:
    """``wandb.run``, ``wandb.config`` and ``wandb.summary`` follow the active run."""
    pkg = sys.modules[__name__.rsplit(".", 1)[0]]
    pkg.run = run  # type: ignore[attr-defined]
    if run is not None:
        pkg.config = run.config  # type: ignore[attr-defined]
        pkg.summary = run.summary  # type: ignore[attr-defined]


def _hook_exit() -> None:
    """Once: records ``sys.exit``'s code, and ends the active run at exit as the script ended."""
    if _state.hooked:
        return
    _state.hooked = True
    original = sys.exit

    def exit(code: Any = None) -> None:
        _state.exit_code = code
        original(code)

    sys.exit = exit
    # Registered after the client's own exit handler (get_client() ran in init), so it runs first.
    atexit.register(_at_exit)


def _at_exit() -> None:
    from . import _describe

    run = _state.active
    if run is None:
        return
    last = getattr(sys, "last_value", None)
    if isinstance(last, KeyboardInterrupt):
        run._end("job_cancelled", "interrupted (KeyboardInterrupt)")
    elif last is not None:
        run._end("job_failed", _describe(type(last), last))
    elif _state.exit_code not in (None, 0):
        code = _state.exit_code
        run._end("job_failed", "exit code 1: %s" % code if isinstance(code, str) else "exit code %s" % (code,))
    else:
        run._end("job_completed", None)


def init(
    project: Optional[str] = None,
    entity: Optional[str] = None,
    name: Optional[str] = None,
    config: Any = None,
    tags: Optional[Sequence[str]] = None,
    notes: Optional[str] = None,
    group: Optional[str] = None,
    job_type: Optional[str] = None,
    id: Optional[str] = None,
    resume: Any = None,
    dir: Optional[str] = None,
    mode: Optional[str] = None,
    reinit: Any = None,
    config_exclude_keys: Optional[Sequence[str]] = None,
    config_include_keys: Optional[Sequence[str]] = None,
    **kwargs: Any,
) -> WandbRun:
    """``wandb.init``: starts a Trainwatch run (see the module's docstring for the mapping).
    Called while a run is active it finishes that one first (a run per ``init()``), unless
    ``reinit="return_previous"``. ``mode="disabled"`` (or $WANDB_MODE) reports nothing."""
    unknown = sorted(k for k in kwargs if k not in _INIT_KEYWORDS)
    if unknown:
        _warn_once("init:" + ",".join(unknown), "wandb.init() arguments accepted and ignored: %s", ", ".join(unknown))
    if kwargs.get("sync_tensorboard"):
        _warn_once("sync_tensorboard", "sync_tensorboard is not supported: import the logs with `trainwatch import LOGDIR`")
    env = os.environ
    mode = mode or env.get("WANDB_MODE") or "online"
    if mode not in ("online", "offline", "disabled", "shared", "dryrun", "run"):
        raise Error('mode must be "online", "offline" or "disabled", got %r' % (mode,))
    if resume not in (None, False, "never"):
        _warn_once("resume", "resume is not supported: a run whose id the engine already has is refused as a duplicate")
    with _state.lock:
        previous = _state.active
        if previous is not None:
            if reinit == "return_previous":
                return previous
            previous.finish()
        tag_env = env.get("WANDB_TAGS")
        run = WandbRun(
            project=project or env.get("WANDB_PROJECT") or None,
            name=name or env.get("WANDB_NAME") or None,
            config=config,
            tags=tags if tags is not None else ([t for t in tag_env.split(",") if t] if tag_env else None),
            notes=notes or env.get("WANDB_NOTES") or None,
            group=group or env.get("WANDB_RUN_GROUP") or None,
            job_type=job_type or env.get("WANDB_JOB_TYPE") or None,
            run_id=id or env.get("WANDB_RUN_ID") or None,
            dir=dir,
            disabled=mode == "disabled",
            config_exclude_keys=config_exclude_keys,
            config_include_keys=config_include_keys,
        )
        run.entity = entity
        _state.active = run
        _publish(run)
        if not run.disabled:
            _hook_exit()
    return run


def _active(what: str) -> WandbRun:
    run = _state.active
    if run is None:
        raise Error("You must call wandb.init() before wandb.%s()" % what)
    return run


def log(data: Dict[str, Any], step: Optional[int] = None, commit: Optional[bool] = None, sync: Optional[bool] = None) -> None:
    """``wandb.log``: see :meth:`WandbRun.log`."""
    _active("log").log(data, step=step, commit=commit)


def finish(exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
    """``wandb.finish``: ends the active run, if any."""
    run = _state.active
    if run is not None:
        run.finish(exit_code)


def define_metric(name: str, step_metric: Optional[str] = None, **kwargs: Any) -> None:
    _active("define_metric").define_metric(name, step_metric=step_metric, **kwargs)


def alert(title: str, text: str, level: Any = AlertLevel.INFO, wait_duration: Any = None) -> None:
    """``wandb.alert``: an alert on the active run (WandbRun.alert)."""
    _active("alert").alert(title, text, level, wait_duration)


def watch(*args: Any, **kwargs: Any) -> None:
    _warn_once("watch", "watch() is accepted; gradients and parameters are not logged")


def save(*args: Any, **kwargs: Any) -> None:
    _warn_once("save", "save() is accepted; files are not uploaded")


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to: the engine is local."""
    return True

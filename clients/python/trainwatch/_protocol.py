"""What the client knows of the ingest protocol (shared/protocol/events.ts, docs/protocol.md), so
a mistake it can see fails at the call that made it, with the engine's reason code and the
allowed values, instead of being refused by the engine later and reported on stderr.

Every constant here is checked against shared/protocol/protocol.json by test_protocol.py, and
the conformance cases there (a line, the engine's verdict) are run through ``check_event``: a
drift between this file and the engine fails a test. Fields are checked in the schema's order,
so where a line has several faults the first one named is the one the engine names.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict, Optional, Tuple

PROTOCOL_VERSION = 1
PHASES = ("trajectory_generation", "policy_update", "iteration", "checkpoint_save")
EVENT_TYPES = (
    "job_created",
    "job_completed",
    "job_failed",
    "job_cancelled",
    "duration",
    "budget",
    "progress",
    "training",
    "heartbeat",
    "scalar",
    "system",
    "alert",
)
LIFECYCLE = frozenset(("job_created", "job_completed", "job_failed", "job_cancelled"))
NON_FINITE_STRINGS = ("NaN", "Infinity", "-Infinity")
DEFAULT_ADDR = "127.0.0.1:9479"
LIMITS = {
    "idLength": 256,
    "nameLength": 256,
    "messageLength": 8192,
    "scalarNameLength": 128,
    "paramsDepth": 8,
    "maxTimestamp": 1e11,
    "tagCount": 64,
    "tagLength": 128,
    "groupLength": 256,
    "alertTitleLength": 256,
    "alertTextLength": 8192,
}
# wandb's AlertLevel names, as the engine takes them (exactly this case).
ALERT_LEVELS = ("INFO", "WARN", "ERROR")
MAX_MESSAGE = LIMITS["messageLength"]
SCALAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
SCALAR_NAME_RULE = "must start with a letter or _ and use only letters, digits, _ . / -"
SYSTEM_FIELDS = (
    "cpu_ratio",
    "rss_bytes",
    "gpu_util_ratio",
    "gpu_mem_bytes",
    "gpu_power_watts",
    "gpu_temp_celsius",
    "host_cpu_ratio",
    "host_mem_used_bytes",
    "host_load1",
)
# (lowest, highest or None) of each system field, as the schema bounds them.
SYSTEM_RANGES = {
    "cpu_ratio": (0.0, 65536.0),
    "rss_bytes": (0.0, None),
    "gpu_util_ratio": (0.0, 1.0),
    "gpu_mem_bytes": (0.0, None),
    "gpu_power_watts": (0.0, None),
    "gpu_temp_celsius": (-273.15, 1000.0),
    "host_cpu_ratio": (0.0, 1.0),
    "host_mem_used_bytes": (0.0, None),
    "host_load1": (0.0, None),
}  # type: Dict[str, Tuple[float, Optional[float]]]

_CONTROL = re.compile("[\x00-\x1f\x7f]")
_MAX_SAFE_INTEGER = 2 ** 53 - 1


class ProtocolError(ValueError):
    """An argument the engine would refuse. ``reason`` is the engine's reason code
    (``invalid_value``, ``wrong_type``, ``missing_field``, ...; docs/protocol.md)."""

    def __init__(self, reason: str, message: str) -> None:
        ValueError.__init__(self, message)
        self.reason = reason


def utf16_length(s: str) -> int:
    """The length the engine measures (JavaScript strings count UTF-16 units)."""
    n = len(s)
    if s.isascii():
        return n
    return n + sum(1 for c in s if ord(c) > 0xFFFF)


def _well_formed(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:  # a lone surrogate
        return False


def clean_text(s: str, limit: int = MAX_MESSAGE) -> str:
    """Free text (an error, a reason) as the engine takes it: lone surrogates replaced, cut to
    ``limit`` UTF-16 units without splitting a character."""
    if not _well_formed(s):
        s = s.encode("utf-8", "replace").decode("utf-8")
    if len(s) <= limit // 2 or utf16_length(s) <= limit:
        return s
    out = []
    used = 0
    for c in s:
        used += 2 if ord(c) > 0xFFFF else 1
        if used > limit:
            break
        out.append(c)
    return "".join(out)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _describe(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, str):
        return "a string"
    if _is_number(x):
        return "a number"  # as the engine says it, not "a int"
    if isinstance(x, (list, tuple)):
        return "an array"
    if isinstance(x, dict):
        return "an object"
    return "a %s" % type(x).__name__


Check = Callable[[str, Any], None]


def _number(where: str, x: Any) -> None:
    if not _is_number(x):
        raise ProtocolError("wrong_type", "%s must be a number, got %s" % (where, _describe(x)))
    if isinstance(x, float) and not math.isfinite(x):
        raise ProtocolError("non_finite", "%s must be a finite number, got %r" % (where, x))


def _bounded(low: Optional[float], high: Optional[float]) -> Check:
    def check(where: str, x: Any) -> None:
        _number(where, x)
        if low is not None and x < low:
            raise ProtocolError("invalid_value", "%s must be >= %s, got %r" % (where, _fmt(low), x))
        if high is not None and x > high:
            raise ProtocolError("invalid_value", "%s must be <= %s, got %r" % (where, _fmt(high), x))

    return check


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


_non_negative = _bounded(0, None)


def _id(where: str, x: Any) -> None:
    if not isinstance(x, str):
        raise ProtocolError("wrong_type", "%s must be a string, got %s" % (where, _describe(x)))
    if not x:
        raise ProtocolError("missing_field", "%s must not be empty" % where)
    if utf16_length(x) > LIMITS["idLength"]:
        raise ProtocolError("field_too_long", "%s is longer than %d characters" % (where, LIMITS["idLength"]))
    if _CONTROL.search(x):
        raise ProtocolError("invalid_value", "%s must not contain control characters, got %r" % (where, x))
    if not _well_formed(x):
        raise ProtocolError("invalid_value", "%s must be valid Unicode (no lone surrogates)" % where)


def _text(limit: int) -> Check:
    def check(where: str, x: Any) -> None:
        if not isinstance(x, str):
            raise ProtocolError("wrong_type", "%s must be a string, got %s" % (where, _describe(x)))
        if utf16_length(x) > limit:
            raise ProtocolError("field_too_long", "%s is longer than %d characters" % (where, limit))
        if not _well_formed(x):
            raise ProtocolError("invalid_value", "%s must be valid Unicode (no lone surrogates)" % where)

    return check


def _timestamp(where: str, x: Any) -> None:
    _number(where, x)
    if x < 0:
        raise ProtocolError("invalid_timestamp", "%s must be Unix time in seconds, not negative" % where)
    if x >= LIMITS["maxTimestamp"]:
        raise ProtocolError("invalid_timestamp", "%s must be Unix time in seconds (a value this large looks like milliseconds)" % where)


def _seq(where: str, x: Any) -> None:
    _number(where, x)
    if isinstance(x, float) and not x.is_integer():
        raise ProtocolError("wrong_type", "%s must be an integer, got %r" % (where, x))
    if x < 0:
        raise ProtocolError("invalid_value", "%s must be >= 0, got %r" % (where, x))
    if x > _MAX_SAFE_INTEGER:
        raise ProtocolError("invalid_value", "%s must be <= %d, got %r" % (where, _MAX_SAFE_INTEGER, x))


def _version(where: str, x: Any) -> None:
    _number(where, x)
    if x != PROTOCOL_VERSION:
        raise ProtocolError("unsupported_version", "v=%r is not supported; this client speaks v=%d" % (x, PROTOCOL_VERSION))


def _pid(where: str, x: Any) -> None:
    _number(where, x)
    if isinstance(x, float) and not x.is_integer():
        raise ProtocolError("wrong_type", "%s must be an integer, got %r" % (where, x))
    if x < 1:
        raise ProtocolError("invalid_value", "%s must be >= 1, got %r" % (where, x))


def _phase(where: str, x: Any) -> None:
    if x not in PHASES or not isinstance(x, str):
        raise ProtocolError("invalid_value", "%s must be one of %s, got %s" % (where, ", ".join('"%s"' % p for p in PHASES), _shown(x)))


def _shown(x: Any) -> str:
    return repr(x) if isinstance(x, str) else _describe(x)


def _duration(where: str, x: Any) -> None:
    _number(where, x)
    if x < 0:
        raise ProtocolError("negative_duration", "%s must not be negative, got %r" % (where, x))


def _metric(where: str, x: Any) -> None:
    if _is_number(x):
        if isinstance(x, float) and not math.isfinite(x):
            raise ProtocolError("non_finite", '%s must be a finite number or one of "NaN", "Infinity", "-Infinity"' % where)
        return
    if x in NON_FINITE_STRINGS and isinstance(x, str):
        return
    raise ProtocolError("wrong_type", '%s must be a number or one of "NaN", "Infinity", "-Infinity", got %s' % (where, _shown(x)))


def _scalar_name(where: str, x: Any) -> None:
    if not isinstance(x, str):
        raise ProtocolError("wrong_type", "%s must be a string, got %s" % (where, _describe(x)))
    if not x:
        raise ProtocolError("missing_field", "%s must not be empty" % where)
    if utf16_length(x) > LIMITS["scalarNameLength"]:
        raise ProtocolError("field_too_long", "%s is longer than %d characters" % (where, LIMITS["scalarNameLength"]))
    if not SCALAR_NAME.match(x) or x.endswith("\n"):
        raise ProtocolError("invalid_value", "%s %s, got %r" % (where, SCALAR_NAME_RULE, x))


def params_depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children = list(v.values())
        elif isinstance(v, (list, tuple)):
            children = list(v)
        else:
            continue
        if d >= limit:
            return False
        stack.extend((c, d + 1) for c in children)
    return True


def _params(where: str, x: Any) -> None:
    if not isinstance(x, dict):
        raise ProtocolError("wrong_type", "%s must be an object, got %s" % (where, _describe(x)))
    if not params_depth_ok(x, LIMITS["paramsDepth"]):
        raise ProtocolError("too_deep", "%s must be nested at most %d levels deep" % (where, LIMITS["paramsDepth"]))


def _tags(where: str, x: Any) -> None:
    if not isinstance(x, (list, tuple)):
        raise ProtocolError("wrong_type", "%s must be an array, got %s" % (where, _describe(x)))
    if len(x) > LIMITS["tagCount"]:
        raise ProtocolError("invalid_value", "%s must hold at most %d tags, got %d" % (where, LIMITS["tagCount"], len(x)))
    for i, tag in enumerate(x):
        _label("%s.%d" % (where, i), tag, LIMITS["tagLength"])


def _label(where: str, x: Any, limit: int) -> None:
    """A tag or a group: like an id, with its own length limit."""
    if not isinstance(x, str):
        raise ProtocolError("wrong_type", "%s must be a string, got %s" % (where, _describe(x)))
    if not x:
        raise ProtocolError("missing_field", "%s must not be empty" % where)
    if utf16_length(x) > limit:
        raise ProtocolError("field_too_long", "%s is longer than %d characters" % (where, limit))
    if _CONTROL.search(x):
        raise ProtocolError("invalid_value", "%s must not contain control characters, got %r" % (where, x))
    if not _well_formed(x):
        raise ProtocolError("invalid_value", "%s must be valid Unicode (no lone surrogates)" % where)


def _group(where: str, x: Any) -> None:
    _label(where, x, LIMITS["groupLength"])


def _title(where: str, x: Any) -> None:
    _text(LIMITS["alertTitleLength"])(where, x)
    if x == "":
        raise ProtocolError("missing_field", "%s must not be empty" % where)


def alert_level(level: Any) -> Any:
    """An alert level as the protocol spells it: ``AlertLevel.WARN``, ``"WARN"``, or wandb's own
    ``AlertLevel`` enum member (its ``value``); anything else is left to be refused by name."""
    value = getattr(level, "value", level)
    return value if isinstance(value, str) else level


def _level(where: str, x: Any) -> None:
    if not isinstance(x, str) or x not in ALERT_LEVELS:
        raise ProtocolError("invalid_value", "%s must be one of %s, got %s" % (where, ", ".join('"%s"' % l for l in ALERT_LEVELS), _shown(x)))


_COMMON = (("job_id", _id, True), ("agent_id", _id, True), ("ts", _timestamp, False), ("seq", _seq, False), ("v", _version, False))

_FIELDS = {
    "job_created": (
        ("name", _text(LIMITS["nameLength"]), False),
        ("total_iterations", _non_negative, False),
        ("budget_limit_usd", _non_negative, False),
        ("params", _params, False),
        ("pid", _pid, False),
        # Sweep fields (tags and group of a wandb-style run); engines that predate them strip them.
        ("tags", _tags, False),
        ("group", _group, False),
    ),
    "job_completed": (),
    "job_failed": (("error", _text(MAX_MESSAGE), False),),
    "job_cancelled": (("reason", _text(MAX_MESSAGE), False),),
    "duration": (("phase", _phase, True), ("seconds", _duration, True)),
    "budget": (("usage_usd", _non_negative, True), ("limit_usd", _non_negative, False)),
    "progress": (("current_iteration", _non_negative, True), ("total_iterations", _non_negative, False)),
    "training": (("loss", _metric, False), ("mean_reward", _metric, False), ("iteration", _non_negative, False)),
    "heartbeat": (),
    "scalar": (("name", _scalar_name, True), ("value", _metric, True), ("step", _number, False)),
    "system": tuple((f, _bounded(lo, hi), False) for f, (lo, hi) in SYSTEM_RANGES.items()),
    "alert": (("title", _title, True), ("text", _text(LIMITS["alertTextLength"]), False), ("level", _level, False)),
}  # type: Dict[str, Tuple[Tuple[str, Check, bool], ...]]

# Each type's rules with the field's name in messages made once (check_fields runs on every call
# of the training loop): (field, "type: field", check, required). Common fields first, as in the schema.
_OWN = {t: tuple((f, "%s: %s" % (t, f), c, r) for f, c, r in own) for t, own in _FIELDS.items()}
_RULES = {t: tuple((f, "%s: %s" % (t, f), c, r) for f, c, r in _COMMON) + _OWN[t] for t in _FIELDS}


def check_event(event: Any) -> None:
    """Raises :class:`ProtocolError` (the engine's reason code, a message naming the field and
    the allowed values) for an event the engine would refuse on its own (not for refusals that
    depend on the engine's state, such as a job that has ended)."""
    if not isinstance(event, dict):
        raise ProtocolError("not_object", "expected a JSON object, got %s" % _describe(event))
    if "v" in event and event["v"] != PROTOCOL_VERSION:
        raise ProtocolError("unsupported_version", "v=%r is not supported; this client speaks v=%d" % (event["v"], PROTOCOL_VERSION))
    kind = event.get("type")
    if kind is None:
        raise ProtocolError("missing_field", "type is required")
    rules = _RULES.get(kind) if isinstance(kind, str) else None
    if rules is None:
        shown = '"%s"' % kind[:64] if isinstance(kind, str) else _describe(kind)
        raise ProtocolError("unknown_type", "type %s is not one of %s" % (shown, ", ".join(EVENT_TYPES)))
    for field, where, check, required in rules:
        if field in event and event[field] is not None:
            check(where, event[field])
        elif required or field in event:
            # JSON null is a wrong type, not an absent field; a missing required one is missing.
            if field in event:
                raise ProtocolError("wrong_type", "%s must not be null" % where)
            raise ProtocolError("missing_field", "%s is required" % where)


def check_fields(event: Dict[str, Any]) -> None:
    """``check_event`` for the type's own fields only: what a :class:`Run` method builds (its
    ids were checked when the run started; it stamps ``ts`` itself)."""
    for field, where, check, required in _OWN[event["type"]]:
        x = event.get(field)
        if x is not None:
            check(where, x)
        elif required:
            raise ProtocolError("missing_field", "%s is required" % where)


def number(x: Any) -> Any:
    """A NumPy scalar, 0-d array or tensor as the plain number JSON will carry; anything else
    unchanged (to be refused by name)."""
    if type(x) in (int, float) or isinstance(x, (bool, str)) or x is None:
        return x
    if hasattr(x, "item"):
        try:
            x = x.item()
        except Exception:
            return x
        if isinstance(x, (int, float)):
            return x
    if hasattr(x, "__index__"):
        return int(x.__index__())
    if hasattr(x, "__float__"):
        return float(x)
    return x

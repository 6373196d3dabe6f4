"""What may differ between the output a page shows and a new run's: ids,
UUIDs, times, latencies, ports, demo tokens and temporary directories. Both
sides are normalised, then compared: as JSON values when both sides are JSON
(a sequence of values, e.g. a stream), so that the order of a map's keys does
not matter, else line by line."""

import difflib
import json
import re

_RULES = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"), "<time>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\b"), "<time>"),
    (re.compile(r"(?<![\w.])\d+(\.\d+)?(ns|us|µs|ms|s)\b"), "<duration>"),
    (re.compile(r"\b(127\.0\.0\.1|localhost|\[::1\]):\d+"), r"\1:<port>"),
    (re.compile(r"Atza\|device-[0-9a-f]+"), "<device-token>"),
    (re.compile(r"/tmp/linkgateway-[\w.-]+"), "<tmp>"),
]
# JSON numbers that are durations (e.g. "retryDelaySeconds": 0.24).
_DURATION_KEY = re.compile(r"(Seconds|_seconds|[Ll]atency)$")


def text(value, temporary_dirs=()):
    """`value` with every run-specific part replaced by a placeholder."""
    for directory in temporary_dirs:
        if directory:
            value = value.replace(directory, "<tmp>")
    for pattern, placeholder in _RULES:
        value = pattern.sub(placeholder, value)
    return value


def _json_values(value):
    """The JSON values of `value` in order, or None if it is not JSON."""
    decoder, values, i = json.JSONDecoder(), [], 0
    value = value.strip()
    if not value or value[0] not in "{[":
        return None
    while i < len(value):
        try:
            parsed, i = decoder.raw_decode(value, i)
        except ValueError:
            return None
        values.append(parsed)
        while i < len(value) and value[i].isspace():
            i += 1
    return values


def _normalised_json(value, temporary_dirs, key=""):
    if isinstance(value, dict):
        return {text(k, temporary_dirs): _normalised_json(v, temporary_dirs, k)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised_json(v, temporary_dirs) for v in value]
    if isinstance(value, str):
        nested = _json_values(value)  # JSON text inside a string (upstream bodies)
        if nested is not None and len(nested) == 1:
            return ("json", _normalised_json(nested[0], temporary_dirs, key))
        return text(value, temporary_dirs)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and \
            _DURATION_KEY.search(key):
        return "<duration>"
    return value


def _lines(value, temporary_dirs):
    return [line.rstrip() for line in text(value, temporary_dirs).strip("\n").split("\n")]


def same(expected, actual, temporary_dirs=()):
    """True when `actual` is what `expected` shows, up to run-specific parts."""
    expected_json, actual_json = _json_values(expected), _json_values(actual)
    if expected_json is not None and actual_json is not None:
        return (_normalised_json(expected_json, temporary_dirs) ==
                _normalised_json(actual_json, temporary_dirs))
    return _lines(expected, temporary_dirs) == _lines(actual, temporary_dirs)


def _shown(value, temporary_dirs):
    """The normalised lines of `value`; JSON with sorted keys, so that a diff
    shows what differs and not the key order."""
    values = _json_values(value)
    if values is None:
        return _lines(value, temporary_dirs)
    return "\n".join(json.dumps(_normalised_json(v, temporary_dirs), indent=2, sort_keys=True,
                                ensure_ascii=False) for v in values).split("\n")


def diff(expected, actual, temporary_dirs=()):
    """A unified diff of the normalised texts, for a failure message."""
    return "\n".join(difflib.unified_diff(
        _shown(expected, temporary_dirs), _shown(actual, temporary_dirs),
        "page shows (normalised)", "this run printed (normalised)", lineterm=""))

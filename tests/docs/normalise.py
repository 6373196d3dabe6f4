"""What may differ between the output a page shows and a new run's: ids,
UUIDs, times, latencies, ports, demo tokens and temporary directories. Both
sides are normalised, then compared: as JSON values when both sides are JSON
(a sequence of values, e.g. a stream), so that the order of a map's keys does
not matter, else line by line. UUIDs may be numbered across a page (Ids), so
that the same id shown twice must be the same id in the run."""

import difflib
import json
import re

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_RULES = [
    (_UUID, "<uuid>"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"), "<time>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\b"), "<time>"),
    (re.compile(r"(?<![\w.])\d+(\.\d+)?(ns|us|µs|ms|s)\b"), "<duration>"),
    (re.compile(r"\b(127\.0\.0\.1|localhost|\[::1\]):\d+"), r"\1:<port>"),
    (re.compile(r"Atza\|device-[0-9a-f]+"), "<device-token>"),
    (re.compile(r"/tmp/linkgateway-[\w.-]+"), "<tmp>"),
]
# JSON numbers that are durations (e.g. "retryDelaySeconds": 0.24).
_DURATION_KEY = re.compile(r"(Seconds|_seconds|[Ll]atency)$")


class Ids:
    """Numbers UUIDs in the order they appear on one side of a page, so that
    an id shown twice (a replayed answer, the same job) must come back twice:
    <uuid-1>, <uuid-2>, ... Without it every UUID is <uuid>."""

    def __init__(self):
        self.numbers = {}

    def __call__(self, match):
        return f"<uuid-{self.numbers.setdefault(match.group(0), len(self.numbers) + 1)}>"

    def copy(self):
        copied = Ids()
        copied.numbers = dict(self.numbers)
        return copied


def text(value, temporary_dirs=(), ids=None):
    """`value` with every run-specific part replaced by a placeholder."""
    if ids is not None:
        value = _UUID.sub(ids, value)
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


def _normalised_json(value, temporary_dirs, ids=None, key=""):
    # Keys in sorted order, so that ids are numbered the same on both sides
    # whatever order each printed the keys in.
    if isinstance(value, dict):
        return {text(k, temporary_dirs, ids): _normalised_json(v, temporary_dirs, ids, k)
                for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_normalised_json(v, temporary_dirs, ids) for v in value]
    if isinstance(value, str):
        nested = _json_values(value)  # JSON text inside a string (upstream bodies)
        if nested is not None and len(nested) == 1:
            return ("json", _normalised_json(nested[0], temporary_dirs, ids, key))
        return text(value, temporary_dirs, ids)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and \
            _DURATION_KEY.search(key):
        return "<duration>"
    return value


def _lines(value, temporary_dirs, ids=None):
    return [line.rstrip() for line in text(value, temporary_dirs, ids).strip("\n").split("\n")]


def _normalised(value, as_json, temporary_dirs, ids):
    if as_json:
        return [_normalised_json(v, temporary_dirs, ids) for v in _json_values(value)]
    return _lines(value, temporary_dirs, ids)


def same(expected, actual, temporary_dirs=(), ids=None):
    """True when `actual` is what `expected` shows, up to run-specific parts.
    `ids`, (Ids of the page, Ids of the run), numbers UUIDs across a page;
    they take this output's ids only when it matches."""
    as_json = _json_values(expected) is not None and _json_values(actual) is not None
    trial = (ids[0].copy(), ids[1].copy()) if ids else (None, None)
    if (_normalised(expected, as_json, temporary_dirs, trial[0]) !=
            _normalised(actual, as_json, temporary_dirs, trial[1])):
        return False
    if ids:
        ids[0].numbers, ids[1].numbers = trial[0].numbers, trial[1].numbers
    return True


def _shown(value, temporary_dirs, ids):
    """The normalised lines of `value`; JSON with sorted keys, so that a diff
    shows what differs and not the key order."""
    values = _json_values(value)
    if values is None:
        return _lines(value, temporary_dirs, ids)
    return "\n".join(json.dumps(_normalised_json(v, temporary_dirs, ids), indent=2,
                                sort_keys=True, ensure_ascii=False)
                     for v in values).split("\n")


def diff(expected, actual, temporary_dirs=(), ids=None):
    """A unified diff of the normalised texts, for a failure message."""
    trial = (ids[0].copy(), ids[1].copy()) if ids else (None, None)
    return "\n".join(difflib.unified_diff(
        _shown(expected, temporary_dirs, trial[0]), _shown(actual, temporary_dirs, trial[1]),
        "page shows (normalised)", "this run printed (normalised)", lineterm=""))

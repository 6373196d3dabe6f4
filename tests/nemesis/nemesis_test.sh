#!/usr/bin/env bash
# The nemesis's short profile (each fault 5 s): every rule holds, or the run
# fails, including those on the unlink engine (no job stuck after recovery,
# unrelated calls answering while PostgreSQL is down) and the audited call
# path (every delete sent is in the trail while its disk fails).
exec "$1" --profile=short --engine_checks=enforce

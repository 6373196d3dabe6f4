#!/usr/bin/env bash
# The nemesis's short profile (each fault 5 s): every rule holds, or the run
# fails. The unlink engine's part of issue 24 (a stalled PostgreSQL must not
# freeze unrelated calls; no step left RUNNING after a failed write; the job
# store's health) is reported, not counted, until that rework lands: then
# this becomes --engine_checks=enforce.
exec "$1" --profile=short --engine_checks=report

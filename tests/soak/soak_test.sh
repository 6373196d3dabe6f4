#!/usr/bin/env bash
# The soak for 30 s: every call answered and right, sends bounded, no secret
# written, every gateway exits cleanly, descriptors flat.
exec "$1" --duration=30s --workers=6

#!/bin/sh
echo "coverage reports are not generated in this offline workspace" >&2
exit 0

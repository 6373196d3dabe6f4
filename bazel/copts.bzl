"""Compiler flags for the project's own C++ targets (not generated code)."""

WARNING_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]

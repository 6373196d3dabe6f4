"""cc_* macros for the project's own C++ (not generated code): they carry the
warning flags, so BUILD files list only what a target is made of."""

WARNING_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]

def _with_warnings(kwargs):
    kwargs["copts"] = WARNING_COPTS + kwargs.get("copts", [])
    return kwargs

def lg_cc_library(name, **kwargs):
    native.cc_library(name = name, **_with_warnings(kwargs))

def lg_cc_binary(name, **kwargs):
    native.cc_binary(name = name, **_with_warnings(kwargs))

def lg_cc_test(name, **kwargs):
    """A test. Under --config=tsan it also links the absl::Mutex annotations
    (bazel/sanitizers/tsan_absl_sync.cc); tag it `tsan` to run it there."""
    kwargs["deps"] = kwargs.get("deps", []) + select({
        "//bazel/sanitizers:tsan": ["//bazel/sanitizers:tsan_absl_sync"],
        "//conditions:default": [],
    })
    native.cc_test(name = name, **_with_warnings(kwargs))

def lg_sources(name = "sources"):
    """A package's C++ sources, for //tests/layout:layering_test: `sources`
    (without tests) and `all_sources`."""
    native.filegroup(
        name = name,
        srcs = native.glob(
            ["*.cc", "*.h"],
            exclude = ["*_test.cc"],
        ),
        visibility = ["//tests/layout:__pkg__"],
    )
    native.filegroup(
        name = "all_" + name,
        srcs = native.glob(["*.cc", "*.h"]),
        visibility = ["//tests/layout:__pkg__"],
    )

def lg_cc_fuzzer(name, **kwargs):
    """A libFuzzer target: built only with --config=fuzz (hence `manual`)."""
    kwargs["linkopts"] = ["-fsanitize=fuzzer"] + kwargs.get("linkopts", [])
    kwargs["tags"] = ["manual"] + kwargs.get("tags", [])
    native.cc_binary(name = name, testonly = True, **_with_warnings(kwargs))

"""Repository rules that wrap Debian's system libraries for Bazel.

`system_libs` runs pkg-config once per library and writes a BUILD file of
cc_library targets, so no BUILD file in the project lists linker flags.
`proto_tree` exposes .proto files shipped by Debian (a directory or a jar) as
a repository the proto codegen rule can compile.
"""

# Bazel target name -> (pkg-config modules, extra linker flags).
_LIBS = {
    "grpcpp": (["grpc++", "protobuf"], []),
    "protobuf": (["protobuf"], []),
    # One target per abseil module the project includes.
    "absl_base": (["absl_base", "absl_core_headers"], []),
    "absl_flags": (["absl_flags", "absl_flags_parse", "absl_flags_usage"], []),
    "absl_functional": (["absl_any_invocable"], []),
    "absl_hash_map": (["absl_flat_hash_map", "absl_flat_hash_set"], []),
    "absl_random": (["absl_random_random"], []),
    "absl_status": (["absl_status", "absl_statusor"], []),
    "absl_strings": (["absl_strings", "absl_cord", "absl_str_format"], []),
    "absl_synchronization": (["absl_synchronization"], []),
    "absl_time": (["absl_time"], []),
    "curl": (["libcurl"], []),
    "libcrypto": (["libcrypto"], []),
    "expat": (["expat"], []),
    "gtest": (["gtest"], []),
    "gtest_main": (["gtest_main"], []),
    "gmock": (["gmock"], []),
    "httplib": (["cpp-httplib"], []),
    "libevent": (["libevent", "libevent_pthreads"], []),
    "libevent_openssl": (["libevent_openssl", "libssl"], []),
    "hiredis": (["hiredis"], []),
    "sqlite3": (["sqlite3"], []),
    "libpq": (["libpq"], []),
    "tcmalloc": (["libtcmalloc_minimal"], []),
}

def _pkg_config(rctx, args):
    result = rctx.execute(["pkg-config"] + args)
    if result.return_code != 0:
        fail("pkg-config %s failed: %s\nInstall the Debian -dev package (see README)." %
             (" ".join(args), result.stderr))
    return result.stdout.strip()

def _split(flags):
    return [f for f in flags.split(" ") if f]

def _system_libs_impl(rctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, (modules, extra) in _LIBS.items():
        cflags = _split(_pkg_config(rctx, ["--cflags"] + modules))
        libs = _split(_pkg_config(rctx, ["--libs"] + modules)) + extra

        # copts would not reach dependents: -D becomes `defines`; include
        # directories must already be on the compiler's default path.
        defines = []
        for flag in cflags:
            if flag.startswith("-D"):
                defines.append(flag[2:])
            elif flag.startswith("-I") and flag[2:].startswith("/usr/include"):
                continue
            else:
                fail("pkg-config %s: cannot pass %s to dependents" % (name, flag))
        build.append("cc_library(\n    name = %r,\n    defines = %r,\n    linkopts = %r,\n)\n" %
                     (name, defines, libs))
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", "\n".join(build))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    doc = "C++ libraries from the host, found with pkg-config.",
)

_PROTO_BUILD = """\
load("@linkgateway//bazel:proto.bzl", "proto_cc_library", "proto_py_library")

package(default_visibility = ["//visibility:public"])

exports_files(glob(["**/*.proto"]))
"""

def _proto_tree_impl(rctx):
    if rctx.attr.jar:
        jar = rctx.path(rctx.attr.jar)
        if not jar.exists:
            fail("%s is missing; install Debian's %s" % (rctx.attr.jar, rctx.attr.package))

        # The same script the Java client and the Python package use: it also
        # adds google.rpc.ErrorInfo where Debian's copy lacks it.
        script = rctx.path(Label("@linkgateway//protos/tools:google_rpc_protos.py"))
        result = rctx.execute(["/usr/bin/python3", str(script), "."])
        if result.return_code != 0:
            fail("%s failed: %s" % (script, result.stderr))
    else:
        root = rctx.path(rctx.attr.directory)
        if not root.exists:
            fail("%s is missing; install Debian's %s" % (rctx.attr.directory, rctx.attr.package))
        for f in rctx.attr.files:
            rctx.symlink(rctx.path(rctx.attr.directory + "/" + f), f)
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", _PROTO_BUILD + rctx.attr.build_extra)

proto_tree = repository_rule(
    implementation = _proto_tree_impl,
    local = True,
    attrs = {
        "jar": attr.string(doc = "Jar holding the .proto files."),
        "directory": attr.string(doc = "Directory holding the .proto files."),
        "files": attr.string_list(mandatory = True),
        "package": attr.string(mandatory = True, doc = "Debian package to name when missing."),
        "build_extra": attr.string(doc = "Targets appended to the generated BUILD file."),
    },
    doc = ".proto files shipped by a Debian package, as a Bazel repository.",
)

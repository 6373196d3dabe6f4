"""Code generation for .proto files with the system protoc and gRPC plugins.

    proto_cc_library(name = "foo_cc", srcs = ["a/b/foo.proto"], deps = [":bar_cc"])

generates foo.pb.{h,cc} and foo.grpc.pb.{h,cc} and wraps them in a cc_library;
`proto_py_library` does the same for foo_pb2.py / foo_pb2_grpc.py. Import paths
are relative to the BUILD file's package, so a package is an import root.
"""

ProtoSourcesInfo = provider(
    doc = "Transitive .proto files and the import roots protoc needs for them.",
    fields = ["sources", "roots"],
)

_SUFFIXES = {
    "cc": [".pb.h", ".pb.cc"],
    "cc_grpc": [".grpc.pb.h", ".grpc.pb.cc"],
    "py": ["_pb2.py"],
    "py_grpc": ["_pb2_grpc.py"],
}

_PLUGINS = {
    "cc": "grpc_cpp_plugin",
    "py": "grpc_python_plugin",
}

def _package_root(label):
    parts = [p for p in [label.workspace_root, label.package] if p]
    return "/".join(parts) if parts else "."

def _proto_gen_impl(ctx):
    root = _package_root(ctx.label)
    prefix = "" if root == "." else root + "/"
    dep_infos = [d[ProtoSourcesInfo] for d in ctx.attr.deps]
    sources = depset(ctx.files.srcs, transitive = [i.sources for i in dep_infos])
    roots = depset([root], transitive = [i.roots for i in dep_infos])

    outs = []
    kinds = [ctx.attr.lang] + ([ctx.attr.lang + "_grpc"] if ctx.attr.grpc else [])
    for src in ctx.files.srcs:
        if not src.path.startswith(prefix):
            fail("%s must sit below its package %s" % (src.path, root))
        stem = src.path[len(prefix):-len(".proto")]
        for kind in kinds:
            outs += [ctx.actions.declare_file(stem + s) for s in _SUFFIXES[kind]]

    out_dir = ctx.bin_dir.path + ("" if root == "." else "/" + root)
    args = ctx.actions.args()
    args.add_all(roots, format_each = "-I%s")
    out_flag = "--cpp_out" if ctx.attr.lang == "cc" else "--python_out"
    args.add("%s=%s" % (out_flag, out_dir))
    if ctx.attr.grpc:
        args.add("--plugin=protoc-gen-grpc=/usr/bin/" + _PLUGINS[ctx.attr.lang])
        args.add("--grpc_out=" + out_dir)
    args.add_all([s.path[len(prefix):] for s in ctx.files.srcs])

    ctx.actions.run_shell(
        inputs = sources,
        outputs = outs,
        command = "protoc \"$@\"",
        arguments = [args],
        mnemonic = "ProtoGen",
        progress_message = "Generating %s code for %s" % (ctx.attr.lang, ctx.label),
        use_default_shell_env = True,
    )
    return [
        DefaultInfo(files = depset(outs)),
        OutputGroupInfo(
            headers = depset([f for f in outs if f.extension == "h"]),
            sources = depset([f for f in outs if f.extension != "h"]),
        ),
        ProtoSourcesInfo(sources = sources, roots = roots),
    ]

proto_gen = rule(
    implementation = _proto_gen_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".proto"]),
        "deps": attr.label_list(providers = [ProtoSourcesInfo]),
        "lang": attr.string(values = ["cc", "py"], mandatory = True),
        "grpc": attr.bool(default = True),
    },
    doc = "Runs the system protoc (and gRPC plugin) over srcs.",
)

def _gen_name(label):
    # "//p:foo_cc" -> "//p:foo_cc_gen"; works for ":foo_cc" and "@r//:foo_cc" too.
    return label + "_gen" if ":" in label else label + ":" + label.split("/")[-1] + "_gen"

def proto_cc_library(name, srcs, deps = [], grpc = True, **kwargs):
    """A cc_library of the C++ (and gRPC) code generated from srcs.

    deps are other proto_cc_library targets whose .proto files srcs import.
    """
    proto_gen(
        name = name + "_gen",
        srcs = srcs,
        deps = [_gen_name(d) for d in deps],
        lang = "cc",
        grpc = grpc,
    )
    for group in ["headers", "sources"]:
        native.filegroup(
            name = "%s_%s" % (name, group),
            srcs = [":" + name + "_gen"],
            output_group = group,
        )
    native.cc_library(
        name = name,
        srcs = [":%s_sources" % name],
        hdrs = [":%s_headers" % name],
        includes = ["."],
        deps = deps + ["@system_libs//:grpcpp"],
        **kwargs
    )

def proto_py_library(name, srcs, deps = [], grpc = True, **kwargs):
    """A py_library of the Python (and gRPC) modules generated from srcs."""
    proto_gen(
        name = name + "_gen",
        srcs = srcs,
        deps = [_gen_name(d) for d in deps],
        lang = "py",
        grpc = grpc,
    )
    native.py_library(
        name = name,
        srcs = [":" + name + "_gen"],
        imports = ["."],
        deps = deps,
        **kwargs
    )

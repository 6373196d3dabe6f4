"""The gateway's layers, bottom first: the one list docs/architecture.md
shows and //tests/layout:layering_test enforces.

A package may include headers of its own layer and the layers below it,
never above. The providers' layer is a set of independent folders: none
includes another. Code outside the gateway (tests/, clients/, deploy/,
bazel/) may use any layer.
"""

PROVIDERS = "adapters/<provider>"

LAYERS = [
    ("foundations", ["protos", "config", "observability/log", "observability/json",
                     "observability/metrics", "observability/access_log"]),
    ("async", ["adapters/async"]),
    ("transport", ["adapters/transport", "adapters/errors", "adapters/validation"]),
    ("seam", ["adapters/operation", "adapters/auth", "adapters/testing"]),
    ("policies", ["adapters/policies"]),
    ("provider kit", ["adapters/provider", "adapters/shared_state"]),
    ("providers", [PROVIDERS]),
    ("call services", ["server/security", "server/request", "server/idempotency",
                       "server/audit"]),
    ("call pipeline", ["server/call"]),
    ("methods", ["server/methods", "server/unlink"]),
    ("server", ["server"]),
    ("composition root", ["server/composition_root"]),
]

# Folders outside the gateway's layers.
OUTSIDE = ("tests/", "clients/", "deploy/", "bazel/")


def layer_of(package, providers):
    """The layer index of a package, or None when it is outside the layers."""
    parts = package.split("/")
    if len(parts) == 2 and parts[0] == "adapters" and parts[1] in providers:
        package = PROVIDERS
    for index, (_, packages) in enumerate(LAYERS):
        if package in packages:
            return index
    return None

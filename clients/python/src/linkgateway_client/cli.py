"""linkgateway-python: calls any linkgateway RPC and prints the answer as JSON.

    linkgateway-python [--target HOST:PORT] [--timeout DURATION] [--ca-file F]
                       [--cert-file F --key-file F] [--token-file F] VERB ['REQUEST JSON']

The contract every linkgateway CLI keeps (docs/clients/index.md): the request
is proto3 JSON ("-" reads standard input; default {}); the answer is one line
of proto3 JSON, one line per message for watch-unlink; a failed call prints
{"error": {...}} and exits with its gRPC code; a usage error exits 64.
"""

import json
import re
import sys
import textwrap
from typing import Dict, List, Optional, Tuple

import grpc
from google.protobuf import json_format

from linkgateway.v1 import app_profiles_pb2, app_profiles_pb2_grpc
from linkgateway.v1 import registrations_pb2, registrations_pb2_grpc
from linkgateway.v1 import subscriptions_pb2, subscriptions_pb2_grpc
from linkgateway.v1 import unlink_pb2, unlink_pb2_grpc
from linkgateway_client import new_request_id
from linkgateway_client.channel import channel
from linkgateway_client.errors import explain
from linkgateway_client.protos import health_pb2, health_pb2_grpc
from linkgateway_client.protos import operations_pb2, operations_pb2_grpc

EX_USAGE = 64

# verb -> (request message, stub class, method name, server-streaming)
VERBS = {
    "delete-registration": (registrations_pb2.DeleteRegistrationRequest,
                            registrations_pb2_grpc.RegistrationServiceStub, "DeleteRegistration",
                            False),
    "get-subscription-info": (subscriptions_pb2.GetSubscriptionInfoRequest,
                              subscriptions_pb2_grpc.SubscriptionServiceStub,
                              "GetSubscriptionInfo", False),
    "delete-subscription": (subscriptions_pb2.DeleteSubscriptionRequest,
                            subscriptions_pb2_grpc.SubscriptionServiceStub, "DeleteSubscription",
                            False),
    "delete-app-profile": (app_profiles_pb2.DeleteAppProfileRequest,
                           app_profiles_pb2_grpc.AppProfileServiceStub, "DeleteAppProfile", False),
    "get-profile-transaction": (app_profiles_pb2.GetProfileTransactionRequest,
                                app_profiles_pb2_grpc.AppProfileServiceStub,
                                "GetProfileTransaction", False),
    "start-unlink": (unlink_pb2.StartUnlinkRequest, unlink_pb2_grpc.UnlinkServiceStub,
                     "StartUnlink", False),
    "watch-unlink": (unlink_pb2.WatchUnlinkRequest, unlink_pb2_grpc.UnlinkServiceStub,
                     "WatchUnlink", True),
    "get-operation": (operations_pb2.GetOperationRequest, operations_pb2_grpc.OperationsStub,
                      "GetOperation", False),
    "list-operations": (operations_pb2.ListOperationsRequest, operations_pb2_grpc.OperationsStub,
                        "ListOperations", False),
    "cancel-operation": (operations_pb2.CancelOperationRequest,
                         operations_pb2_grpc.OperationsStub, "CancelOperation", False),
    "wait-operation": (operations_pb2.WaitOperationRequest, operations_pb2_grpc.OperationsStub,
                       "WaitOperation", False),
    "delete-operation": (operations_pb2.DeleteOperationRequest,
                         operations_pb2_grpc.OperationsStub, "DeleteOperation", False),
    "health-check": (health_pb2.HealthCheckRequest, health_pb2_grpc.HealthStub, "Check", False),
}

FLAGS = ("--target", "--timeout", "--ca-file", "--cert-file", "--key-file", "--token-file")
HELP = textwrap.dedent(__doc__.split("\n\n")[1]) + "\nVERB: " + ", ".join(VERBS) + "\n"
# A number of seconds, or a number with one unit: 5, 5s, 2.5s, 500ms, 1m, 1h.
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
UNIT_SECONDS = {None: 1, "ms": 0.001, "s": 1, "m": 60, "h": 3600}


class UsageError(Exception):
    pass


def parse_duration(text: str) -> float:
    match = DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise UsageError(f"--timeout {text}: not a duration (e.g. 30, 30s, 500ms, 2m)")
    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]


def parse_args(argv: List[str]) -> Tuple[Dict[str, str], List[str]]:
    """--flag VALUE or --flag=VALUE; then VERB and an optional request."""
    flags: Dict[str, str] = {"--target": "127.0.0.1:50051", "--timeout": "30"}
    positional = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-") and arg != "-":
            name, has_value, value = arg.partition("=")
            if name not in FLAGS:
                raise UsageError(f"unknown flag {name}")
            if not has_value:
                if i + 1 >= len(argv):
                    raise UsageError(f"{name} needs a value")
                i += 1
                value = argv[i]
            flags[name] = value
        else:
            positional.append(arg)
        i += 1
    if not 1 <= len(positional) <= 2:
        raise UsageError("expected VERB and an optional REQUEST JSON")
    if positional[0] not in VERBS:
        raise UsageError(f"unknown verb {positional[0]}")
    if "--key-file" in flags and "--cert-file" not in flags or \
            "--cert-file" in flags and "--key-file" not in flags:
        raise UsageError("--cert-file and --key-file go together")
    return flags, positional


def print_json(message) -> None:
    """One line of proto3 JSON, the same bytes in every language's CLI."""
    text = json_format.MessageToJson(message, preserving_proto_field_name=False)
    print(json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False), flush=True)


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["-h"], ["--help"]):
        sys.stdout.write(HELP)
        return 0
    try:
        flags, positional = parse_args(argv)
        timeout = parse_duration(flags["--timeout"])
    except UsageError as error:
        sys.stderr.write(f"linkgateway-python: {error}\n{HELP}")
        return EX_USAGE
    message, stub_class, method, streaming = VERBS[positional[0]]
    text = positional[1] if len(positional) > 1 else "{}"
    if text == "-":
        text = sys.stdin.read()
    try:
        request = json_format.Parse(text, message())
    except json_format.ParseError as error:
        sys.stderr.write(f"linkgateway-python: the request is not valid JSON for "
                         f"{message.DESCRIPTOR.full_name}: {error}\n")
        return EX_USAGE
    # A delete or unlink start without a request_id gets a fresh one
    # (AIP-155): a retry of this call is answered from the gateway's record.
    if "request_id" in request.DESCRIPTOR.fields_by_name and not request.request_id:
        request.request_id = new_request_id()
    metadata = []
    if "--token-file" in flags:
        try:
            with open(flags["--token-file"], encoding="utf-8") as f:
                metadata.append(("authorization", "Bearer " + f.readline().strip()))
        except OSError as error:
            sys.stderr.write(f"linkgateway-python: {error}\n")
            return EX_USAGE
    try:
        opened = channel(flags["--target"], flags.get("--ca-file"), flags.get("--cert-file"),
                         flags.get("--key-file"))
    except OSError as error:
        sys.stderr.write(f"linkgateway-python: {error}\n")
        return EX_USAGE
    with opened:
        call = getattr(stub_class(opened), method)
        try:
            if streaming:
                for answer in call(request, timeout=timeout, metadata=metadata):
                    print_json(answer)
            else:
                print_json(call(request, timeout=timeout, metadata=metadata))
        except grpc.RpcError as error:
            print(json.dumps({"error": explain(error)}, separators=(",", ":"),
                             ensure_ascii=False), flush=True)
            return error.code().value[0]
    return 0


if __name__ == "__main__":
    sys.exit(main())

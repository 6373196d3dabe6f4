"""linkgateway-python: calls every linkgateway RPC and prints the answer, or
an error's google.rpc.Status details, as JSON.

    linkgateway-python [--target 127.0.0.1:50051] [--timeout 30] VERB 'REQUEST JSON'

VERB: delete-registration, get-subscription-info, delete-subscription,
delete-app-profile, get-profile-transaction; the request is proto3 JSON
("-" reads standard input). TLS: --ca-file; mTLS adds --cert-file and
--key-file; a bearer token comes from --token-file (a file, so it stays out of
shell history). A failed call prints {"error": {...}} and exits with its gRPC
code.
"""

import argparse
import json
import sys
import uuid

import grpc
from google.protobuf import json_format

from linkgateway.v1 import app_profiles_pb2, app_profiles_pb2_grpc
from linkgateway.v1 import registrations_pb2, registrations_pb2_grpc
from linkgateway.v1 import subscriptions_pb2, subscriptions_pb2_grpc
from linkgateway_client.channel import channel
from linkgateway_client.errors import explain

# verb -> (request message, stub class, method name)
RPCS = {
    "delete-registration": (registrations_pb2.DeleteRegistrationRequest,
                            registrations_pb2_grpc.RegistrationServiceStub, "DeleteRegistration"),
    "get-subscription-info": (subscriptions_pb2.GetSubscriptionInfoRequest,
                              subscriptions_pb2_grpc.SubscriptionServiceStub,
                              "GetSubscriptionInfo"),
    "delete-subscription": (subscriptions_pb2.DeleteSubscriptionRequest,
                            subscriptions_pb2_grpc.SubscriptionServiceStub, "DeleteSubscription"),
    "delete-app-profile": (app_profiles_pb2.DeleteAppProfileRequest,
                           app_profiles_pb2_grpc.AppProfileServiceStub, "DeleteAppProfile"),
    "get-profile-transaction": (app_profiles_pb2.GetProfileTransactionRequest,
                                app_profiles_pb2_grpc.AppProfileServiceStub,
                                "GetProfileTransaction"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="linkgateway-python",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--timeout", type=float, default=30.0, help="deadline, seconds")
    parser.add_argument("--ca-file", help="PEM roots: use TLS")
    parser.add_argument("--cert-file", help="PEM client certificate (mTLS)")
    parser.add_argument("--key-file", help="PEM key of --cert-file")
    parser.add_argument("--token-file", help="a file holding a bearer token")
    parser.add_argument("verb", choices=sorted(RPCS))
    parser.add_argument("request", help="proto3 JSON, or - for standard input")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return 64 if exit.code else 0
    message, stub_class, method = RPCS[args.verb]
    text = sys.stdin.read() if args.request == "-" else args.request
    try:
        request = json_format.Parse(text, message())
    except json_format.ParseError as error:
        print(f"the request is not valid JSON for {message.DESCRIPTOR.full_name}: {error}",
              file=sys.stderr)
        return 64
    # A delete without a request_id gets a fresh one (AIP-155): a retry of this
    # call is then answered from the gateway's record, not repeated.
    if "request_id" in request.DESCRIPTOR.fields_by_name and not request.request_id:
        request.request_id = str(uuid.uuid4())
    metadata = []
    if args.token_file:
        with open(args.token_file) as f:
            metadata.append(("authorization", "Bearer " + f.readline().strip()))
    with channel(args.target, args.ca_file, args.cert_file, args.key_file) as opened:
        call = getattr(stub_class(opened), method)
        try:
            response = call(request, timeout=args.timeout, metadata=metadata)
        except grpc.RpcError as error:
            print(json.dumps({"error": explain(error)}))
            return error.code().value[0]
    print(json_format.MessageToJson(response))
    return 0


if __name__ == "__main__":
    sys.exit(main())

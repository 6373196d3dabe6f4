"""Calling linkgateway from Python with the generated stubs and Debian's
python3-grpcio, and reading an error's google.rpc.Status details.

    bazel run //clients/python:example -- --target 127.0.0.1:50051 \\
        delete-subscription ANY_OFFER_CHANGED demo-subscription-1

With TLS: --ca-file CA.pem; mTLS adds --cert-file and --key-file; a bearer
token comes from --token-file (a file, so it stays out of shell history).
"""

import argparse
import json
import sys

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2

from linkgateway.v1 import registrations_pb2, registrations_pb2_grpc
from linkgateway.v1 import subscriptions_pb2, subscriptions_pb2_grpc


def explain(error):
    """A failed call's code, message and rich details, as a dict."""
    out = {"code": error.code().name, "message": error.details()}
    trailer = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if not trailer:
        return out
    for detail in status_pb2.Status.FromString(trailer).details:
        info, retry, bad = (error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo(),
                            error_details_pb2.BadRequest())
        if detail.Unpack(info):
            out.update(reason=info.reason, domain=info.domain, metadata=dict(info.metadata),
                       upstreamRequestId=info.metadata.get("upstreamRequestId", ""))
        elif detail.Unpack(retry):
            out["retryDelaySeconds"] = retry.retry_delay.ToTimedelta().total_seconds()
        elif detail.Unpack(bad):
            out["fieldViolations"] = [{"field": v.field, "description": v.description}
                                      for v in bad.field_violations]
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def channel_for(args):
    """Plaintext, TLS, or mTLS, as the arguments say."""
    if not args.ca_file and not args.cert_file:
        return grpc.insecure_channel(args.target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.ca_file) if args.ca_file else None,
        private_key=read(args.key_file) if args.key_file else None,
        certificate_chain=read(args.cert_file) if args.cert_file else None)
    return grpc.secure_channel(args.target, credentials)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--timeout", type=float, default=30.0, help="deadline, seconds")
    parser.add_argument("--ca-file", help="PEM roots: use TLS")
    parser.add_argument("--cert-file", help="PEM client certificate (mTLS)")
    parser.add_argument("--key-file", help="PEM key of --cert-file")
    parser.add_argument("--token-file", help="a bearer token, sent as authorization")
    sub = parser.add_subparsers(dest="verb", required=True)
    delete_subscription = sub.add_parser("delete-subscription")
    delete_subscription.add_argument("notification_type")
    delete_subscription.add_argument("subscription_id")
    delete_registration = sub.add_parser("delete-registration")
    delete_registration.add_argument("registration_id")
    args = parser.parse_args(argv)

    metadata = []
    if args.token_file:
        with open(args.token_file) as f:
            metadata.append(("authorization", "Bearer " + f.readline().strip()))
    with channel_for(args) as channel:
        if args.verb == "delete-subscription":
            request = subscriptions_pb2.DeleteSubscriptionRequest()
            request.selling_partner.notification_type = args.notification_type
            request.selling_partner.subscription_id = args.subscription_id
            call = subscriptions_pb2_grpc.SubscriptionServiceStub(channel).DeleteSubscription
        else:
            request = registrations_pb2.DeleteRegistrationRequest()
            request.sms_voice.registration_id = args.registration_id
            call = registrations_pb2_grpc.RegistrationServiceStub(channel).DeleteRegistration
        try:
            response = call(request, timeout=args.timeout, metadata=metadata)
        except grpc.RpcError as error:
            print(json.dumps({"error": explain(error)}))
            return 1
        print(json_format.MessageToJson(response))
        return 0


if __name__ == "__main__":
    sys.exit(main())

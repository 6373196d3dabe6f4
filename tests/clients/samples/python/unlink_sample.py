"""Starts an unlink job and watches it to the end (see ../README.md)."""

import sys

import grpc

import linkgateway_client
from linkgateway.v1 import unlink_pb2, unlink_pb2_grpc

FINAL = (unlink_pb2.UNLINK_STEP_STATE_SUCCEEDED, unlink_pb2.UNLINK_STEP_STATE_ALREADY_GONE)


def main(target, registration_id, subscription_id):
    request = unlink_pb2.StartUnlinkRequest(
        request_id=linkgateway_client.new_request_id(),
        targets=[
            unlink_pb2.UnlinkTarget(sms_voice_registration={"registration_id": registration_id}),
            unlink_pb2.UnlinkTarget(selling_partner_subscription={
                "notification_type": "ANY_OFFER_CHANGED", "subscription_id": subscription_id}),
        ])
    with linkgateway_client.channel(target) as channel:
        unlink = unlink_pb2_grpc.UnlinkServiceStub(channel)
        try:
            operation = unlink.StartUnlink(request, timeout=30)
            last = None
            for last in unlink.WatchUnlink(unlink_pb2.WatchUnlinkRequest(name=operation.name),
                                           timeout=60):
                states = [unlink_pb2.UnlinkStepState.Name(s.state) for s in last.steps]
                print(last.name, *states, flush=True)
        except grpc.RpcError as error:
            print(linkgateway_client.explain(error), file=sys.stderr)
            return 2
    print("done")
    return 0 if last and all(s.state in FINAL for s in last.steps) else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: unlink_sample.py TARGET REGISTRATION_ID SUBSCRIPTION_ID")
    sys.exit(main(*sys.argv[1:]))

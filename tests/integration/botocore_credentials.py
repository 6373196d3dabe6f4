"""The oracle: botocore's own credential resolver (Debian's python3-botocore)
run on the environment this process was given, printing what it resolved
as JSON: {"method", "accessKeyId", "secretAccessKey", "sessionToken"}, or
{"error": ...}, or {"method": null} when it found nothing.

Only where botocore has no setting are its endpoints pointed at the
emulators: its STS client (botocore 1.29 reads no STS endpoint from the
environment) and the ECS address AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is
resolved against. Everything else, the resolver's order and semantics
included, is botocore's.

    botocore_credentials.py --sts-endpoint URL --ca-bundle FILE [--ecs-address HOST:PORT]
"""

import argparse
import json

import botocore.session
import botocore.utils


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sts-endpoint", required=True)
    parser.add_argument("--ca-bundle", required=True)
    parser.add_argument("--ecs-address", default=None)
    args = parser.parse_args()
    if args.ecs_address:
        botocore.utils.ContainerMetadataFetcher.IP_ADDRESS = args.ecs_address
    session = botocore.session.Session()
    create_client = session.create_client

    def sts_to_the_emulator(service_name, *positional, **named):
        if service_name == "sts":
            named["endpoint_url"] = args.sts_endpoint
            named["verify"] = args.ca_bundle
        return create_client(service_name, *positional, **named)

    session.create_client = sts_to_the_emulator
    try:
        credentials = session.get_credentials()
        if credentials is None:
            print(json.dumps({"method": None}))
            return
        frozen = credentials.get_frozen_credentials()
    except Exception as e:  # what botocore raises is the answer
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return
    print(json.dumps({"method": credentials.method, "accessKeyId": frozen.access_key,
                      "secretAccessKey": frozen.secret_key, "sessionToken": frozen.token}))


if __name__ == "__main__":
    main()

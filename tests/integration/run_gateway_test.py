"""`bazel run //:gateway` end to end, through the generated Python client:
the launcher starts the emulators and the gateway, and every seeded demo
call works; errors carry google.rpc.Status details in the trailer."""

import os
import re
import subprocess
import sys
import unittest

import grpc

from google.rpc import error_details_pb2, status_pb2
from linkgateway.v1 import subscriptions_pb2, subscriptions_pb2_grpc
from linkgateway.v1 import registrations_pb2, registrations_pb2_grpc
from linkgateway.v1 import app_profiles_pb2, app_profiles_pb2_grpc

LAUNCHER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "emulators", "run_gateway.py")


class RunGatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process = subprocess.Popen(
            ["/usr/bin/python3", "-u", LAUNCHER, "--listen=127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        cls.output = []
        cls.token = None
        for line in cls.process.stdout:
            cls.output.append(line)
            found = re.search(r"device token: (\S+)", line)
            if found:
                cls.token = found.group(1)
            found = re.search(r"linkgateway: listening on (127\.0\.0\.1:\d+)", line)
            if found:
                cls.address = found.group(1)
                break
        else:
            raise AssertionError("launcher never served:\n" + "".join(cls.output))
        cls.channel = grpc.insecure_channel(cls.address)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.process.terminate()
        cls.process.wait(timeout=30)
        cls.process.stdout.close()

    def test_banner_says_emulator_mode(self):
        self.assertIn("EMULATOR MODE", "".join(self.output))

    def test_subscription_info_of_the_demo_device(self):
        stub = subscriptions_pb2_grpc.SubscriptionServiceStub(self.channel)
        request = subscriptions_pb2.GetSubscriptionInfoRequest()
        request.dash_replenishment.access_token = self.token
        info = stub.GetSubscriptionInfo(request, timeout=20)
        slot = info.dash_replenishment.slots["slot1"]
        self.assertTrue(slot.subscribed)
        self.assertEqual(slot.products[0].asin, "B000DEMO01")

    def test_delete_the_demo_subscription_then_not_found_with_details(self):
        stub = subscriptions_pb2_grpc.SubscriptionServiceStub(self.channel)
        request = subscriptions_pb2.DeleteSubscriptionRequest()
        request.selling_partner.notification_type = "ANY_OFFER_CHANGED"
        request.selling_partner.subscription_id = "demo-subscription-1"
        stub.DeleteSubscription(request, timeout=20)
        with self.assertRaises(grpc.RpcError) as caught:
            stub.DeleteSubscription(request, timeout=20)
        error = caught.exception
        self.assertEqual(error.code(), grpc.StatusCode.NOT_FOUND)
        trailer = dict(error.trailing_metadata())["grpc-status-details-bin"]
        status = status_pb2.Status.FromString(trailer)
        info = error_details_pb2.ErrorInfo()
        self.assertTrue(any(d.Unpack(info) for d in status.details))
        self.assertEqual(info.reason, "UPSTREAM_NOT_FOUND")
        self.assertEqual(info.metadata["upstreamCode"], "NotFound")

    def test_delete_the_demo_sms_voice_registration(self):
        stub = registrations_pb2_grpc.RegistrationServiceStub(self.channel)
        request = registrations_pb2.DeleteRegistrationRequest()
        request.sms_voice.registration_id = "registration-demo-1"
        response = stub.DeleteRegistration(request, timeout=20)
        self.assertEqual(response.sms_voice.registration_status,
                         registrations_pb2.SMS_VOICE_REGISTRATION_STATUS_DELETED)

    def test_delete_the_demo_app_profile_and_read_its_transaction(self):
        stub = app_profiles_pb2_grpc.AppProfileServiceStub(self.channel)
        request = app_profiles_pb2.DeleteAppProfileRequest()
        request.imiconnect.app_id = "a_635736738702976937"
        request.imiconnect.customer_id = "9876"
        request.imiconnect.device_id = "4451830998765"
        response = stub.DeleteAppProfile(request, timeout=20)
        self.assertTrue(response.imiconnect.transaction_id)
        status_request = app_profiles_pb2.GetProfileTransactionRequest()
        status_request.imiconnect.transaction_id = response.imiconnect.transaction_id
        transaction = stub.GetProfileTransaction(status_request, timeout=20)
        self.assertEqual(transaction.imiconnect.state,
                         app_profiles_pb2.PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN)

    def test_invalid_request_names_the_field(self):
        stub = registrations_pb2_grpc.RegistrationServiceStub(self.channel)
        request = registrations_pb2.DeleteRegistrationRequest()
        request.sms_voice.registration_id = "bad id!"
        with self.assertRaises(grpc.RpcError) as caught:
            stub.DeleteRegistration(request, timeout=20)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("sms_voice.registration_id", caught.exception.details())


if __name__ == "__main__":
    unittest.main()

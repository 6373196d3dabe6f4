"""`bazel run //:gateway` end to end, through the generated Python client:
the launcher starts the emulators and the gateway, and every seeded demo
call works; errors carry google.rpc.Status details in the trailer."""

import os
import subprocess
import sys
import time
import types
import unittest
import urllib.request

import grpc
from google.protobuf import descriptor_pb2

from google.rpc import error_details_pb2, status_pb2
from linkgateway.v1 import subscriptions_pb2, subscriptions_pb2_grpc
from linkgateway.v1 import registrations_pb2, registrations_pb2_grpc
from linkgateway.v1 import app_profiles_pb2, app_profiles_pb2_grpc
from launcher import Launcher


def _expose_generated(package):
    """Makes the generated `package` (e.g. grpc.health.v1, from
    @grpc_proto) importable: its modules live under grpc/ like grpcio's own
    package, which would otherwise hide them."""
    parts = package.split(".")
    for root in sys.path:
        if os.path.isdir(os.path.join(root, *parts)):
            break
    else:
        raise ImportError(f"{package} is not in the runfiles")
    for i in range(2, len(parts) + 1):
        name = ".".join(parts[:i])
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [os.path.join(root, *parts[:i])]
            sys.modules[name] = module


for _package in ("grpc.health.v1", "grpc.reflection.v1", "grpc.reflection.v1alpha"):
    _expose_generated(_package)
from grpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from grpc.reflection.v1 import reflection_pb2, reflection_pb2_grpc  # noqa: E402
from grpc.reflection.v1alpha import reflection_pb2 as reflection_v1alpha_pb2  # noqa: E402
from grpc.reflection.v1alpha import reflection_pb2_grpc as reflection_v1alpha_pb2_grpc  # noqa: E402

class RunGatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.launcher = Launcher()
        cls.output, cls.token = cls.launcher.output, cls.launcher.device_token
        cls.address, cls.metrics_url = cls.launcher.target, cls.launcher.metrics_url
        cls.channel = grpc.insecure_channel(cls.address)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.launcher.stop()

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

    def test_health_says_serving_overall_and_per_service(self):
        stub = health_pb2_grpc.HealthStub(self.channel)
        for service in ("", "linkgateway.v1.RegistrationService",
                        "linkgateway.v1.SubscriptionService", "linkgateway.v1.AppProfileService",
                        "linkgateway.provider.dash_replenishment",
                        "linkgateway.provider.selling_partner", "linkgateway.provider.sms_voice",
                        "linkgateway.provider.imiconnect"):
            answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=20)
            self.assertEqual(answer.status, health_pb2.HealthCheckResponse.SERVING, service)
        with self.assertRaises(grpc.RpcError) as caught:
            stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=20)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)

    def _describe(self, module, grpc_module, symbol):
        """The file descriptors reflection (v1 or v1alpha) returns for `symbol`."""
        stub = grpc_module.ServerReflectionStub(self.channel)
        request = module.ServerReflectionRequest(file_containing_symbol=symbol)
        answers = list(stub.ServerReflectionInfo(iter([request]), timeout=20))
        self.assertEqual(len(answers), 1)
        self.assertTrue(answers[0].HasField("file_descriptor_response"), answers[0])
        return [descriptor_pb2.FileDescriptorProto.FromString(raw)
                for raw in answers[0].file_descriptor_response.file_descriptor_proto]

    def test_reflection_v1_and_v1alpha_describe_with_comments_like_grpcurl(self):
        for module, grpc_module in ((reflection_pb2, reflection_pb2_grpc),
                                    (reflection_v1alpha_pb2, reflection_v1alpha_pb2_grpc)):
            files = self._describe(module, grpc_module, "linkgateway.v1.SmsVoiceRegistrationKey")
            comments = "".join(location.leading_comments
                               for f in files for location in f.source_code_info.location)
            self.assertIn("Names an SMS and Voice v2 registration.", comments)
            self.assertIn("[A-Za-z0-9_:/-]+", comments)
            # What `grpcurl ... grpc.health.v1.Health/Check` needs first.
            health = self._describe(module, grpc_module, "grpc.health.v1.Health")
            self.assertIn("grpc/health/v1/health.proto", [f.name for f in health])

    def _scrape(self):
        self.assertIsNotNone(self.metrics_url, "the gateway did not log its metrics address")
        with urllib.request.urlopen(self.metrics_url, timeout=20) as answer:
            self.assertTrue(answer.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            text = answer.read().decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                series, value = line.rsplit(" ", 1)
                samples[series] = float(value)
        return text, samples

    def test_metrics_count_a_call_and_pass_promtool(self):
        before_text, before = self._scrape()
        stub = registrations_pb2_grpc.RegistrationServiceStub(self.channel)
        request = registrations_pb2.DeleteRegistrationRequest()
        request.sms_voice.registration_id = "registration-not-there"
        with self.assertRaises(grpc.RpcError) as caught:
            stub.DeleteRegistration(request, timeout=20,
                                    metadata=[("x-request-id", "metrics-test-1")])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)
        text, after = self._scrape()

        def delta(series):
            return after.get(series, 0) - before.get(series, 0)

        rpc = ('{grpc_service="linkgateway.v1.RegistrationService",'
               'grpc_method="DeleteRegistration",provider="sms_voice"')
        self.assertEqual(delta(f'linkgateway_rpcs_total{rpc},grpc_code="NOT_FOUND",'
                               'account="default"}'), 1)
        self.assertEqual(delta(f'linkgateway_rpc_duration_seconds_count{rpc},account="default"}}'),
                         1)
        upstream = '{provider="sms_voice",operation="DeleteRegistration"'
        self.assertEqual(delta(f'linkgateway_upstream_requests_total{upstream},status="400",'
                               'account="default"}'), 1)
        self.assertEqual(delta(f'linkgateway_upstream_request_duration_seconds_count{upstream},'
                               'account="default"}'), 1)
        self.assertEqual(delta("linkgateway_audit_records_total"), 1)
        self.assertEqual(after["linkgateway_calls_in_flight"], 0)
        self.assertIn('linkgateway_build_info{version="', text)
        # The grantless token was fetched at start-up, through the metered transport.
        self.assertGreaterEqual(
            after['linkgateway_token_fetches_total{source="login_with_amazon",result="ok"}'], 1)
        self.assertGreaterEqual(after['linkgateway_upstream_requests_total{provider='
                                      '"login_with_amazon",operation="Token",status="200",'
                                      'account="default"}'], 1)
        # A real consumer of the format.
        checked = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                                 capture_output=True, timeout=60)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        # And the call's access-log line (text format in the demo), bounded wait.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [line for line in list(self.output) if "request_id=metrics-test-1" in line]
            if lines:
                break
            time.sleep(0.05)
        self.assertEqual(len(lines), 1, "".join(self.output[-20:]))
        self.assertRegex(lines[0], r"^\d{4}-\d\d-\d\dT[\d:.]+Z DeleteRegistration sms_voice "
                                   r"NOT_FOUND/UPSTREAM_NOT_FOUND [\d.]+ms caller=anonymous/none ")
        self.assertIn("target.registration_id=registration-not-there", lines[0])
        self.assertIn("upstream_status=400", lines[0])


if __name__ == "__main__":
    unittest.main()

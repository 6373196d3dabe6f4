"""buf's lint directives stay out of the comments readers get, and every
other comment line stays in."""

import os
import unittest

from google.protobuf import descriptor_pb2

import strip_lint_directives as strip

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", ""), os.environ.get("TEST_WORKSPACE", ""))


def load(name):
    descriptor_set = descriptor_pb2.FileDescriptorSet()
    with open(os.path.join(RUNFILES, "protos", name), "rb") as f:
        descriptor_set.ParseFromString(f.read())
    return descriptor_set


def comments(descriptor_set):
    for file in descriptor_set.file:
        for location in file.source_code_info.location:
            yield file.name, location.path, location.leading_comments
            yield file.name, location.path, location.trailing_comments
            for detached in location.leading_detached_comments:
                yield file.name, location.path, detached


def method_comment(descriptor_set, file_name, service, method):
    for file in descriptor_set.file:
        if file.name != file_name:
            continue
        s = [i for i, x in enumerate(file.service) if x.name == service][0]
        m = [i for i, x in enumerate(file.service[s].method) if x.name == method][0]
        for location in file.source_code_info.location:
            if list(location.path) == [6, s, 2, m]:  # service, method
                return location.leading_comments
    raise AssertionError(f"no comment for {service}.{method} in {file_name}")


class StripCommentTest(unittest.TestCase):

    def test_table(self):
        for comment, expected in [
                (" Reads it. Returns the resource\n itself (AIP-131).\n"
                 " buf:lint:ignore RPC_RESPONSE_STANDARD_NAME\n",
                 " Reads it. Returns the resource\n itself (AIP-131).\n"),
                (" buf:lint:ignore A\n Text after.\n", " Text after.\n"),
                (" First.\n buf:lint:ignore A\n buf:lint:ignore B\n Last.\n", " First.\n Last.\n"),
                (" buf:lint:ignore RPC_RESPONSE_STANDARD_NAME\n", ""),
                ("buf:lint:ignore A", ""),
                (" Mentions buf:lint:ignore in a sentence.\n",
                 " Mentions buf:lint:ignore in a sentence.\n"),
                (" Plain.\n\n Two paragraphs.\n", " Plain.\n\n Two paragraphs.\n"),
        ]:
            with self.subTest(comment=comment):
                self.assertEqual(strip.strip_comment(comment), expected)

    def test_a_comment_of_directives_only_is_removed(self):
        descriptor_set = descriptor_pb2.FileDescriptorSet()
        location = descriptor_set.file.add(name="a.proto").source_code_info.location.add()
        location.leading_comments = " buf:lint:ignore A\n"
        location.trailing_comments = " kept\n"
        location.leading_detached_comments.extend([" buf:lint:ignore B\n", " kept too\n"])
        self.assertEqual(strip.strip(descriptor_set), 2)
        self.assertFalse(location.HasField("leading_comments"))
        self.assertEqual(location.trailing_comments, " kept\n")
        self.assertEqual(list(location.leading_detached_comments), [" kept too\n"])


class ServedDescriptorsTest(unittest.TestCase):

    def test_no_served_comment_holds_a_directive(self):
        for name in ("served.protoset", "linkgateway_api.protoset"):
            descriptor_set = load(name)
            with self.subTest(protoset=name):
                found = [(f, list(p)) for f, p, c in comments(descriptor_set)
                         if any(line.strip().startswith("buf:lint:") for line in c.split("\n"))]
                self.assertEqual(found, [])

    def test_the_comments_around_a_directive_are_served(self):
        served = load("served.protoset")
        self.assertEqual(
            method_comment(served, "linkgateway/v1/subscriptions.proto", "SubscriptionService",
                           "GetSubscriptionInfo"),
            " Reads the subscription state of a device's slots. Returns the resource\n"
            " itself (AIP-131).\n")
        self.assertIn("Returns the operation itself (AIP-151).",
                      method_comment(served, "linkgateway/v1/unlink.proto", "UnlinkService",
                                     "StartUnlink").replace("\n ", " "))
        self.assertTrue(method_comment(served, "linkgateway/v1/subscriptions.proto",
                                       "SubscriptionService", "DeleteSubscription"))


if __name__ == "__main__":
    unittest.main()

"""The doc test's parts on fixed inputs: the page format, normalisation and
the rewriting of commands."""

import unittest

import markdown_shell
import normalise
import rewrite

PAGE = """# A page

<!-- doc-test: not run: needs the real providers -->
```sh
bazel run //server:gateway -- --config=/etc/gw.textproto
```

```sh
$ echo one \\
    two
one two

$ cat > f <<'EOF'
$ not a command
EOF
$ # a comment
$ cat f
```

```sh
D=$(mktemp -d)
# a comment line
cat > $D/x <<EOF
listen: 1
EOF
```

<!-- doc-test: gateway output -->
```
linkgateway: listening on 127.0.0.1:50051
```

```json
{"not": "run"}
```
"""


class MarkdownShellTest(unittest.TestCase):

    def test_blocks_and_directives(self):
        blocks = markdown_shell.blocks(PAGE)
        self.assertEqual([(b.language, b.line) for b in blocks],
                         [("sh", 4), ("sh", 8), ("sh", 20), ("", 29), ("json", 33)])
        self.assertEqual(blocks[0].skip_reason, "needs the real providers")
        self.assertIsNone(blocks[1].skip_reason)
        self.assertEqual(blocks[3].directive, "gateway output")
        self.assertFalse(blocks[3].is_shell)

    def test_commands_outputs_continuations_and_heredocs(self):
        steps = markdown_shell.blocks(PAGE)[1].steps
        self.assertEqual([(s.command, s.output, s.line) for s in steps], [
            ("echo one \\\n    two", "one two", 9),
            ("cat > f <<'EOF'\n$ not a command\nEOF", "", 13),
            ("# a comment", "", 16),
            ("cat f", "", 17),
        ])
        self.assertEqual(steps[0].output_lines, (11, 11))
        self.assertEqual(steps[3].output_lines, (18, 17))  # empty: inserted at line 18

    def test_a_script_is_one_command_a_line(self):
        steps = markdown_shell.blocks(PAGE)[2].steps
        self.assertEqual([(s.command, s.output) for s in steps], [
            ("D=$(mktemp -d)", None),
            ("cat > $D/x <<EOF\nlisten: 1\nEOF", None),
        ])

    def test_not_run_without_a_reason_still_skips(self):
        block = markdown_shell.blocks("<!-- doc-test: not run -->\n```sh\nls\n```\n")[0]
        self.assertEqual(block.skip_reason, "(no reason given)")


class NormaliseTest(unittest.TestCase):

    def test_same(self):
        for expected, actual in [
                ('{"id": "8cbe268f-72c7-44b1-ba75-57371304c1f0"}',
                 '{"id": "2946dcf1-301e-44fc-a90b-7cec83043ce1"}'),
                ('{"a": 1, "b": {"x": "1", "y": "2"}}', '{"b": {"y": "2", "x": "1"}, "a": 1}'),
                ('{"retryDelaySeconds": 0.24}', '{"retryDelaySeconds": 0.98}'),
                ('{"s": 1}\n{"s": 2}', '{"s": 1}{"s": 2}'),
                ("2026-11-29T19:56:13.445Z OK 45.3ms peer=ipv4:127.0.0.1:34078",
                 "2031-01-02T03:04:05.1Z OK 1ms peer=ipv4:127.0.0.1:9"),
                ("token Atza|device-0c407bd2", "token Atza|device-99"),
                ("a  \nb\n\n", "a\nb"),
                ('{"e": "[{\\"code\\":\\"X\\",\\"message\\":\\"m\\"}]"}',
                 '{"e": "[{\\"message\\":\\"m\\",\\"code\\":\\"X\\"}]"}'),
        ]:
            with self.subTest(expected=expected):
                self.assertTrue(normalise.same(expected, actual), normalise.diff(expected, actual))

    def test_different(self):
        for expected, actual in [
                ('{"code": "NOT_FOUND"}', '{"code": "INVALID_ARGUMENT"}'),
                ('{"a": [1, 2]}', '{"a": [2, 1]}'),
                ('{"rateLimit": "1.0"}', '{"rateLimit": "2.0"}'),
                ('{"s": 1}\n{"s": 2}', '{"s": 1}'),
                ("SERVING", "NOT_SERVING"),
                ("a\nb", "b\na"),
                ('{"e": "[{\\"code\\":\\"X\\"}]"}', '{"e": "[{\\"code\\":\\"Y\\"}]"}'),
        ]:
            with self.subTest(expected=expected):
                self.assertFalse(normalise.same(expected, actual))

    def test_ids_shown_twice_must_come_back_twice(self):
        a, b = "8cbe268f-72c7-44b1-ba75-57371304c1f0", "2946dcf1-301e-44fc-a90b-7cec83043ce1"
        c, d = "dc7a1179-da72-40e7-980e-2827862e4fed", "56700e7e-420e-48c2-9dae-89ffc47e0c05"
        ids = (normalise.Ids(), normalise.Ids())
        self.assertTrue(normalise.same(f'{{"id": "{a}"}}', f'{{"id": "{c}"}}', ids=ids))
        # the page shows the same job again; a run that answers another fails
        self.assertFalse(normalise.same(f'name: {a}', f'name: {d}', ids=ids))
        self.assertTrue(normalise.same(f'name: {a}', f'name: {c}', ids=ids))
        # a new id on both sides
        self.assertTrue(normalise.same(f'{{"x": "{b}", "y": "{a}"}}',
                                       f'{{"y": "{c}", "x": "{d}"}}', ids=ids))
        self.assertFalse(normalise.same(f"{a} {b}", f"{c} {c}", ids=ids))

    def test_temporary_directories(self):
        self.assertTrue(normalise.same("wrote <tmp>/x", "wrote /s/t/x", ["/s/t"]))


class RewriteTest(unittest.TestCase):

    def rewriter(self, present=("clients/cpp/linkgateway_cli", "server/security/hash_token",
                                "tests/emulators/run_gateway")):
        rewriter = rewrite.Rewriter("/rf", lambda path: path in present)
        rewriter.port_map = {"50051": "41000", "9464": "41001", "50443": "41002"}
        return rewriter

    def test_commands(self):
        for command, expected in [
                ("bazel build //clients/cpp:linkgateway_cli", "true"),
                ("bazel build -c opt //clients/cpp:linkgateway_cli && ls", "true && ls"),
                ("bazel run //server/security:hash_token -- ops < t > f",
                 "/rf/server/security/hash_token ops < t > f"),
                ("bazel-bin/clients/cpp/linkgateway_cli --target 127.0.0.1:50051 x",
                 "/rf/clients/cpp/linkgateway_cli --target 127.0.0.1:41000 x"),
                ("curl -s http://127.0.0.1:9464/metrics", "curl -s http://127.0.0.1:41001/metrics"),
                ('listen_address: "127.0.0.1:50443"', 'listen_address: "127.0.0.1:41002"'),
                ("bash bazel/install-deps.sh", "bash bazel/install-deps.sh"),
        ]:
            with self.subTest(command=command):
                self.assertEqual(self.rewriter().command(command), expected)

    def test_refused(self):
        for command in ["bazel test //...", "bazel build //not:there", "bazel-bin/not/there",
                        "bazel query deps(//x)"]:
            with self.subTest(command=command):
                with self.assertRaises(rewrite.RewriteError):
                    self.rewriter().command(command)

    def test_device_token(self):
        rewriter = self.rewriter()
        rewriter.device_token = "Atza|device-abc"
        self.assertEqual(rewriter.command("{'t': 'Atza|device-0c407bd2'}"), "{'t': 'Atza|device-abc'}")

    def test_background(self):
        for command, expected in [
                ("bazel run //:gateway", ("//:gateway", "")),
                ("bazel run //:gateway -- --secure", ("//:gateway", "--secure")),
                ("bazel run //server:gateway -- --config=$D/g.textproto",
                 ("//server:gateway", "--config=$D/g.textproto")),
                ("bazel run //server/security:hash_token -- ops", None),
                ("bazel build //server:gateway", None),
        ]:
            with self.subTest(command=command):
                self.assertEqual(rewrite.background(command), expected)

    def test_back(self):
        self.assertEqual(self.rewriter().back("at 127.0.0.1:41000 via /rf/server/gateway"),
                         "at 127.0.0.1:50051 via bazel-bin/server/gateway")


if __name__ == "__main__":
    unittest.main()

"""Foundation: configuration precedence and errors, --help, --version, subcommand skeleton."""
import os
import tempfile
import unittest

from harness import Server, run_cli


class ConfigErrors(unittest.TestCase):
    def assert_config_error(self, env, variable, expected_form):
        result = run_cli(["serve"], env=env)
        self.assertEqual(result.returncode, 2, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn(variable, lines[0])
        self.assertIn(expected_form, lines[0])

    def test_malformed_values_exit_2_naming_the_variable(self):
        self.assert_config_error({"PORT": "abc"}, "PORT", "expected an integer")
        self.assert_config_error({"RATE_LIMIT_CHAT": "ten"}, "RATE_LIMIT_CHAT", "N/minute")
        self.assert_config_error({"WORKERS": "0"}, "WORKERS", "expected an integer from 1")
        self.assert_config_error({"TRUSTED_PROXIES": "10.0.0.0/99"}, "TRUSTED_PROXIES", "CIDR")

    def test_a_malformed_key_is_never_echoed(self):
        result = run_cli(["serve"], env={"OPENAI_API_KEY": "sk-live-secret", "PORT": "nope"})
        self.assertEqual(result.returncode, 2)
        self.assertNotIn("sk-live-secret", result.stderr + result.stdout)

    def test_malformed_flag_value_exits_2(self):
        result = run_cli(["serve", "--workers", "zero"])
        self.assertEqual(result.returncode, 2)
        self.assertIn("WORKERS", result.stderr)


class Precedence(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        with open(os.path.join(self.dir.name, ".env"), "w") as f:
            f.write("# local settings\nSERVER_NAME=From Dotenv\nexport WORKERS=2\n")

    def tearDown(self):
        self.dir.cleanup()

    def name_served(self, env=None, args=None):
        with Server(env=env, args=args, cwd=self.dir.name) as server:
            return server.get_json("/")[2]["message"]

    def test_dotenv_applies_when_nothing_else_sets_it(self):
        env = dict(os.environ)
        env.pop("SERVER_NAME", None)
        self.assertEqual(self.name_served(), "From Dotenv")

    def test_environment_beats_dotenv(self):
        self.assertEqual(self.name_served(env={"SERVER_NAME": "From Env"}), "From Env")

    def test_flag_beats_environment(self):
        self.assertEqual(
            self.name_served(env={"SERVER_NAME": "From Env"}, args=["--server-name", "From Flag"]),
            "From Flag")


class CommandLine(unittest.TestCase):
    def test_help_lists_the_subcommands_and_every_setting(self):
        result = run_cli(["--help"])
        self.assertEqual(result.returncode, 0)
        for word in ["serve", "index", "search", "check", "import-faiss", "--port", "--workers",
                     "--rate-limit-chat", "--vector-db-path", "[AZURE_OPENAI_CHAT_ENDPOINT]"]:
            self.assertIn(word, result.stdout)

    def test_version(self):
        result = run_cli(["--version"])
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout.strip(), r"^rag-server \d+\.\d+\.\d+$")

    def test_unknown_subcommand_fails(self):
        self.assertEqual(run_cli(["frobnicate"]).returncode, 2)

    def test_serve_is_the_default(self):
        with Server(command=None) as server:
            self.assertEqual(server.get_json("/")[0], 200)


if __name__ == "__main__":
    unittest.main()

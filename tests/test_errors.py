"""Errors at the edges: one CLI handler with the documented exit codes, and causes kept."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from clipper.cli import exit_code, main
from clipper.config import load_config
from clipper.exceptions import (
    ClipperError,
    CommandUsageError,
    ConfigError,
    DeliveryError,
    EmbedderError,
    ExtractError,
    FetchError,
    SlackAuthError,
    StorageError,
)
from clipper.slackapp import make_slack_app
from clipper.wiring import make_clipper

from .conftest import write_config

SLACK_ENV = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret"}


def test_exit_codes_follow_docs_cli() -> None:
    """docs/cli.md: 2 the configuration, database or model could not be used; 1 a problem met."""
    assert exit_code(ConfigError("bad settings")) == 2
    assert exit_code(StorageError("disk full")) == 2
    assert exit_code(EmbedderError("no model")) == 2
    assert exit_code(FetchError("http://x.example", "404")) == 1
    assert exit_code(ExtractError("no main text")) == 1
    assert exit_code(SlackAuthError("token revoked")) == 1
    assert exit_code(DeliveryError("internal_error")) == 1
    assert exit_code(CommandUsageError("what?")) == 1
    assert exit_code(ClipperError("anything else")) == 1


@pytest.mark.parametrize(
    "args",
    [("extract", "page.html"), ("accounts", "import", "crm.csv", "--dry-run"), ("feeds", "status")],
)
def test_a_facade_that_cannot_be_built_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    # make_clipper refuses a SOCKS proxy it cannot use: a ConfigError, in every command alike
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    (tmp_path / "page.html").write_text("<p>text</p>")
    (tmp_path / "crm.csv").write_text("Account Name\nAcme\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(write_config(tmp_path)), *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: the environment's proxy socks5://127.0.0.1:1080 is a SOCKS")


class _AuthTest(WebClient):
    """A client whose auth.test fails as given (Bolt calls it when the app is built)."""

    def __init__(self, failure: BaseException) -> None:
        super().__init__(token="xoxb-test", retry_handlers=[])
        self.failure = failure

    def auth_test(self, **kwargs: object) -> SlackResponse:  # type: ignore[override]
        raise self.failure


def _refusal(error: str) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/auth.test",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=200,
    )
    return SlackApiError("The request to the Slack API failed.", response)


def test_only_slacks_refusal_reads_as_a_bad_token(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path), SLACK_ENV)
    with make_clipper(config) as clipper:
        with pytest.raises(SlackAuthError, match="SLACK_BOT_TOKEN") as refused:
            make_slack_app(clipper, client=_AuthTest(_refusal("invalid_auth")))
        # the cause is chained: Bolt's error, and Slack's answer behind it
        assert isinstance(refused.value.__cause__.__context__, SlackApiError)  # type: ignore[union-attr]
        assert "invalid_auth" in str(refused.value)
        # Slack out of reach is not a bad token
        with pytest.raises(DeliveryError, match="could not reach Slack") as unreachable:
            make_slack_app(clipper, client=_AuthTest(urllib.error.URLError("refused")))
        assert not isinstance(unreachable.value, SlackAuthError)
        assert isinstance(unreachable.value.__cause__, urllib.error.URLError)
        # a bug is shown as the bug
        with pytest.raises(KeyError, match="oops"):
            make_slack_app(clipper, client=_AuthTest(KeyError("oops")))

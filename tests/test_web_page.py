"""Issue 13 item 6: the manager's web page in a real headless browser (Debian's chromium and
chromium-driver through selenium), served by a real ``clipper serve`` without Slack tokens, over
a real socket, on a real SQLite ledger filled by ``clipper touches import``.

It renders the numbers ``report touches --format json`` gives; the filters (a plain GET form)
change the page; a forged, expired or bare link is refused with 403, the chart too; a rep's
link shows only their accounts, also with ``?rep=`` changed; hostile account names are text.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from clipper.logic.weblink import LinkScope, expiry, link_query

from .conftest import write_config
from .support.cli import WITHOUT_SLACK, clipper_running, clipper_serving, run_clipper, wait_until
from .support.health import free_port

# read when the module loads: the autouse fixture scrubs CLIPPER_* from each test's environment
CHROMIUM = os.environ.get("CLIPPER_CHROMIUM") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CLIPPER_CHROMEDRIVER") or "/usr/bin/chromedriver"

SCRIPT_NAME = "<script>window.pwned = 1; alert(1)</script> Corp"
IMG_NAME = '"><img src=x onerror="window.pwned = 2; alert(2)"> Ltd'
ACCOUNTS: list[dict[str, Any]] = [
    {"name": "Acme Robotics", "owner": "dana@example.com"},
    {"name": SCRIPT_NAME, "owner": "dana@example.com"},
    {"name": "Helix Components", "owner": "sam@example.com"},
    {"name": IMG_NAME, "owner": "sam@example.com"},
    {"name": "Orphan Ltd"},
]
REPS = [
    {"email": "dana@example.com", "name": "Dana Lee"},
    {"email": "sam@example.com", "name": "Sam Ortiz"},
    {"email": "max@example.com", "name": "Max", "role": "manager"},
]


@dataclass
class Site:
    config: Path
    base: str
    secret_file: Path

    def link(self, *args: str) -> str:
        """A link from ``clipper report link``, pointed at the running server."""
        result = run_clipper(self.config, "report", "link", *args)
        assert result.returncode == 0, result.stderr
        url = result.stdout.strip()
        assert url.startswith("http://127.0.0.1:3000/report?"), url  # slack.port by default
        return self.base + url.removeprefix("http://127.0.0.1:3000")


def _import_touches(root: Path, config: Path) -> None:
    now = datetime.now(UTC)

    def day(back: int) -> str:
        return (now - timedelta(days=back)).date().isoformat()

    export = root / "tasks.csv"
    with export.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Id", "Subject", "ActivityDate", "Account.Name", "Owner.Email", "Type"])
        writer.writerow(["T1", "Call", day(2), "Acme Robotics", "dana@example.com", "Call"])
        writer.writerow(["T2", "Mail", day(40), "Acme Robotics", "dana@example.com", "Email"])
        writer.writerow(["T3", "Visit", day(3), "Helix Components", "sam@example.com", "Meeting"])
        writer.writerow(["T4", "Call", day(120), IMG_NAME, "sam@example.com", "Call"])
    result = run_clipper(config, "touches", "import", str(export))
    assert result.returncode == 0 and "added 4" in result.stdout, result.stdout + result.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("web")
    config = write_config(root, accounts=ACCOUNTS, reps=REPS)
    _import_touches(root, config)
    shared = {k: v for k, v in os.environ.items() if k == "CLIPPER_SHARED_DATA"}
    log = root / "serve.log"
    listening = r"on (http://127\.0\.0\.1:\d+)/report"
    with clipper_serving(config, log, listening, "the report page", env=shared) as base:
        text = log.read_text()
        # no Slack tokens: served all the same, and the startup line says so
        assert "Slack not configured" in text and "no Slack routes" in text, text
        yield Site(config, base, root / "var" / "web-secret")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    assert not missing, (
        f"{', '.join(missing)} not found: install Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver; 'make test' does it) or set "
        "CLIPPER_CHROMIUM and CLIPPER_CHROMEDRIVER"
    )
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager never downloads anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    """Wait up to 30 s; elements of the page being left go stale meanwhile."""
    return WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException])


def _rows(driver: webdriver.Chrome, table: str) -> list[list[str]]:
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in driver.find_elements(By.CSS_SELECTOR, f"table.{table} tbody tr")
    ]


def _json(site: Site, *args: str) -> dict[str, Any]:
    result = run_clipper(site.config, "report", "touches", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def _chart_loaded(driver: webdriver.Chrome) -> bool:
    return bool(
        driver.execute_script(
            "const i = document.getElementById('chart'); return i.complete && i.naturalWidth > 0"
        )
    )


def test_the_page_renders_the_numbers_of_the_json_report(
    site: Site, browser: webdriver.Chrome
) -> None:
    browser.get(site.link())
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Customer touches ")
    report = _json(site)
    reps = {row[1]: row for row in _rep_rows(browser)}
    for rep in report["reps"]:
        row = reps[rep["rep"]]
        assert row[2] == str(rep["accounts"])
        assert row[4] == f"{rep['touches_quarter']}/{rep['quarter_target']}"
        assert row[5] == f"{rep['touches_12_months']}/{rep['year_target']}"
        assert row[6] == str(rep["going_dark"])
    accounts = {row[0]: row for row in _rows(browser, "accounts")}
    assert set(accounts) == {a["account"] for a in report["accounts"]}
    for account in report["accounts"]:
        days = account["days_since_last_touch"]
        assert accounts[account["account"]][4] == ("never" if days is None else str(days))
    _wait(browser).until(_chart_loaded)  # the chart route answered with a PNG
    # touches over time: 12 months, the 4 imported touches (one 120 days ago) all counted
    months = _rows(browser, "timeline")
    assert len(months) == 12 and sum(int(m[1]) for m in months) == 4
    dark = browser.find_element(By.CSS_SELECTOR, "ul.dark-accounts").text
    assert "Orphan Ltd" in dark and IMG_NAME in dark and "Acme Robotics" not in dark


def _rep_rows(driver: webdriver.Chrome) -> list[list[str]]:
    return [r for r in _rows(driver, "reps") if r[1]]  # the team line has no email


def test_the_filters_change_the_page(site: Site, browser: webdriver.Chrome) -> None:
    browser.get(site.link())
    Select(browser.find_element(By.ID, "filter-rep")).select_by_value("sam@example.com")
    browser.find_element(By.ID, "apply").click()
    _wait(browser).until(lambda d: "Sam Ortiz" in d.find_element(By.TAG_NAME, "h1").text)
    assert {r[0] for r in _rows(browser, "accounts")} == {"Helix Components", IMG_NAME}
    assert urlsplit(browser.current_url).path == "/report"  # still signed: the form kept it

    quarter = Select(browser.find_element(By.ID, "filter-quarter"))
    previous = quarter.options[1].get_attribute("value")
    assert previous
    quarter.select_by_value(previous)
    Select(browser.find_element(By.ID, "filter-account")).select_by_value("Helix Components")
    browser.find_element(By.ID, "apply").click()
    _wait(browser).until(lambda d: previous in d.find_element(By.TAG_NAME, "h1").text)
    assert [r[0] for r in _rows(browser, "accounts")] == ["Helix Components"]
    last = _json(site, "--quarter", previous, "--rep", "sam@example.com")
    (helix,) = [a for a in last["accounts"] if a["account"] == "Helix Components"]
    row = _rows(browser, "accounts")[0]
    assert row[2] == f"{helix['touches_quarter']}/{helix['quarter_target']}"
    _wait(browser).until(_chart_loaded)

    # an unknown quarter is a clear 400 page, not a traceback
    url = site.link() + "&" + urlencode({"quarter": "2031Q9"})
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 400 and "2031Q9" in answer.text
    assert "Traceback" not in answer.text


def test_forged_expired_and_bare_links_are_refused(site: Site, browser: webdriver.Chrome) -> None:
    good = site.link()
    params = dict(parse_qsl(urlsplit(good).query))
    forged = {**params, "sig": ("0" if params["sig"][0] != "0" else "1") + params["sig"][1:]}
    secret = site.secret_file.read_bytes()
    assert site.secret_file.stat().st_mode & 0o777 == 0o600
    stale = expiry(datetime.now(UTC), timedelta(hours=-1))
    expired = dict(parse_qsl(link_query(secret, LinkScope.team(), stale)))
    for path in ("/report", "/report/chart.png"):
        for query, words in (
            (forged, "not valid"),
            (expired, "This link has expired; ask for a new one with /clip report."),
            ({}, "needs a signed link"),
        ):
            answer = httpx.get(f"{site.base}{path}?{urlencode(query)}", timeout=30)
            assert answer.status_code == 403, (path, query)
            assert words in answer.text and "Acme" not in answer.text
            assert answer.headers["Cache-Control"] == "no-store"
    browser.get(f"{site.base}/report?{urlencode(expired)}")
    assert "This link has expired" in browser.find_element(By.CLASS_NAME, "message").text

    answer = httpx.get(good, timeout=30)
    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_rep_link_shows_only_that_rep_s_accounts(site: Site, browser: webdriver.Chrome) -> None:
    link = site.link("--rep", "dana@example.com")
    browser.get(link)
    assert "Dana Lee" in browser.find_element(By.TAG_NAME, "h1").text
    assert {r[0] for r in _rows(browser, "accounts")} == {"Acme Robotics", SCRIPT_NAME}
    reps = Select(browser.find_element(By.ID, "filter-rep"))
    assert [o.get_attribute("value") for o in reps.options] == ["dana@example.com"]
    page = browser.page_source
    assert "Helix Components" not in page and "Sam Ortiz" not in page

    # the rep parameter changed by hand: refused, the page and the chart
    for path in ("/report", "/report/chart.png"):
        tampered = link.replace("/report?", f"{path}?") + "&rep=sam%40example.com"
        answer = httpx.get(tampered, timeout=30)
        assert answer.status_code == 403 and "Helix" not in answer.text
    # the scope changed to the team: the signature no longer fits
    widened = link.replace("scope=dana%40example.com", "scope=team")
    assert widened != link and httpx.get(widened, timeout=30).status_code == 403
    # another rep's account through the account filter: not in this report
    answer = httpx.get(link + "&account=Helix+Components", timeout=30)
    assert answer.status_code == 400 and "Helix Components" in answer.text  # only echoed
    assert "Sam Ortiz" not in answer.text


def test_hostile_account_names_are_shown_as_text(site: Site, browser: webdriver.Chrome) -> None:
    browser.get(site.link())
    _wait(browser).until(_chart_loaded)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (reading it is the check)
    assert browser.execute_script("return window.pwned === undefined") is True
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.CSS_SELECTOR, "img[src='x']") == []
    assert len(browser.find_elements(By.TAG_NAME, "img")) == 1  # the chart only
    names = {r[0] for r in _rows(browser, "accounts")}
    assert SCRIPT_NAME in names and IMG_NAME in names
    options = [
        o.get_attribute("value")
        for o in Select(browser.find_element(By.ID, "filter-account")).options
    ]
    assert SCRIPT_NAME in options and IMG_NAME in options
    # choosing the hostile account in the form round-trips it as text
    Select(browser.find_element(By.ID, "filter-account")).select_by_value(IMG_NAME)
    browser.find_element(By.ID, "apply").click()
    _wait(browser).until(lambda d: len(_rows(d, "accounts")) == 1)
    assert _rows(browser, "accounts")[0][0] == IMG_NAME
    assert browser.execute_script("return window.pwned === undefined") is True


def test_run_without_slack_serves_the_page_where_web_listen_says(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(
        tmp_path,
        accounts=ACCOUNTS[:1],
        reps=REPS,
        settings={"web": {"listen": f"127.0.0.1:{port}", "link_ttl_hours": 2}},
    )
    link = run_clipper(config, "report", "link", "--rep", "dana@example.com")
    assert link.returncode == 0, link.stderr
    # the link starts with web.listen's port, and says when it expires (2 hours from now)
    assert link.stdout.startswith(f"http://127.0.0.1:{port}/report?scope=dana%40example.com&")
    assert "dana@example.com's accounts only; it expires" in link.stderr
    log = tmp_path / "run.log"
    with clipper_running(config, "run", log=log, drop=WITHOUT_SLACK, stop_timeout=15) as process:
        wait_until(lambda: "report page" in log.read_text(), "the report page", process, log)
        assert "no Slack routes" in log.read_text(), log.read_text()
        page = httpx.get(link.stdout.strip(), timeout=30)
        assert page.status_code == 200 and "Acme Robotics" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        # no Slack: the Slack route is not there
        assert httpx.post(f"http://127.0.0.1:{port}/slack/events", timeout=10).status_code == 404


def test_the_secret_is_made_once_with_0600_and_survives_a_restart(tmp_path: Path) -> None:
    from clipper.config import load_config
    from clipper.wiring import make_clipper

    config = write_config(tmp_path, accounts=ACCOUNTS[:1], reps=REPS)
    with make_clipper(load_config(config, {})) as first:
        link = first.report_link()
    secret = tmp_path / "var" / "web-secret"
    assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_bytes()) == 32
    params = dict(parse_qsl(urlsplit(link.url).query))
    with make_clipper(load_config(config, {})) as again:  # a restart: the same secret
        assert again.check_report_link(params).scope == LinkScope.team()
    # CLIPPER_WEB_SECRET wins over the file: links made with the file no longer fit
    with make_clipper(load_config(config, {"CLIPPER_WEB_SECRET": "from-env" * 4})) as env:
        assert env.check_report_link(params).scope is None
        made = dict(parse_qsl(urlsplit(env.report_link().url).query))
        assert env.check_report_link(made).scope == LinkScope.team()


def test_a_rep_link_stops_showing_anything_once_the_rep_leaves(tmp_path: Path) -> None:
    from clipper.config import load_config
    from clipper.logic.web_report import Refusal
    from clipper.wiring import make_clipper

    config = write_config(tmp_path, accounts=ACCOUNTS[:1], reps=REPS)
    with make_clipper(load_config(config, {})) as clipper:
        link = clipper.report_link(rep="dana@example.com")
    params = dict(parse_qsl(urlsplit(link.url).query))
    write_config(tmp_path, accounts=ACCOUNTS[:1], reps=REPS[1:])  # Dana left reps.yaml
    with make_clipper(load_config(config, {})) as clipper:
        check = clipper.check_report_link(params)
        assert check.scope == LinkScope("dana@example.com")  # still signed and in time
        page = clipper.report_page(check.scope, params, link.expires_at)
    assert isinstance(page, Refusal) and "no longer in Clipper" in page.message
    assert "sam@example.com" not in page.message

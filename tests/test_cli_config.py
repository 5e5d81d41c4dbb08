"""Configuration from the command line: which profile is in effect and why, where each
setting comes from, adding a profile safely, and warnings that name the problem."""

# ruff: noqa: F811  (fixtures shared with test_cli are imported, then requested by name)
from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from mailroute_dyn.errors import ConfigurationError
from mailroute_dyn.settings.config import resolve_settings
from mailroute_dyn.settings.profiles import InsecureConfigWarning
from tests.helpers import KEY, fake, run

pytestmark = pytest.mark.usefixtures("isolated")

OTHER_KEY = "cli-other-fake-key-9876543210"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two profiles, `fake` (works with the fake server) and `wrong` (another key), in a
    private config file; no default yet."""
    path = tmp_path / "config.toml"
    path.write_text(
        "[profiles.fake]\n"
        'base_url = "https://fake.mailroute.test"\nlogin = "tester"\n'
        f'api_key = "{KEY}"\n'
        "[profiles.wrong]\n"
        'base_url = "https://fake.mailroute.test"\nlogin = "tester"\n'
        f'api_key = "{OTHER_KEY}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    return path


def test_mailroute_profile_and_default_profile_choose_the_profile(
    capsys, config, fixtures, monkeypatch
):
    base = ("--no-cache", "list", "domain", "--limit", "1")
    code, _, err = run(capsys, *base, transport=fake(fixtures))
    assert code == 2 and "no credentials" in err  # nothing chosen yet
    monkeypatch.setenv("MAILROUTE_PROFILE", "fake")
    assert run(capsys, *base, transport=fake(fixtures))[0] == 0
    code, _, err = run(capsys, "--profile", "wrong", *base, transport=fake(fixtures))
    assert code == 1 and "401" in err  # --profile wins
    monkeypatch.delenv("MAILROUTE_PROFILE")
    config.write_text('default_profile = "fake"\n' + config.read_text())
    assert run(capsys, *base, transport=fake(fixtures))[0] == 0
    monkeypatch.setenv("MAILROUTE_API_KEY", OTHER_KEY)  # the environment beats
    code, _, err = run(capsys, *base, transport=fake(fixtures))  # the default profile
    assert code == 1 and "401" in err and OTHER_KEY not in err


def test_config_shows_where_each_setting_comes_from(capsys, config, monkeypatch):
    config.write_text('default_profile = "wrong"\n' + config.read_text())
    monkeypatch.setenv("MAILROUTE_PROFILE", "fake")
    monkeypatch.setenv("MAILROUTE_LOGIN", "from-env")
    code, out, err = run(capsys, "--page-size", "7", "config")
    assert code == 0, err
    assert f"config file: {config}" in out and "(-rw-------)" in out
    assert "profiles:    fake, wrong" in out
    assert "in effect:   fake (MAILROUTE_PROFILE)" in out
    rows = {line.split()[0]: line for line in out.splitlines()[5:]}
    assert "profile 'fake' (from MAILROUTE_PROFILE)" in rows["base_url"]
    assert "profile 'fake'" in rows["login"]  # the profile beats env
    assert "(set)" in rows["api_key"] and KEY not in out + err
    assert rows["page_size"].split()[1:] == ["7", "argument"]
    assert rows["timeout"].split()[1:] == ["30.0", "default"]
    monkeypatch.delenv("MAILROUTE_PROFILE")
    code, out, _ = run(capsys, "config", "show")
    assert "in effect:   wrong (default_profile" in out
    rows = {line.split()[0]: line for line in out.splitlines()[5:]}
    assert "environment MAILROUTE_LOGIN" in rows["login"]  # env beats the default
    assert "default_profile" in rows["base_url"]


def test_config_add_writes_a_private_profile_that_works(capsys, tmp_path, fixtures, monkeypatch):
    path = tmp_path / "new" / "config.toml"
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    monkeypatch.setenv("MAILROUTE_API_KEY", KEY)
    code, out, err = run(
        capsys,
        "--url",
        "https://fake.mailroute.test",
        "--login",
        "tester",
        "config",
        "add",
        "staging",
        "--default",
    )
    assert code == 0, err
    assert out == f"added profile 'staging' (the default profile) to {path}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and KEY not in out + err
    monkeypatch.delenv("MAILROUTE_API_KEY")
    code, out, err = run(
        capsys, "--no-cache", "list", "domain", "--limit", "1", transport=fake(fixtures)
    )
    assert code == 0 and "acme-001.com" in out, err  # the default profile works
    monkeypatch.setenv("MAILROUTE_API_KEY", OTHER_KEY)
    code, _, err = run(
        capsys, "--url", "https://other.example.net", "--login", "x", "config", "add", "staging"
    )
    assert code == 2 and "--replace" in err
    assert (
        run(capsys, "--url", "https://prod.example.net", "--login", "ops", "config", "add", "prod")[
            0
        ]
        == 0
    )
    code, _, _ = run(
        capsys,
        "--url",
        "https://staging2.example.net",
        "--login",
        "ops",
        "config",
        "add",
        "staging",
        "--replace",
    )
    assert code == 0
    monkeypatch.delenv("MAILROUTE_API_KEY")
    assert resolve_settings("staging").base_url == "https://staging2.example.net"
    assert resolve_settings("prod").api_key == OTHER_KEY
    assert resolve_settings().base_url == "https://staging2.example.net"  # still default


def test_config_add_refuses_what_could_not_be_used(capsys, tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(
        capsys, "--url", "https://a.example.net", "--login", "x", "config", "add", "p"
    )
    assert code == 2 and "MAILROUTE_API_KEY" in err  # no key, no terminal
    monkeypatch.setenv("MAILROUTE_API_KEY", KEY)
    code, _, err = run(
        capsys, "--url", "http://a.example.net", "--login", "x", "config", "add", "p"
    )
    assert code == 2 and "plain http" in err
    code, _, err = run(capsys, "--login", "x", "config", "add", "bad name")
    assert code == 2 and "NAME" in err
    assert not path.exists()


def test_a_key_file_others_can_read_is_warned_about(capsys, config, fixtures):
    code, _, err = run(
        capsys, "--profile", "fake", "--no-cache", "resources", transport=fake(fixtures)
    )
    assert code == 0 and "warning" not in err
    config.chmod(0o644)
    code, out, err = run(
        capsys, "--profile", "fake", "--no-cache", "resources", transport=fake(fixtures)
    )
    assert code == 0 and out
    assert err == (
        f"warning: {config} holds an API key and other users can read it "
        f"(mode -rw-r--r--); run: chmod 600 {config}\n"
    )
    with pytest.warns(InsecureConfigWarning):
        resolve_settings("fake")


def test_unknown_settings_and_profiles_get_a_suggestion(capsys, config):
    config.write_text(config.read_text() + "[profiles.typo]\npage_sise = 5\n")
    code, _, err = run(capsys, "--profile", "typo", "resources")
    assert code == 2 and "unknown setting 'page_sise'. Did you mean 'page_size'?" in err
    code, _, err = run(capsys, "--profile", "fak", "resources")
    assert code == 2 and "Did you mean 'fake'?" in err
    with pytest.raises(ConfigurationError, match="Did you mean 'page_size'"):
        resolve_settings(pagesize=5)


# ------------------------------------------------------------ editing the file as TOML

HAND_WRITTEN = (
    "# my profiles [edited by hand]; see `mailroute-dyn config`\n"
    'default_profile = "prod"\n'
    "[profiles.fake]  # the fake server\n"
    'base_url = "https://fake.mailroute.test"  # keep this comment\n'
    'login = "tester"\n'
    f'api_key = "{KEY}"\n'
    "\n"
    "# production below\n"
    "[profiles.prod]\n"
    'base_url = "https://prod.example.net"\n'
    'login = "ops"\n'
    f'api_key = "{OTHER_KEY}"\n'
)


@pytest.mark.parametrize(
    "args",
    [
        ("config", "add", "new", "--default"),
        ("config", "add", "fake", "--replace"),
        ("config", "add", "fake", "--replace", "--default"),
    ],
)
def test_config_add_edits_a_hand_written_file_keeping_its_comments(
    capsys, tmp_path, monkeypatch, args
):
    import tomllib

    path = tmp_path / "config.toml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    path.chmod(0o600)
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    monkeypatch.setenv("MAILROUTE_API_KEY", "new-fake-key-42")
    code, out, err = run(capsys, "--url", "https://new.example.net", "--login", "x", *args)
    assert code == 0 and err == "", err
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    name = args[2]
    assert data["profiles"][name] == {
        "base_url": "https://new.example.net",
        "login": "x",
        "api_key": "new-fake-key-42",
    }
    assert data["profiles"]["prod"]["api_key"] == OTHER_KEY  # untouched
    assert data["default_profile"] == (name if "--default" in args else "prod")
    assert text.count("default_profile") == 1
    for comment in ("# my profiles [edited by hand]", "# production below"):
        assert comment in text
    if name != "fake":
        assert "# keep this comment" in text and data["profiles"]["fake"]["login"] == "tester"
    assert text.count(f"[profiles.{name}]") == 1


def test_config_add_on_a_broken_file_is_one_error_line_and_no_change(capsys, tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    broken = "[profiles.fake\nlogin = 'x'\n"
    path.write_text(broken, encoding="utf-8")
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    monkeypatch.setenv("MAILROUTE_API_KEY", "new-fake-key-42")
    for extra in ((), ("--default",), ("--replace",)):
        code, out, err = run(
            capsys,
            "--url",
            "https://new.example.net",
            "--login",
            "x",
            "config",
            "add",
            "fake",
            *extra,
        )
        assert code == 1 and out == "" and err.startswith("error: cannot read")
        assert err.count("\n") == 1 and "Traceback" not in err
    for odd in ('profiles = "not a table"\n', 'profiles = {old = {login = "x"}}\n'):
        path.write_text(odd, encoding="utf-8")
        code, _, err = run(
            capsys, "--url", "https://new.example.net", "--login", "x", "config", "add", "fake"
        )
        assert code == 1 and err.count("\n") == 1 and err.startswith("error: ")
        assert path.read_text(encoding="utf-8") == odd


@pytest.mark.parametrize(
    "original",
    [
        'profiles.old.base_url = "https://old.example.net"\nprofiles.old.login = "x"\n',
        '[profiles]\nold = { login = "x" }\n',
        'x = 1\n[profiles.old]\nlogin = "x"\n[profiles.old.sub]\na = 1\n[other]\nb = 2\n',
    ],
)
def test_config_add_changes_nothing_but_the_profile_it_adds(
    capsys, tmp_path, monkeypatch, original
):
    # dotted keys: tomlkit put `profiles.old.login` under [profiles.new], which then held
    # an unknown setting `profiles`, and profile old lost its login
    import tomllib

    path = tmp_path / "config.toml"
    path.write_text(original, encoding="utf-8")
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    monkeypatch.setenv("MAILROUTE_API_KEY", "new-fake-key-42")
    code, out, err = run(
        capsys,
        "--url",
        "https://new.example.net",
        "--login",
        "me",
        "config",
        "add",
        "new",
        "--default",
    )
    after = path.read_text(encoding="utf-8")
    if code != 0:  # refused: one error line, the file as it was
        assert code == 1 and err.count("\n") == 1 and err.startswith("error: ")
        assert after == original
        return
    expected = tomllib.loads(original)
    expected.setdefault("profiles", {})["new"] = {
        "base_url": "https://new.example.net",
        "login": "me",
        "api_key": "new-fake-key-42",
    }
    expected["default_profile"] = "new"
    assert tomllib.loads(after) == expected


def test_config_add_stores_the_key_given_with_api_key(capsys, tmp_path, monkeypatch):
    import tomllib

    path = tmp_path / "config.toml"
    monkeypatch.setenv("MAILROUTE_CONFIG", str(path))
    code, out, err = run(
        capsys,
        "--url",
        "https://new.example.net",
        "--login",
        "x",
        "--api-key",
        "given-fake-key-7",
        "config",
        "add",
        "p",
    )
    assert code == 0 and "given-fake-key-7" not in out + err
    assert tomllib.loads(path.read_text())["profiles"]["p"]["api_key"] == "given-fake-key-7"

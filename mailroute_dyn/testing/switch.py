"""The pytest plugin's switch: what `mailroute` talks to in this run (the fake, with which
data; a real server; a replay of cassettes), and one error shape for every way the
switch can be wrong.

Every failed switch (missing or refused credentials, a server that does not answer, a
URL that is no Tastypie API or has `/api/v1/` pasted into it, an unknown profile, a
fixtures folder that does not load) is a `SwitchProblem`: the cause and a hint that
fits it, shown as one `ERROR: mailroute: ...` line with exit status 4. Loaded with the
plugin: it imports the settings machinery only when the switch is used.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import MailRouteError

if TYPE_CHECKING:
    from ..client import Client
    from ..settings.config import Settings

__all__ = ["SwitchProblem", "Switch", "resolve_switch", "check_server", "SKIP_OPTION", "FAKE_URL"]

SKIP_OPTION = "--mailroute-skip-without-credentials"
FAKE_URL = "https://fake.mailroute.test"  # where the fixtures' fake answers


class SwitchProblem(NamedTuple):
    """Why the switch cannot work, what to do about it, and whether the user's opt-in
    to skipping covers it (missing or refused credentials only)."""

    cause: str
    hint: str
    credentials: bool = False

    def text(self, skip_offered: bool = True) -> str:
        tail = (
            f"; or pass {SKIP_OPTION} to skip the tests that need the server"
            if self.credentials and skip_offered
            else ""
        )
        return f"mailroute: {self.cause}. Hint: {self.hint}{tail}"


class Switch:
    """The switch as this run resolved it. `label` is empty on the fake."""

    def __init__(
        self,
        label: str = "",
        *,
        settings: Settings | None = None,
        problem: SwitchProblem | None = None,
        skip: bool = False,
        backoff: float | None = None,
        fixtures_dir: Path | None = None,
        record: bool = False,
        replay: bool = False,
    ):
        self.label = label
        self.settings = settings
        self.problem = problem
        self.skip = skip
        self.backoff = backoff
        self.fixtures_dir = fixtures_dir
        self.record = record
        self.replay = replay
        self.checked = False

    @property
    def on_fake(self) -> bool:
        return not self.label

    def fatal(self) -> SwitchProblem | None:
        """The problem that must stop the run, if any (a skippable one the user opted to
        skip does not)."""
        if self.problem is None or (self.problem.credentials and self.skip):
            return None
        return self.problem


def resolve_switch(
    url: str | None,
    profile: str | None,
    *,
    skip: bool,
    backoff: float | None,
    fixtures_dir: Path | None,
    record: bool,
    replay: bool,
) -> Switch:
    """The switch from the options and ini keys (already read); never raises."""
    switch = Switch(skip=skip, backoff=backoff, fixtures_dir=fixtures_dir)
    if replay:
        switch.label, switch.replay = "replay of recorded cassettes", True
        return switch
    if not url and not profile:
        return switch
    switch.label, switch.record = url or f"profile {profile}", record
    settings, problem = _settings(url, profile, switch.label, backoff)
    if settings is not None and problem is None:
        problem = _api_path_in_url(settings)
    switch.settings = settings if problem is None else None
    switch.problem = problem
    return switch


def _settings(
    url: str | None, profile: str | None, label: str, backoff: float | None
) -> tuple[Settings | None, SwitchProblem | None]:
    from ..settings.config import ProfileNotUsedWarning, resolve_settings

    try:
        # the environment and the profile give the credentials, never as text in the
        # plugin's hands; a default_profile bound to another server is left out
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ProfileNotUsedWarning)
            settings = resolve_settings(profile, base_url=url, backoff=backoff, cache_dir=None)
    except MailRouteError as exc:
        where = (
            "check --mailroute-profile / the ini key mailroute_profile against the "
            "profiles `mailroute-dyn config` shows"
            if profile and not url
            else "check --mailroute-url / the ini key mailroute_url (and the profile, if "
            "one is named)"
        )
        return None, SwitchProblem(f"{label}: {exc}", where)
    unused = [str(w.message) for w in caught if issubclass(w.category, ProfileNotUsedWarning)]
    for other in caught:  # the rest (a key file others can read) as usual
        if not issubclass(other.category, ProfileNotUsedWarning):
            warnings.warn(other.message, stacklevel=1)
    if settings.credentials is None:
        hint = (
            "set MAILROUTE_LOGIN and MAILROUTE_API_KEY (or MAILROUTE_AUTH and its "
            "secrets)"
            + (f", or give profile {profile!r} a login and api_key" if profile else "")
            + "".join(f"; {u}" for u in unused)
        )
        return None, SwitchProblem(f"{label} needs credentials", hint, credentials=True)
    return settings, None


def _api_path_in_url(settings: Settings) -> SwitchProblem | None:
    """`https://host/api/v1/` given as the server: every request would go to
    `/api/v1/api/v1/...` and fail with a 404 that says nothing of why."""
    from urllib.parse import urlsplit

    path = urlsplit(settings.base_url).path.rstrip("/")
    api = settings.api_path.rstrip("/")
    if not api or not path.endswith(api):
        return None
    root = settings.base_url.rstrip("/")[: -len(api)] or settings.base_url
    return SwitchProblem(
        f"{settings.base_url} ends with the API path {settings.api_path}",
        f"give the server's root instead: --mailroute-url {root}",
    )


def check_server(client: Client, label: str) -> SwitchProblem | None:
    """One request that needs the key (the listing, then one schema): why the server
    cannot serve the tests, or None."""
    from ..errors import Forbidden, NotFound, ResponseError, TransportError, Unauthorized

    api_path = client.settings.api_path
    try:
        listing = client.request("GET", api_path)
        if not isinstance(listing, dict):
            raise ResponseError(f"{api_path} answered no resource listing")
        name = next(iter(listing), None)
        if name is not None:
            client.request("GET", f"{api_path}{name}/schema/")
    except (Unauthorized, Forbidden) as exc:
        return SwitchProblem(
            f"{label} refused the credentials: {exc}",
            "check that MAILROUTE_LOGIN and MAILROUTE_API_KEY (or the "
            "profile's login and key) are this server's",
            credentials=True,
        )
    except TransportError as exc:
        return SwitchProblem(
            f"{label} did not answer: {exc}",
            "is the server up, and are the scheme, host and port right?",
        )
    except (NotFound, ResponseError) as exc:
        return SwitchProblem(
            f"{label} serves no Tastypie API at {api_path}: {exc}",
            "give the server's root URL (the API path is "
            f"{api_path}; a profile's api_path changes it)",
        )
    except MailRouteError as exc:
        return SwitchProblem(
            f"{label} failed the first request: {exc}", "look at the server's log for this request"
        )
    return None

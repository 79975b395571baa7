"""The actor of a request, from its client class and how that client behaves right now.

Declared crawlers are ``crawler``, mail link scanners ``scanner``, scripts and headless
browsers ``automated``. A browser or app becomes ``automated`` while, over a sliding
minute, it sends too many non-asset requests, posts to the login too often, or loads
many pages but never an asset. State is per anonymous client key and serialisable, so
a restart from a checkpoint decides exactly as an uninterrupted run would.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.weblog.options import WeblogOptions
from store.schema import AUTOMATED, CRAWLER, HUMAN, SCANNER

# the actor of a client class whatever it does (the other classes, browser and app, by behaviour)
FIXED_ACTORS = {"crawler": CRAWLER, "search_crawler": CRAWLER, "mail_scanner": SCANNER,
                "script": AUTOMATED, "headless": AUTOMATED}
WINDOW = 60  # seconds: the sliding minute


@dataclass(slots=True)
class ClientMinutes:
    """One client's counts in its current minute (``window``) and in the minute before (``prev_*``)."""

    window: int
    requests: int = 0      # non-asset requests
    pages: int = 0
    assets: int = 0
    logins: int = 0        # login posts
    prev_requests: int = 0
    prev_pages: int = 0
    prev_assets: int = 0
    prev_logins: int = 0

    def row(self) -> list[int]:
        """The fields in order (the numpy walk in ``actors`` and checkpoints read them so)."""
        return [self.window, self.requests, self.pages, self.assets, self.logins, self.prev_requests,
                self.prev_pages, self.prev_assets, self.prev_logins]

    def move_to(self, win: int) -> None:
        """Start minute ``win``: the current minute becomes the previous one if ``win`` follows it."""
        if win == self.window + 1:
            self.prev_requests, self.prev_pages, self.prev_assets, self.prev_logins = \
                self.requests, self.pages, self.assets, self.logins
        else:
            self.prev_requests = self.prev_pages = self.prev_assets = self.prev_logins = 0
        self.window = win
        self.requests = self.pages = self.assets = self.logins = 0


class ActorTracker:
    def __init__(self, options: WeblogOptions) -> None:
        self.rate = options.rate_limit_per_minute
        self.logins = options.login_posts_per_minute
        self.bare_pages = options.pages_without_assets
        self.clients: dict[int, ClientMinutes] = {}
        self.pruned_at = -1  # the ``now`` of the last prune

    def actor(self, key: int, ts: int, client: str, asset: bool, page: bool, login_post: bool) -> str:
        fixed = FIXED_ACTORS.get(client)
        if fixed is not None:
            return fixed
        win = ts // WINDOW
        e = self.clients.get(key)
        if e is None:
            e = self.clients[key] = ClientMinutes(win)
        elif win > e.window:
            e.move_to(win)
        if asset:
            e.assets += 1
        else:
            e.requests += 1
            if page:
                e.pages += 1
            if login_post:
                e.logins += 1
        carry = 1.0 - (ts % WINDOW) / WINDOW
        if e.requests + e.prev_requests * carry > self.rate or e.logins + e.prev_logins * carry >= self.logins:
            return AUTOMATED
        if client == "browser" and e.pages + e.prev_pages >= self.bare_pages and e.assets + e.prev_assets == 0:
            return AUTOMATED
        return HUMAN

    def prune(self, now: int) -> None:
        """Forget clients not seen for two windows."""
        self.pruned_at = max(self.pruned_at, now)
        oldest = now // WINDOW - 1
        for key in [k for k, e in self.clients.items() if e.window < oldest]:
            del self.clients[key]

    def state(self) -> dict:
        return {str(k): v.row() for k, v in self.clients.items()}

    def load(self, data: dict) -> None:
        self.clients = {int(k): ClientMinutes(*v) for k, v in data.items()}

"""The actor of a request, from its client class and how that client behaves right now.

Declared crawlers are ``crawler``, mail link scanners ``scanner``, scripts and headless
browsers ``automated``. A browser or app becomes ``automated`` while, over a sliding
minute, it sends too many non-asset requests, posts to the login too often, or loads
many pages but never an asset. State is per anonymous client key and serialisable, so
a restart from a checkpoint decides exactly as an uninterrupted run would.
"""

from __future__ import annotations

from collectors.weblog.options import WeblogOptions
from store.schema import AUTOMATED, CRAWLER, HUMAN, SCANNER

# the actor of a client class whatever it does (the other classes, browser and app, by behaviour)
FIXED_ACTORS = {"crawler": CRAWLER, "search_crawler": CRAWLER, "mail_scanner": SCANNER,
                "script": AUTOMATED, "headless": AUTOMATED}
WINDOW = 60  # seconds: the sliding minute


class ActorTracker:
    def __init__(self, options: WeblogOptions) -> None:
        self.rate = options.rate_limit_per_minute
        self.logins = options.login_posts_per_minute
        self.bare_pages = options.pages_without_assets
        # key -> [window, req, pages, assets, logins, prev_req, prev_pages, prev_assets, prev_logins]
        self.clients: dict[int, list[int]] = {}
        self.pruned_at = -1  # the ``now`` of the last prune

    def actor(self, key: int, ts: int, client: str, asset: bool, page: bool, login_post: bool) -> str:
        fixed = FIXED_ACTORS.get(client)
        if fixed is not None:
            return fixed
        win = ts // WINDOW
        e = self.clients.get(key)
        if e is None:
            e = self.clients[key] = [win, 0, 0, 0, 0, 0, 0, 0, 0]
        elif win != e[0]:
            if win == e[0] + 1:
                e[5:9] = e[1:5]
            elif win > e[0]:
                e[5:9] = (0, 0, 0, 0)
            if win > e[0]:
                e[0] = win
                e[1:5] = (0, 0, 0, 0)
        if asset:
            e[3] += 1
        else:
            e[1] += 1
            if page:
                e[2] += 1
            if login_post:
                e[4] += 1
        carry = 1.0 - (ts % WINDOW) / WINDOW
        if e[1] + e[5] * carry > self.rate or e[4] + e[8] * carry >= self.logins:
            return AUTOMATED
        if client == "browser" and e[2] + e[6] >= self.bare_pages and e[3] + e[7] == 0:
            return AUTOMATED
        return HUMAN

    def prune(self, now: int) -> None:
        """Forget clients not seen for two windows."""
        self.pruned_at = max(self.pruned_at, now)
        oldest = now // WINDOW - 1
        for key in [k for k, e in self.clients.items() if e[0] < oldest]:
            del self.clients[key]

    def state(self) -> dict:
        return {str(k): v for k, v in self.clients.items()}

    def load(self, data: dict) -> None:
        self.clients = {int(k): list(v) for k, v in data.items()}

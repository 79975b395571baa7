"""Backfill of combined logs a block at a time: parse with Arrow, enrich distinct values once, aggregate by group.

The per-line path (``WeblogPipeline.feed``) is what the live tail runs; a backfill reads
millions of lines, so here a block of whole lines (``feed_block``) is split by Arrow
kernels, and every step that is a pure function of a value (timestamp, request line,
address, user agent, referrer, target) runs once per *distinct* value, with the result
mapped back to the lines by dictionary index. The order-dependent steps (late lines,
buckets, actors, campaign admission) follow the lines in order, so the buckets written
are the very ones the per-line path writes. Lines that do not have the plain shape
(``ip - - [time] "request" status size "referer" "agent"``, no backslash, no Unicode
whitespace) are parsed by the per-line parser, so every malformed-line reason is the same.
Raw addresses and agents stay in the block's arrays; only the pipeline's anonymous
outputs reach a bucket.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.weblog.actors import actors_in_order
from collectors.weblog.aggregate import Bucket
from collectors.weblog.arrowlines import (
    _DIGITS,
    _HEAD,
    _MIDDLE,
    _Codes,
    _dict,
    _np,
    _odd_or_too_long,
    _or,
    _valid_lines,
    groups,
)
from collectors.weblog.attribution import PAGE_GROUPS
from collectors.weblog.behaviour import FIXED_ACTORS
from collectors.weblog.clf import parse_clf
from collectors.weblog.fill import BucketFill
from collectors.weblog.formats import MAX_LINE
from collectors.weblog.pipeline import METHOD_CLASS, SAMPLES_PER_REASON, STATUS_CLASS, WeblogPipeline
from collectors.weblog.privacy import redact
from collectors.weblog.reasons import Reason
from collectors.weblog.record import LogRecord, request_of
from collectors.weblog.referrer import referrer_class
from collectors.weblog.timestamps import parse_time_local
from store.base import BUCKET_SECONDS
from store.schema import HUMAN, NONE, OTHER


# characters Python's ``\s`` matches but RE2's does not, and the backslash (escaped quotes)
class ColumnarFeeder(BucketFill):
    """Feeds blocks of combined-log lines into a ``WeblogPipeline``'s buckets."""

    def __init__(self, pipe: WeblogPipeline) -> None:
        self.pipe = pipe
        self.tags = _Codes()      # every tag value (country, client, actor, ...) as one code space
        self.keys = _Codes()      # (method, target) pairs of the block

    # -- parse ----------------------------------------------------------------------------------
    def feed_block(self, data: bytes) -> int:
        """Process whole lines (``data`` ends at a newline or at the end of the input); returns lines read."""
        if not data:
            return 0
        lines, data, bad_utf8 = _valid_lines(data)
        n = len(lines)
        self.keys = _Codes()
        if len(self.tags.values) > 200_000:  # a long live tail: the codes of tags no longer seen go
            self.tags = _Codes()
        if not self.pipe.combined_shape():
            return self._parse_lines(lines, bad_utf8)
        parts = pc.split_pattern(lines, '"')
        nparts = _np(pc.list_value_length(parts))
        # behind trusted proxies a quoted field after the agent may be X-Forwarded-For: such lines go per line
        ok = nparts == 7 if self.pipe._clients.enabled else nparts >= 7
        ok &= ~_odd_or_too_long(lines, data)
        if bad_utf8 is not None:
            ok &= ~bad_utf8
        idx_ok = np.flatnonzero(ok)
        sub = parts.take(pa.array(idx_ok))
        head, middle = pc.list_element(sub, 0), pc.list_element(sub, 2)
        shape = (_np(pc.match_substring_regex(head, _HEAD)) & _np(pc.match_substring_regex(middle, _MIDDLE))
                 & _np(pc.equal(pc.list_element(sub, 4), " ")))
        # only lines whose middle is " status size " are split there (any other would lack a third piece)
        sel = pa.array(np.flatnonzero(shape), pa.int64())
        head, middle, sub = head.take(sel), middle.take(sel), sub.take(sel)
        mid = pc.split_pattern(middle, " ")
        size_text = pc.list_element(mid, 2)
        digits = _np(pc.match_substring_regex(size_text, _DIGITS)).astype(bool)
        fast = idx_ok[np.flatnonzero(shape)[digits]]
        sel = pa.array(np.flatnonzero(digits), pa.int64())
        head, mid, size_text, sub = head.take(sel), mid.take(sel), size_text.take(sel), sub.take(sel)
        is_fast = np.zeros(n, bool)
        is_fast[fast] = True
        slow = np.flatnonzero(~is_fast)

        # per-line columns over the whole block; -1 = not a record
        reason = np.full(n, -1, np.int64)     # index into _REASONS for lines that are not records
        ts = np.zeros(n, np.int64)
        req = np.full(n, -1, np.int64)        # code of (method, target)
        status = np.zeros(n, np.int64)
        size = np.zeros(n, np.int64)
        addr = np.full(n, -1, np.int64)
        agent = np.full(n, -1, np.int64)
        referer = np.full(n, -1, np.int64)
        addr_codes, ua_codes, ref_codes = _Codes(), _Codes(), _Codes()

        if len(fast):
            hp = pc.split_pattern(head, " ", max_splits=3)
            when = pc.utf8_slice_codeunits(pc.list_element(hp, 3), 1, -2)
            wi, wv = _dict(when)
            wts = np.array([_or(parse_time_local(w), -1) for w in wv], np.int64)
            ri, rv = _dict(pc.list_element(sub, 1))
            rcode = np.array([self._request(r) for r in rv], np.int64)
            si, sv = _dict(pc.list_element(mid, 1))
            scode = np.array([int(s) if len(s) == 3 and s.isdigit() else -1 for s in sv], np.int64)
            t, r, s = wts[wi], rcode[ri], scode[si]
            bad = np.where(t < 0, _R[Reason.BAD_TIMESTAMP], np.where(r < 0, _R[Reason.BAD_REQUEST],
                                                                       np.where(s < 0, _R[Reason.BAD_STATUS], -1)))
            reason[fast] = bad
            ts[fast], req[fast], status[fast] = t, r, s
            size[fast] = _np(pc.cast(size_text, pa.int64()))
            ai, av = _dict(pc.list_element(hp, 0))
            addr[fast] = addr_codes.many(av)[ai]
            ui, uv = _dict(pc.list_element(sub, 5))
            agent[fast] = ua_codes.many(["" if u == "-" else u for u in uv])[ui]
            fi, fv = _dict(pc.list_element(sub, 3))
            referer[fast] = ref_codes.many(["" if f == "-" else f for f in fv])[fi]
        self._parse_slow(lines, slow, bad_utf8, reason, ts, status, size, req, addr, agent, referer,
                         addr_codes, ua_codes, ref_codes)
        self._aggregate(n, lines, reason, ts, req, status, size, addr, agent, referer,
                        addr_codes.values, ua_codes.values, ref_codes.values)
        return n

    def _parse_lines(self, lines: pa.StringArray, bad_utf8: np.ndarray | None) -> int:
        """A block in a format the block parser does not split: every line through the format's parser."""
        n = len(lines)
        reason = np.full(n, -1, np.int64)
        ts, status, size = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
        req, addr, agent, referer = (np.full(n, -1, np.int64) for _ in range(4))
        addr_codes, ua_codes, ref_codes = _Codes(), _Codes(), _Codes()
        self._parse_slow(lines, np.arange(n), bad_utf8, reason, ts, status, size, req, addr, agent, referer,
                         addr_codes, ua_codes, ref_codes)
        self._aggregate(n, lines, reason, ts, req, status, size, addr, agent, referer,
                        addr_codes.values, ua_codes.values, ref_codes.values)
        return n

    def _parse_slow(self, lines: pa.StringArray, slow: np.ndarray, bad_utf8: np.ndarray | None,
                    reason: np.ndarray, ts: np.ndarray, status: np.ndarray, size: np.ndarray, req: np.ndarray,
                    addr: np.ndarray, agent: np.ndarray, referer: np.ndarray, addr_codes: _Codes,
                    ua_codes: _Codes, ref_codes: _Codes) -> None:
        texts = lines.take(pa.array(slow, pa.int64())).to_pylist() if len(slow) else []
        parse, clients = self.pipe._parser or parse_clf, self.pipe._clients
        for i, line in zip(slow.tolist(), texts, strict=True):
            if bad_utf8 is not None and bad_utf8[i]:
                reason[i] = _R[Reason.BAD_ENCODING]
                continue
            rec = Reason.TOO_LONG if len(line) > MAX_LINE else parse(line)
            if type(rec) is not LogRecord:
                reason[i] = _R[rec]
                continue
            ts[i], status[i], size[i] = rec.ts, rec.status, rec.size
            req[i] = self.keys.code((rec.method, rec.target))
            peer = clients.resolve(rec.remote, rec.xff, rec.cfip) if clients.enabled else rec.remote
            addr[i], agent[i] = addr_codes.code(peer), ua_codes.code(rec.ua)
            referer[i] = ref_codes.code(rec.referer)

    def _request(self, request: str) -> int:
        return self.keys.code(request_of(request))

    # -- order-dependent steps and aggregation ------------------------------------------------
    def _aggregate(self, n: int, lines: pa.StringArray, reason: np.ndarray, ts: np.ndarray,
                   req: np.ndarray, status: np.ndarray, size: np.ndarray, addr: np.ndarray, agent: np.ndarray,
                   referer: np.ndarray, addrs: list[str], uas: list[str], refs: list[str]) -> None:
        pipe = self.pipe
        rec = reason < 0
        start = ts - ts % BUCKET_SECONDS
        newest0, closed0, window = pipe.newest, pipe.closed_before, pipe._window
        g = np.maximum.accumulate(np.where(rec, start, -1))
        g = np.maximum(g, newest0)                                  # newest bucket after each line
        g_before = np.concatenate(([newest0], g[:-1]))
        closed = np.where(g_before >= 0, np.maximum(closed0, g_before - window), closed0)
        late = rec & (start < closed)
        live = rec & ~late
        # who: (address, agent) pairs enriched once each
        pair = np.where(live, addr * max(1, len(uas)) + agent, -1)
        upairs, pinv = np.unique(pair[live], return_inverse=True)
        who = [pipe._who.get((addrs[p // max(1, len(uas))], uas[p % max(1, len(uas))]), False) for p in upairs.tolist()]
        who = [w if w is not False else pipe._enrich_client(addrs[p // max(1, len(uas))], uas[p % max(1, len(uas))])
               for w, p in zip(who, upairs.tolist(), strict=True)]
        pbad = np.array([w is None for w in who], bool)
        bad_addr = np.zeros(n, bool)
        live_idx = np.flatnonzero(live)
        bad_addr[live_idx[pbad[pinv]]] = True
        reason[late] = _R[Reason.LATE]
        reason[bad_addr] = _R[Reason.BAD_ADDRESS]
        # the first bucket opened takes the counts of the lines read before it
        g = np.where(g < 0, int(g[int(np.argmax(rec))]) if rec.any() else -1, g)
        if rec.any():
            self._bucket(int(g[int(np.argmax(rec))]))
        self._count_reasons(reason, g, lines)
        ok = live & ~bad_addr
        idx = np.flatnonzero(ok)
        pipe.stats.parsed += len(idx)
        pipe.stats.lines += n
        if len(idx) == 0:
            self._close(g[-1], newest0)
            return
        self._enrich_and_fill(idx, g, start, ts, req, status, size, addr, agent, referer, who, pinv[~pbad[pinv]],
                              addrs, uas, refs)
        self._close(g[-1], newest0)

    def _enrich_and_fill(self, idx: np.ndarray, g: np.ndarray, start: np.ndarray, ts: np.ndarray, req: np.ndarray,
                         status: np.ndarray, size: np.ndarray, addr: np.ndarray, agent: np.ndarray,
                         referer: np.ndarray, who: list, who_ok: np.ndarray, addrs: list[str], uas: list[str],
                         refs: list[str]) -> None:
        """The lines ``idx`` (requests, neither late nor of a bad address): enriched, given actors, aggregated."""
        pipe = self.pipe
        tags = self.tags
        W = [(tags.code(w[0]), tags.code(w[1]), tags.code((w[4], w[2])), 1 if w[3] else 0, tags.code(w[5]))
             if w is not None else (0, 0, 0, 0, 0) for w in who]
        warr = np.array(W, np.int64).reshape(-1, 5)[who_ok]
        country, client, net, dc, family = warr.T
        # targets: path group, campaign, e-mail medium per distinct (method, target)
        r = req[idx]
        ureq, rinv = np.unique(r, return_inverse=True)
        tinfo = [pipe._targets.get(self.keys.values[k][::-1]) or pipe._enrich_target(self.keys.values[k][1],
                                                                                      self.keys.values[k][0])
                 for k in ureq.tolist()]
        group = np.array([tags.code(t[0]) for t in tinfo], np.int64)[rinv]
        email_med = np.array([t[2] for t in tinfo], bool)[rinv]
        campaign = [t[1] for t in tinfo]
        meth = np.array([tags.code(METHOD_CLASS.get(self.keys.values[k][0], OTHER)) for k in ureq.tolist()],
                        np.int64)[rinv]
        # campaign admission follows the lines in order
        utm = np.full(len(idx), tags.code(NONE), np.int64)
        has_c = np.flatnonzero(np.array([c is not None for c in campaign], bool)[rinv])
        folder_tag = pipe._folder.tag
        for j in has_c.tolist():
            utm[j] = tags.code(folder_tag(campaign[rinv[j]]))
        # referrer class per distinct referer, e-mail medium without a referrer counts as e-mail
        fu, finv = np.unique(referer[idx], return_inverse=True)
        own = pipe._own
        ref = np.array([tags.code(referrer_class(refs[f], own)) for f in fu.tolist()], np.int64)[finv]
        ref = np.where(email_med & (ref == tags.code("direct")), tags.code("email"), ref)
        st = status[idx]
        classes = np.array([tags.code(STATUS_CLASS.get(c, "5xx")) for c in range(10)], np.int64)
        sclass = classes[np.minimum(st // 100, 9)]
        # anonymous ids per distinct (address, day) and (address, agent, day)
        lts = ts[idx]
        day = lts // 86_400
        ids = pipe._ids
        a = addr[idx]
        first, inv = groups(a, day)
        key = np.array([ids.client_key(addrs[x], d) for x, d in zip(a[first].tolist(), day[first].tolist(),
                                                                   strict=True)], np.int64)[inv]
        ag = agent[idx]
        first, inv = groups(a, ag, day)
        vid = np.array([ids.visitor(addrs[x], uas[u], d) for x, u, d in zip(a[first].tolist(), ag[first].tolist(),
                                                                         day[first].tolist(), strict=True)],
                       np.int64)[inv]
        # actors: fixed by client class, or by behaviour, line by line in order
        g_ok = g[idx]
        is_asset = group == tags.code("asset")
        is_page = np.isin(group, [tags.code("page"), tags.code("conversion"), tags.code("checkout")])
        login_post = (group == tags.code("login")) & (meth == tags.code("POST"))
        actor = actors_in_order(pipe._tracker, tags, client, key, lts, g_ok, is_asset, is_page, login_post,
                                FIXED_ACTORS)
        auth_fail = (st == 401) | (st == 403)
        conv = group == tags.code("conversion")
        vis_flags = {"pages": is_page, "assets": is_asset & ~is_page, "login_posts": login_post,
                     "auth_failures": auth_fail, "conversions": conv, "datacenter": dc.astype(bool)}
        net_flags = {"login_posts": login_post, "auth_failures": auth_fail, "automated": actor != tags.code(HUMAN)}
        self._fill(start[idx], [country, client, actor, ref, group, sclass, meth, utm], size[idx], actor,
                   vis_flags, net_flags, key, vid, family, net)
        self._attribute(actor, lts, vid, group, rinv, tinfo, ref, country, st)

    def _attribute(self, actor: np.ndarray, ts: np.ndarray, vid: np.ndarray, group: np.ndarray,
                   rinv: np.ndarray, tinfo: list[tuple], ref: np.ndarray, country: np.ndarray,
                   status: np.ndarray) -> None:
        """People's page requests, in line order, to the visits of ``pipe.attribution``."""
        tags = self.tags
        pages = np.isin(group, [tags.code(g) for g in PAGE_GROUPS])
        rows = np.flatnonzero((actor == tags.code(HUMAN)) & pages)
        if not len(rows):
            return
        add, tv = self.pipe.attribution.add, tags.values
        bucket = ts - ts % BUCKET_SECONDS
        for t, b, v, r, f, c, s in zip(ts[rows].tolist(), bucket[rows].tolist(), vid[rows].tolist(),
                                          rinv[rows].tolist(), ref[rows].tolist(), country[rows].tolist(),
                                          status[rows].tolist(), strict=True):
            info = tinfo[r]
            add(t, b, v, info[0], info[3], info[1], tv[f], tv[c], s)

    def _count_reasons(self, reason: np.ndarray, g: np.ndarray, lines: pa.StringArray) -> None:
        pipe = self.pipe
        st = pipe.stats
        for i in np.flatnonzero(reason >= 0).tolist():
            r = _REASONS[reason[i]]
            where = int(g[i])
            if where < 0:
                pipe._orphans[r] = pipe._orphans.get(r, 0) + 1
            else:
                self._bucket(where).count(r)
            if r == Reason.LATE:
                st.late += 1
                continue
            if r == Reason.COMMENT:
                st.comments += 1
                continue
            st.malformed[r] = st.malformed.get(r, 0) + 1
            if r == Reason.EMPTY:
                continue
            samples = st.samples.setdefault(r, [])
            if len(samples) < SAMPLES_PER_REASON:
                samples.append(redact(lines[i].as_py().rstrip("\r\n")))

    def _bucket(self, start: int) -> Bucket:
        pipe = self.pipe
        b = pipe.buckets.get(start)
        if b is None:
            b = pipe.buckets[start] = Bucket(start)
            if pipe._orphans:
                for r, k in pipe._orphans.items():
                    b.count(r, k)
                pipe._orphans = {}
        return b

    def _close(self, newest: int, newest0: int) -> None:
        """Close what the newest line closed, as ``WeblogPipeline._advance`` does line by line."""
        pipe = self.pipe
        newest = int(newest)
        if newest <= newest0:
            return
        pipe.newest = newest
        limit = newest - pipe._window
        if limit > pipe.closed_before:
            pipe.closed_before = limit
            for s in sorted(k for k in pipe.buckets if k < limit):
                pipe.pending.append(pipe.buckets.pop(s))
            pipe._tracker.prune(newest)
            if len(pipe.pending) >= 30:
                pipe.write_closed()


_POOL = pa.default_memory_pool()
_REASONS = list(Reason)
_R = {r: i for i, r in enumerate(_REASONS)}

"""The Sources page's query functions and chart, without Streamlit: status rows in, frames and a chart out."""

from __future__ import annotations

from pathlib import Path

from pages.sources_charts import rate_sparkline
from pages.sources_queries import collectors_frame, files_frame, rate_frame, reasons_frame, sources_report
from store import collector_status as cs
from store.state import StateDB

NOW = 1_800_000_005.0


def _gaps(n: int, gap: float) -> dict:
    hist = None
    for i in range(n):
        hist = cs.record_gap(hist, gap, NOW - 3600 + i)
    return hist


def _state(tmp_path: Path) -> StateDB:
    state = StateDB(tmp_path / "state.db")
    rate = cs.add_rate(cs.add_rate(None, NOW - 30, 120), NOW - 20, 60)
    cs.put_status(state, "accesslog:web1", "accesslog", {
        "site": "shop", "last_data_at": NOW - 20, "newest_data": NOW - 25, "gaps": _gaps(40, 2.0), "rate": rate,
        "unit": "lines", "lines": 185, "parsed": 180, "late": 2, "malformed": {"no_match": 3},
        "samples": {"no_match": ["81.2.69.0/24 - - [x] \"GET /a\" <user-agent>"]},
        "files": [{"path": "/var/log/nginx/access.log", "offset": 1000, "size": 1500, "problem": None}]}, NOW)
    cs.put_status(state, "accesslog:web2", "accesslog", {
        "site": "shop", "last_data_at": NOW - 900, "gaps": _gaps(40, 2.0), "unit": "lines",
        "files": [{"path": "/var/log/other.log", "offset": 0, "size": None, "problem": "does not exist yet"}]}, NOW)
    cs.put_status(state, "cdn:cloudflare", "cdn", {"unit": "points", "problems": ["401 from the API"]}, NOW)
    return state


def test_collectors_come_stale_first_with_their_state_rate_and_counts(tmp_path: Path) -> None:
    report = sources_report(_state(tmp_path), NOW)
    df = collectors_frame(report, NOW, "UTC")
    assert list(df["collector"]) == ["accesslog:web2", "cdn:cloudflare", "accesslog:web1"]
    assert list(df["state"]) == ["stale", "no data yet", "ok"]
    web1 = df.iloc[2]
    assert web1["per second"] == 3.0 and web1["malformed"] == 3 and web1["late"] == 2 and web1["lag"] == "25 s"
    assert len(web1["last 15 min"]) == cs.RATE_SLOTS and web1["last 15 min"][-4:] == [12.0, 6.0, 0.0, 0.0]


def test_reasons_files_and_the_rate_chart(tmp_path: Path) -> None:
    report = sources_report(_state(tmp_path), NOW)
    web1 = next(v for v in report["collectors"] if v["name"] == "accesslog:web1")
    reasons = reasons_frame(web1)
    assert reasons.to_dict("records") == [
        {"reason": "late", "lines": 2, "samples": ""},
        {"reason": "no_match", "lines": 3, "samples": "81.2.69.0/24 - - [x] \"GET /a\" <user-agent>"}]
    assert files_frame(web1).iloc[0]["behind (bytes)"] == 500
    web2 = next(v for v in report["collectors"] if v["name"] == "accesslog:web2")
    assert files_frame(web2).iloc[0]["problem"] == "does not exist yet"
    frame = rate_frame(web1, NOW)
    assert len(frame) == cs.RATE_SLOTS and frame["per_second"].sum() == 18.0
    spec = rate_sparkline(frame, unit="lines", tz="Europe/Paris").to_dict()
    assert spec["mark"]["type"] == "area" and spec["encoding"]["y"]["title"] == "lines/s"

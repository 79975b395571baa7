"""A campaign's results as (what, value) lines in plain words: the command's table and the page's breakdown."""

from __future__ import annotations

from capacity.plan import money
from capacity.results import Results


def rows(r: Results) -> list[tuple[str, str]]:
    """The report's lines as (what, value) in plain words; also the page's headline and cost table."""
    d = r.as_dict()
    cost, vs = d["cost"], d["forecast_vs_actual"]
    cur, spend_cur = cost["currency"], cost["spend_currency"]
    out = [("Visits from its link", f"{d['attributed']['visits']:,}"),
           ("Leads (conversions of those visits)", f"{d['attributed']['conversions']:,}"),
           ("During, not attributed", f"{d['during_not_attributed']:,}"),
           ("Over the usual", d["incremental"]["plain"])]
    if d["mailchimp"]:
        m = d["mailchimp"]
        out.append(("Mailchimp (sender's own count)", f"{m['sent']:,} sent, {m['opens']:,} opens, {m['clicks']:,} "
                                                       "clicks"))
    out += [("Spend", money(cost["spend"], spend_cur)),
            ("Extra instance-hours", "–" if cost["extra_instance_hours"] is None else
             f"{cost['extra_instance_hours']:,.2f} ({cost['instances_from']})"),
            ("Instance cost", money(cost["instance_cost"], cur)),
            ("Extra CDN traffic", "–" if cost["extra_gb"] is None else f"{cost['extra_gb']:,.3f} GB "
             f"({cost['bytes_from']})"),
            ("CDN cost", money(cost["cdn_cost"], cur))]
    for k, label, c in (("spend", "Spend per lead", spend_cur), ("infrastructure", "Infrastructure per lead", cur),
                        ("total", "Total per lead", cur)):
        p = cost["per_lead"][k]
        out.append((label, f"{money(p['actual'], c, digits=3)} (forecast {money(p['forecast'], c, digits=3)})"))
    for k, label in (("peak_rps", "Peak req/s"), ("extra_requests", "Extra requests"), ("visits", "Visits"),
                     ("leads", "Leads")):
        if k in vs:
            b = vs[k]
            band = f" (forecast p10–p90 {b['p10']:,}–{b['p90']:,}: {b['within']})" if "p90" in b else ""
            out.append((f"{label}, actual", f"{b['actual']:,}{band}" if b["actual"] is not None else "–"))
    if "minutes_above_capacity" in vs:
        m = vs["minutes_above_capacity"]
        out.append(("Minutes above the fleet's capacity", f"{'–' if m is None else m} ({vs['capacity_from']})"))
    land = d["landing"]
    out.append(("Landing pages: requests, 4xx, 5xx", f"{land['requests']:,}, {land['4xx']:,}, {land['5xx']:,}"))
    return out

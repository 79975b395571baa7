"""Which past campaigns a forecast learns from, and the robust estimate it learns.

Flops, test sends and sends cancelled too late are common, and one of them learned as "0
requests per recipient" once blew a plan up to tens of thousands of instances (the log of a
near-zero size widened the spread without bound). So each past campaign is judged first
(``judge``): a send to fewer than ``MIN_LEARN_AUDIENCE`` recipients is a test send; an uplift
whose fitted peak is under ``MIN_SNR`` standard errors (of session-correlated noise), or under ``MIN_RELATIVE`` of the
baseline, cannot be told from zero (a flop); a size outside the sane range, or over
``OUTLIER_FACTOR`` × away from the others' median, is an outlier. What is left is combined
robustly (``combine``): the median size, a spread from the median absolute deviation pulled
toward the channel prior's when the campaigns are few, and bounded (p90/p50 at most
``MAX_SPREAD``). Every campaign's figure and the reason it was used or left out is evidence.
"""

from __future__ import annotations

import math

import numpy as np

from campaigns.model import Channel
from capacity.bounds import BOUNDS, MIN_LEARN_AUDIENCE
from capacity.response import BURST_MINUTES, PRIORS, Z90, Fit, Response

MIN_SNR = 8.0            # fitted peak / standard error under this: the uplift cannot be told from zero
MIN_RELATIVE = 0.05      # fitted peak under 5 % of the baseline: not a campaign the servers felt
OUTLIER_FACTOR = 20.0    # this many times from the others' median: a mis-recorded audience or mis-routed send
MAX_SPREAD = 4.0         # p90 / p50 of the size never wider than this
MIN_SPREAD = 1.5         # ... nor narrower: a new campaign is never that sure


def judge(fits: list[Fit]) -> tuple[list[Fit], list[tuple[Fit, str]]]:
    """(campaigns to learn from, [(campaign, why it is left out)])."""
    kept: list[Fit] = []
    out: list[tuple[Fit, str]] = []
    for f in fits:
        why = _flaw(f)
        if why:
            out.append((f, why))
        else:
            kept.append(f)
    if len(kept) >= 3:
        med = float(np.median([math.log(f.per_recipient) for f in kept]))
        far = [f for f in kept if abs(math.log(f.per_recipient) - med) > math.log(OUTLIER_FACTOR)]
        for f in far:
            out.append((f, f"outlier: {f.per_recipient:.3g} requests per recipient, over {OUTLIER_FACTOR:.0f}× from "
                           f"the others' median {math.exp(med):.3g} (audience mis-recorded or send mis-routed?)"))
        kept = [f for f in kept if f not in far]
    return kept, out


def _flaw(f: Fit) -> str | None:
    if f.audience < MIN_LEARN_AUDIENCE:
        return f"test send: {f.audience:,} recipients, under the {MIN_LEARN_AUDIENCE:,} a response is learned from"
    relative = f.peak_excess_rps / f.baseline_rps if f.baseline_rps > 0 else math.inf
    if f.per_recipient <= 0 or f.signal_to_noise < MIN_SNR or relative < MIN_RELATIVE:
        return (f"no measurable uplift (flop, test or cancelled send): peak +{f.peak_excess_rps:.2f} req/s over a "
                f"{f.baseline_rps:.2f} req/s baseline, {f.signal_to_noise:.1f} standard errors from zero")
    if f.per_recipient > BOUNDS["per_recipient"].high:
        return (f"implausible size: {f.per_recipient:.3g} requests per recipient (over "
                f"{BOUNDS['per_recipient'].high:g}: is its audience right?)")
    return None


def describe(f: Fit) -> str:
    """One past campaign's learned figure, as the page and ``plan`` show it."""
    return (f"{f.name} ({f.audience:,} recipients: {f.per_recipient:.3f} requests each, peak "
            f"+{f.peak_excess_rps:.1f} req/s, {min(f.signal_to_noise, 999):.0f} standard errors)")


def _spread_sd(logs: np.ndarray, prior_sd: float) -> float:
    """The log-size sd for a new campaign: robust sample sd shrunk toward the prior's, bounded."""
    n = len(logs)
    if n >= 5:  # robust to one odd campaign once there are enough; with fewer the MAD is too fragile
        sample = 1.4826 * float(np.median(np.abs(logs - np.median(logs))))
    else:
        sample = float(np.std(logs, ddof=1)) if n >= 2 else prior_sd
    sd = math.sqrt(((n - 1) * sample**2 + prior_sd**2) / n) * math.sqrt(1 + 1 / n)
    return float(np.clip(sd, math.log(MIN_SPREAD) / Z90, math.log(MAX_SPREAD) / Z90))


def combine(channel: Channel, fits: list[Fit], click_rate: float | None = None) -> Response:
    """The median curve of the past campaigns worth learning from with a p10-p90 size band, or the prior."""
    kept, left_out = judge([f for f in fits if f.audience > 0])
    dropped = [f"not learned from: {f.name}: {why}" for f, why in left_out]
    if not kept:
        r = prior_response(channel, click_rate)
        r.left_out.extend(left_out)
        r.evidence.extend(dropped)
        return r
    prior = PRIORS[channel]
    logs = np.log([f.per_recipient for f in kept])
    n = len(kept)
    sd = _spread_sd(logs, math.log(prior.spread) / Z90)
    mu = float(np.median(logs))
    lag = float(np.median([f.lag for f in kept]))
    rise = float(np.exp(np.median(np.log([f.rise for f in kept]))))
    decay = float(np.exp(np.median(np.log([f.decay for f in kept]))))
    src = f"learned from {n} past {channel.value} campaign{'s' if n > 1 else ''}"
    evidence = [f"{src}: " + "; ".join(describe(f) for f in kept[-5:]),
                f"size: median {math.exp(mu):.3f} requests per recipient, p10-p90 ×{math.exp(-Z90 * sd):.2f}–"
                f"×{math.exp(Z90 * sd):.2f} (robust spread of the past campaigns, bounded to ×{MAX_SPREAD:g})",
                f"response curve: peak {lag + rise:.0f} min after the start, decaying with a {decay:.0f}-minute "
                "time constant (median of the past campaigns' fitted curves)", *dropped]
    if click_rate is not None:
        evidence.append(f"past sends: {click_rate:.2%} clicks per recipient, so about "
                        f"{math.exp(mu) / max(click_rate, 1e-9):.0f} requests per click")
    burst = float(np.median([f.burst_per_recipient for f in kept]))
    if burst > 0:
        evidence.append(f"send burst: {burst:.4f} requests per recipient in the first {BURST_MINUTES} min "
                        "(median of the past campaigns)")
    return Response(channel, lag, rise, decay, math.exp(mu - Z90 * sd), math.exp(mu), math.exp(mu + Z90 * sd),
                    src, kept, evidence, burst, left_out)


def prior_response(channel: Channel, click_rate: float | None = None) -> Response:
    """The channel's documented default curve and size (``PRIORS``), with the words saying so."""
    prior = PRIORS[channel]
    per = prior.per_recipient if click_rate is None else click_rate * prior.requests_per_visit
    src = f"{channel.value} channel default (no past {channel.value} campaign to learn from in the store)"
    evidence = [f"response curve: {channel.value} default, peak {prior.lag + prior.rise:.0f} min after the "
                f"start, decaying with a {prior.decay:.0f}-minute time constant"]
    if click_rate is None:
        evidence.append(f"size: {prior.response:.1%} of the audience visiting, {prior.requests_per_visit:.0f} "
                        f"requests per visit (channel default), ×{prior.spread:.0f} either way")
    else:
        evidence.append(f"size: {click_rate:.2%} clicks per recipient in past sends × "
                        f"{prior.requests_per_visit:.0f} requests per visit (channel default)")
    if prior.burst:
        evidence.append(f"send burst: {prior.burst:g} requests per recipient in the first {BURST_MINUTES} min "
                        "(mail scanners, image proxies; channel default)")
    if prior.tail_share or prior.morning_share:
        evidence.append(f"long tail: {prior.tail_share:.0%} of the answer over a {prior.tail_decay / 60:.0f}-hour "
                        f"decay" + (f", {prior.morning_share:.0%} the next morning at 09:00 local"
                                    if prior.morning_share else "") + " (channel default)")
    return Response(channel, prior.lag, prior.rise, prior.decay, per / prior.spread, per, per * prior.spread, src,
                    [], evidence, prior.burst * per / prior.per_recipient, [], prior.tail_share, prior.tail_decay,
                    prior.morning_share)

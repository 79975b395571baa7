"""User-agent strings for simulated clients: hundreds of real-looking browsers, apps, bots and scanners.

Browser strings follow the real formats of Chrome, Firefox, Safari, Edge and Samsung Internet on
Windows, macOS, Linux, Android and iOS with varying versions and devices; popularity is skewed like
real traffic (a few strings are very common, many are rare).
"""

from __future__ import annotations

import random

_WINDOWS = ("Windows NT 10.0; Win64; x64", "Windows NT 10.0; WOW64", "Windows NT 6.1; Win64; x64")
_MAC = ("Macintosh; Intel Mac OS X 10_15_7", "Macintosh; Intel Mac OS X 10_15_6", "Macintosh; Intel Mac OS X 14_4_1")
_LINUX = ("X11; Linux x86_64", "X11; Ubuntu; Linux x86_64", "X11; Fedora; Linux x86_64")
_ANDROID_DEVICES = (
    "Pixel 8", "Pixel 7a", "Pixel 6", "SM-S918B", "SM-S911B", "SM-A546B", "SM-A145F", "SM-G991B", "2201116SG",
    "M2101K6G", "CPH2451", "RMX3771", "moto g54 5G", "XQ-DQ54", "SO-51C", "SH-M26", "LM-Q730", "K",
)
_ANDROID_VERSIONS = ("10", "11", "12", "13", "14", "15")
_IOS_VERSIONS = ("15_8", "16_6", "16_7_8", "17_1", "17_2_1", "17_4", "17_5_1", "17_6", "18_0", "18_1", "18_2")
_FIREFOX_VERSIONS = tuple(range(115, 135))
_CHROME_MAJORS = tuple(range(116, 133))

SEARCH_CRAWLER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
)
SCRIPT_AGENTS: tuple[str, ...] = (
    "python-requests/2.31.0", "python-requests/2.28.2", "Go-http-client/1.1", "Go-http-client/2.0",
    "curl/8.5.0", "curl/7.88.1", "okhttp/4.12.0", "Python-urllib/3.11", "aiohttp/3.9.1",
    "Java/17.0.9", "axios/1.6.2", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "-",
)
SCRAPER_AGENTS: tuple[str, ...] = (
    "Scrapy/2.11.0 (+https://scrapy.org)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 "
    "Safari/537.36",
    "python-requests/2.31.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
    "Safari/537.36",
)
MAIL_SCANNER_AGENTS: tuple[str, ...] = (
    # Safe Links / Proofpoint / Mimecast / Barracuda fetch with old or generic browser strings.
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; WOW64; Trident/7.0; .NET CLR 2.0.50727)",
    "Mozilla/5.0 (compatible; Proofpoint URL Defense)",
    "Mimecast-URL-Protect/1.0",
    "Barracuda Sentinel (EE)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
)
IMAGE_PROXY_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Mozilla/5.0",
    "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
)


# Scanners of a mail-security vendor nobody lists: current browser strings, nothing that names them.
UNLISTED_SCANNER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
# The shop's own apps and the libraries they call JSON APIs with (iOS: Alamofire/CFNetwork, Android: okhttp).
LIBRARY_APP_AGENTS: tuple[str, ...] = (
    "ShopApp/5.2 (iPhone; iOS 17.5.1; Scale/3.00) Alamofire/5.8.1",
    "ShopApp/5.2 (iPhone; iOS 18.1; Scale/3.00) Alamofire/5.9.1",
    "ShopApp/5.2 (iPad; iOS 17.6; Scale/2.00) Alamofire/5.8.1",
    "ShopApp/5.2.1 CFNetwork/1496.0.7 Darwin/23.5.0",
    "ShopApp/5.2.1 CFNetwork/1568.100.1 Darwin/24.0.0",
    "okhttp/4.12.0",
    "okhttp/4.11.0",
    "ShopApp/5.2.1 (Android 14; SM-S918B; build 5210) okhttp/4.12.0",
    "ShopApp/5.2.0 (Android 13; Pixel 7a; build 5200) okhttp/4.12.0",
    "Dalvik/2.1.0 (Linux; U; Android 14; SM-A546B Build/UP1A.231005.007)",
    "Dalvik/2.1.0 (Linux; U; Android 13; M2101K6G Build/TKQ1.221013.002)",
)
# What scalper bots put in their browsers: a handful of current desktop Chrome strings for a whole fleet.
SCALPER_BROWSER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
)
def _chrome_version(rng: random.Random, major: int) -> str:
    if rng.random() < 0.6:  # reduced user-agent strings carry only the major version
        return f"{major}.0.0.0"
    return f"{major}.0.{5700 + (major - 116) * 60 + rng.randrange(60)}.{rng.randrange(30, 220)}"


def _one_browser(rng: random.Random) -> str:
    kind = rng.choices(
        ("chrome_win", "chrome_mac", "chrome_linux", "chrome_android", "safari_ios", "safari_mac",
         "firefox_win", "firefox_mac", "firefox_linux", "edge_win", "samsung", "chrome_ios", "firefox_android"),
        weights=(26, 7, 3, 20, 18, 6, 5, 2, 2, 7, 2, 1, 1),
    )[0]
    major = rng.choice(_CHROME_MAJORS)
    webkit = "AppleWebKit/537.36 (KHTML, like Gecko)"
    if kind.startswith("chrome_") and kind != "chrome_ios" and kind != "chrome_android":
        system = rng.choice({"chrome_win": _WINDOWS, "chrome_mac": _MAC, "chrome_linux": _LINUX}[kind])
        return f"Mozilla/5.0 ({system}) {webkit} Chrome/{_chrome_version(rng, major)} Safari/537.36"
    if kind == "chrome_android":
        device = rng.choice(_ANDROID_DEVICES)
        android = rng.choice(_ANDROID_VERSIONS)
        return (f"Mozilla/5.0 (Linux; Android {android}; {device}) {webkit} "
                f"Chrome/{_chrome_version(rng, major)} Mobile Safari/537.36")
    if kind in ("safari_ios", "chrome_ios"):
        ios = rng.choice(_IOS_VERSIONS)
        device = rng.choices(("iPhone", "iPad"), weights=(9, 1))[0]
        safari = ios.split("_")[0] + "." + ios.split("_")[1]
        tail = f"CriOS/{major}.0.{6000 + rng.randrange(800)}.{rng.randrange(30, 200)} " if kind == "chrome_ios" else ""
        return (f"Mozilla/5.0 ({device}; CPU {'iPhone ' if device == 'iPhone' else ''}OS {ios} like Mac OS X) "
                f"AppleWebKit/605.1.15 (KHTML, like Gecko) {tail or f'Version/{safari} '}Mobile/15E148 Safari/604.1")
    if kind == "safari_mac":
        version = rng.choice(("16.6", "17.1", "17.2.1", "17.3", "17.4.1", "17.5", "17.6", "18.0", "18.1"))
        return (f"Mozilla/5.0 ({rng.choice(_MAC)}) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                f"Version/{version} Safari/605.1.15")
    if kind.startswith("firefox"):
        ff = rng.choice(_FIREFOX_VERSIONS)
        if kind == "firefox_android":
            android = rng.choice(_ANDROID_VERSIONS)
            return f"Mozilla/5.0 (Android {android}; Mobile; rv:{ff}.0) Gecko/{ff}.0 Firefox/{ff}.0"
        system = rng.choice({"firefox_win": _WINDOWS, "firefox_mac": ("Macintosh; Intel Mac OS X 10.15",),
                             "firefox_linux": _LINUX}[kind])
        return f"Mozilla/5.0 ({system}; rv:{ff}.0) Gecko/20100101 Firefox/{ff}.0"
    if kind == "edge_win":
        return (f"Mozilla/5.0 ({rng.choice(_WINDOWS)}) {webkit} Chrome/{major}.0.0.0 Safari/537.36 "
                f"Edg/{major}.0.{2000 + rng.randrange(900)}.{rng.randrange(20, 120)}")
    samsung = rng.choice(("23.0", "24.0", "25.0", "26.0"))
    return (f"Mozilla/5.0 (Linux; Android {rng.choice(_ANDROID_VERSIONS)}; {rng.choice(_ANDROID_DEVICES)}) "
            f"{webkit} SamsungBrowser/{samsung} Chrome/{major}.0.0.0 Mobile Safari/537.36")


def browser_agents(rng: random.Random, size: int = 400) -> list[str]:
    """``size`` distinct browser user agents, most popular first."""
    seen: dict[str, None] = {}
    while len(seen) < size:
        seen.setdefault(_one_browser(rng), None)
    return list(seen)


def app_agents(rng: random.Random, app: str = "ShopApp", size: int = 40) -> list[str]:
    """The site's own mobile app (loads no page assets, calls /api/)."""
    seen: dict[str, None] = {}
    while len(seen) < size:
        version = f"{rng.randint(3, 4)}.{rng.randint(0, 9)}"
        if rng.random() < 0.55:
            ios = rng.choice(_IOS_VERSIONS).replace("_", ".")
            agent = f"{app}/{version} (iPhone; iOS {ios})"
        else:
            agent = (f"{app}/{version} (Android {rng.choice(_ANDROID_VERSIONS)}; {rng.choice(_ANDROID_DEVICES)}) "
                     f"okhttp/4.{rng.randint(9, 12)}.0")
        seen.setdefault(agent, None)
    return list(seen)


def popularity_weights(size: int) -> list[float]:
    """Zipf-like cumulative weights: the first strings are far more common than the tail."""
    total = 0.0
    cumulative = []
    for rank in range(size):
        total += 1.0 / (rank + 3) ** 0.9
        cumulative.append(total)
    return cumulative


# every fixed list, for the test that keeps the simulator apart from the detector
ALL_FIXED_AGENTS: tuple[tuple[str, ...], ...] = (
    SEARCH_CRAWLER_AGENTS, SCRIPT_AGENTS, SCRAPER_AGENTS, MAIL_SCANNER_AGENTS, IMAGE_PROXY_AGENTS,
    UNLISTED_SCANNER_AGENTS, LIBRARY_APP_AGENTS, SCALPER_BROWSER_AGENTS,
)

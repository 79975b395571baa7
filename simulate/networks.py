"""The simulator's own networks: where its programs and its unusual people come from.

Chosen for this world, not taken from the detector: the detector reads published lists
(``reference/``) and the simulator must not import, copy or mirror them. Each group says which
real service it deliberately models (``models``); only such a group may lie inside a published
range of that kind (Googlebot in Google's crawler ranges, people on iCloud Private Relay in
Apple's egress ranges, corporate VPN users in cloud ranges). The others (an unlisted mail
scanner vendor, attackers' rented servers at small hosters) sit where no published list names
them, so the detector has to tell them by behaviour. ``tests/simulate/test_world_apart.py``
checks both halves of that promise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkGroup:
    name: str
    models: str | None          # search_crawler | image_proxy | mail_security | private_relay | cloud | None
    prefixes: tuple[str, ...]


# Attackers' rented servers: big clouds (modelled: they are in the clouds' published ranges) ...
CLOUD_SERVERS = NetworkGroup("cloud_servers", "cloud", (
    "18.156.0.0/14", "54.144.0.0/12", "52.58.0.0/15",              # AWS eu-central-1, us-east-1
    "34.140.0.0/16", "35.228.0.0/14",                              # Google Cloud
    "20.100.0.0/14", "51.124.0.0/16",                              # Azure
))
# ... and small hosters no published list covers.
SMALL_HOSTERS = NetworkGroup("small_hosters", None, (
    "146.190.0.0/16", "188.166.0.0/16", "139.59.0.0/16",           # DigitalOcean
    "141.94.0.0/16", "51.89.0.0/16",                               # OVH
    "49.12.0.0/16", "78.46.0.0/15", "116.203.0.0/16",              # Hetzner
    "45.79.0.0/16", "207.148.0.0/18", "62.210.0.0/16",             # Linode, Vultr, Scaleway
    "152.67.0.0/16", "8.208.0.0/16", "207.180.192.0/18",           # Oracle, Alibaba, Contabo
))
# Corporate mail link scanners of the big vendors (Microsoft Safe Links, Proofpoint, Mimecast).
MAIL_SCANNERS = NetworkGroup("mail_scanners", "mail_security", (
    "40.107.22.0/24", "40.107.159.0/24", "52.101.68.0/24", "104.47.51.0/24", "148.163.150.0/24",
    "67.231.152.0/24", "205.139.110.0/26",
))
# A mail-security vendor nobody lists: its scanners open links from a hoster with browser agents.
UNLISTED_MAIL_SCANNERS = NetworkGroup("unlisted_mail_scanners", None, (
    "95.217.160.0/20", "135.125.128.0/20", "5.75.224.0/20",
))
# Mail privacy image proxies: Gmail's (Google's network) and Apple Mail Privacy Protection.
IMAGE_PROXIES = NetworkGroup("image_proxies", "image_proxy", (
    "66.102.8.0/24", "66.249.84.0/24", "17.58.96.0/20", "104.28.36.0/22",  # Gmail; Apple MPP (own and relay egress)
))
GOOGLEBOT = NetworkGroup("googlebot", "search_crawler", ("66.249.64.0/20",))
BINGBOT = NetworkGroup("bingbot", "search_crawler", ("157.55.39.0/24", "207.46.13.0/24", "40.77.167.0/24"))
# People on iCloud Private Relay: egress of its partner CDNs (Cloudflare, Akamai, Fastly).
PRIVATE_RELAY = NetworkGroup("private_relay", "private_relay", (
    "104.28.80.0/22", "104.28.192.0/22", "172.226.16.0/20", "172.225.224.0/20", "146.75.160.0/20",
))
# Employees behind corporate VPNs / secure web gateways egressing in cloud networks.
CORPORATE_VPN = NetworkGroup("corporate_vpn", "cloud", (
    "165.225.32.0/20", "147.161.160.0/20", "136.226.64.0/20",      # a secure web gateway's egress
    "18.192.0.0/15", "20.113.0.0/16",                              # VPN concentrators in AWS / Azure
))

GROUPS: tuple[NetworkGroup, ...] = (CLOUD_SERVERS, SMALL_HOSTERS, MAIL_SCANNERS, UNLISTED_MAIL_SCANNERS,
                                    IMAGE_PROXIES, GOOGLEBOT, BINGBOT, PRIVATE_RELAY, CORPORATE_VPN)
HOSTING_PREFIXES: tuple[str, ...] = CLOUD_SERVERS.prefixes + SMALL_HOSTERS.prefixes

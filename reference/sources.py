"""Where each reference file comes from: its publisher's URL, its format and whether it can be refreshed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    name: str
    file: str              # in reference/data/
    format: str            # a key of reference.formats.PARSERS
    url: str | None        # the machine-readable feed; None when the publisher has no fixed URL
    page: str              # where a person reads about it
    refreshable: bool = True


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("googlebot", "googlebot.json", "prefix_list",
           "https://developers.google.com/static/search/apis/ipranges/googlebot.json",
           "https://developers.google.com/search/docs/crawling-indexing/verifying-googlebot"),
    Source("bingbot", "bingbot.json", "prefix_list", "https://www.bing.com/toolbox/bingbot.json",
           "https://www.bing.com/webmasters/help/how-to-verify-bingbot-3905dc26"),
    Source("private_relay", "egress-ip-ranges.csv", "egress_csv", "https://mask-api.icloud.com/egress-ip-ranges.csv",
           "https://developer.apple.com/support/prepare-your-network-for-icloud-private-relay/"),
    Source("aws", "aws-ip-ranges.json", "aws", "https://ip-ranges.amazonaws.com/ip-ranges.json",
           "https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html"),
    Source("gcp", "gcp-cloud.json", "prefix_list", "https://www.gstatic.com/ipranges/cloud.json",
           "https://cloud.google.com/compute/docs/faq#find_ip_range"),
    # The ServiceTags file's download URL changes every week: refresh it with --url azure=URL.
    Source("azure", "azure-servicetags.json", "azure", None,
           "https://www.microsoft.com/en-us/download/details.aspx?id=56519"),
    Source("mail_security", "mail-security.json", "vendor_list", None,
           "vendors' documentation pages, one per vendor in the file", refreshable=False),
    Source("other_services", "other-services.json", "vendor_list", None,
           "operators' documentation pages, one per service in the file", refreshable=False),
)}

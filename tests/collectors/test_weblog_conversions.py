"""Order confirmation pages as the shop platforms document them count as conversions, not checkout.

Each URL is the one the platform's documentation or default routes give for the page shown
after an order is placed (query strings as the platforms add them); the negatives are pages of
the same shops before the order is placed, or look-alikes.
"""

from __future__ import annotations

import pytest

from collectors.weblog.options import DEFAULT_PATH_GROUPS, WeblogOptions
from collectors.weblog.paths import PathGrouper
from collectors.weblog.pipeline import ingest_lines
from collectors.weblog.query import split_target
from store.embedded import EmbeddedStore
from tests.collectors.logsamples import T0, combined

CONFIRMATIONS = {
    "shopify thank-you": "/checkouts/c1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/thank_you",
    "shopify new checkout": "/checkouts/cn/Z2NwLXVzLWVhc3QxOjAxSjVQ/thank-you",
    "shopify order status": "/55512345678/orders/0a1b2c3d4e5f60718293a4b5c6d7e8f9?key=abc",
    "woocommerce": "/checkout/order-received/4711/?key=wc_order_5a8f3c2b1d9e7",
    "woocommerce translated prefix": "/de/checkout/order-received/4711/?key=wc_order_5a8f3c2b1d9e7",
    "magento": "/checkout/onepage/success/",
    "prestashop": "/order-confirmation?id_cart=42&id_module=31&id_order=17&key=9b2c",
    "prestashop localised": "/fr/order-confirmation?id_cart=42",
    "bigcommerce": "/checkout/order-confirmation",
    "bigcommerce with order": "/checkout/order-confirmation/1234",
    "shopware 6": "/checkout/finish?orderId=0189ab12cd34ef56",
    "generic thank-you": "/thank-you",
    "generic thankyou page": "/thankyou.html",
    "generic thanks": "/thanks",
    "checkout thanks": "/checkout/thanks",
    "checkout success": "/checkout/success",
    "order confirmation": "/order/confirmation",
    "order complete": "/order-complete",
    "payment success": "/payment/success",
    "signup": "/signup/complete",
}
NOT_YET = {
    "cart": ("/cart", "checkout"),
    "shopify checkout step": ("/checkouts/c1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "checkout"),
    "magento checkout": ("/checkout/", "checkout"),
    "woocommerce checkout": ("/checkout/", "checkout"),
    "shopware confirm step": ("/checkout/confirm", "checkout"),
    "order history": ("/account/orders/12", "page"),
    "a sale named thanks": ("/thanksgiving-sale", "page"),
    "blog post": ("/blog/thank-you-notes", "page"),
}


@pytest.mark.parametrize("name", sorted(CONFIRMATIONS))
def test_documented_confirmation_pages_are_conversions(name: str) -> None:
    path, _ = split_target(CONFIRMATIONS[name])
    assert PathGrouper(DEFAULT_PATH_GROUPS).group(path) == "conversion"


@pytest.mark.parametrize("name", sorted(NOT_YET))
def test_pages_before_the_order_are_not_conversions(name: str) -> None:
    target, group = NOT_YET[name]
    assert PathGrouper(DEFAULT_PATH_GROUPS).group(split_target(target)[0]) == group


def test_conversions_are_counted_end_to_end() -> None:
    lines = [combined(T0 + i, ip=f"81.2.69.{i + 1}", target=t) for i, t in enumerate(CONFIRMATIONS.values())]
    lines += [combined(T0 + 30, target=t) for t, _ in NOT_YET.values()]
    store = EmbeddedStore(":memory:")
    ingest_lines(lines, store, site="s", source="t", salt=b"c" * 32)
    conv = sum(int(p.fields["requests"]) for p in store.points("http", 0, 4_000_000_000)
               if p.tags["path_group"] == "conversion")
    visitors = sum(int(p.fields["conversions"]) for p in store.points("visitors", 0, 4_000_000_000))
    assert conv == visitors == len(CONFIRMATIONS)


def test_a_site_sets_its_own_conversion_pages_and_keeps_the_other_groups() -> None:
    opts = WeblogOptions.model_validate({"path_groups": {"conversion": ["^/merci-pour-votre-commande"]}})
    grouper = PathGrouper(opts.path_groups)
    assert grouper.group("/merci-pour-votre-commande") == "conversion"
    assert grouper.group("/thank-you") == "page"  # the defaults of the group named are replaced
    assert grouper.group("/cart") == "checkout" and grouper.group("/static/app.js") == "asset"

"""The long-tail intent library: what merchants want, as a neutral description and the reference
workflow that does it.

Each intent is one automation shape (skeleton) with random parameters; a variant is one draw. The
description states the facts a merchant would know (amounts, tags, emails, countries), never Flow
syntax or task handles: request writers see only the description, so the requests they write do not
echo the workflow's template. Every trigger and every action of the catalog appears, with else
branches, for-each loops, several conditions, schedules, waits and several actions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flow_data.document import A, Each, If, Wait, act, flow

AMT = "order.totalPriceSet.shopMoney.amount"
Made = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Intent:
    key: str
    family: str
    make: Callable[[random.Random], Made]


INTENTS: list[Intent] = []


def intent(
    family: str,
) -> Callable[[Callable[[random.Random], Made]], Callable[[random.Random], Made]]:
    def register(fn: Callable[[random.Random], Made]) -> Callable[[random.Random], Made]:
        INTENTS.append(Intent(fn.__name__, family, fn))
        return fn

    return register


def pick(rng: random.Random, options: list[Any]) -> Any:
    return rng.choice(options)


def amount(rng: random.Random) -> int:
    return pick(rng, [40, 60, 80, 120, 150, 180, 250, 300, 400, 600, 800, 1200, 1500])


def mailbox(rng: random.Random) -> str:
    return (
        pick(rng, ["ops", "warehouse", "finance", "sales", "cs", "hello", "jo", "mia", "dev"])
        + "@"
        + pick(
            rng,
            ["northbrew.co", "lumenhome.shop", "tidalgear.com", "fernandfox.store", "kitecraft.io"],
        )
    )


def country(rng: random.Random) -> tuple[str, str]:
    return pick(
        rng,
        [
            ("US", "the United States"),
            ("CA", "Canada"),
            ("GB", "the United Kingdom"),
            ("DE", "Germany"),
            ("AU", "Australia"),
            ("FR", "France"),
            ("NL", "the Netherlands"),
            ("JP", "Japan"),
            ("NZ", "New Zealand"),
            ("IE", "Ireland"),
        ],
    )


def vendor(rng: random.Random) -> str:
    return pick(
        rng, ["Hollow Pine", "Brightwell", "Kestrel Labs", "Oaken & Co", "Marlow", "Sunward"]
    )


def product_type(rng: random.Random) -> str:
    return pick(
        rng, ["Candles", "Coffee", "Skincare", "Posters", "Socks", "Tea", "Ceramics", "Gift Card"]
    )


def days(rng: random.Random) -> tuple[int, str]:
    n = pick(rng, [1, 2, 3, 5, 7, 10, 14])
    return n * 1440, f"{n} day" + ("s" if n > 1 else "")


def email(to: str, subject: str, body: str) -> A:
    return act("send_internal_email", to=to, subject=subject, body=body)


def hook(method: str, url: str, body: str = "") -> A:
    fields: dict[str, Any] = {"method": method, "url": url}
    if body:
        fields.update(headers='[{"key": "Content-Type", "value": "application/json"}]', body=body)
    return act("send_http_request", **fields)


def tags_any(path: str, tag: str) -> str:
    return f"({path} any? |t| (t == '{tag}'))"


SCHEDULES = [
    ("FREQ=DAILY;BYHOUR=8", "every morning at 8"),
    ("FREQ=DAILY;BYHOUR=18", "every evening at 6 pm"),
    ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", "every Monday at 9 am"),
    ("FREQ=WEEKLY;BYDAY=FR;BYHOUR=16", "every Friday at 4 pm"),
    ("FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=7", "on the 1st of every month at 7 am"),
    ("FREQ=HOURLY", "every hour"),
]


# ----------------------------------------------------------------------------- else branches
@intent("order")
def total_two_tiers(rng):
    x = amount(rng)
    big, small = pick(
        rng, [("large-order", "standard-order"), ("tier-a", "tier-b"), ("high-ticket", "regular")]
    )
    return (
        f"When a new order is placed: if its total is above ${x}, tag the order '{big}'; "
        f"otherwise tag it '{small}'.",
        flow(
            "order_created",
            [
                If(
                    f"({AMT} > {x})",
                    [act("add_order_tags", tags=[big])],
                    [act("add_order_tags", tags=[small])],
                )
            ],
        ),
    )


@intent("loyalty")
def paid_tier_metafield_else(rng):
    x = amount(rng)
    top, base = pick(rng, [("gold", "standard"), ("platinum", "silver"), ("vip", "member")])
    return (
        f"When an order is paid: if the order total is over ${x}, set the customer's metafield "
        f"loyalty.tier (single line text) to '{top}'; otherwise set it to '{base}'.",
        flow(
            "order_paid",
            [
                If(
                    f"({AMT} > {x})",
                    [
                        act(
                            "update_customer_metafield",
                            namespace="loyalty",
                            key="tier",
                            value=top,
                            type="single_line_text_field",
                        )
                    ],
                    [
                        act(
                            "update_customer_metafield",
                            namespace="loyalty",
                            key="tier",
                            value=base,
                            type="single_line_text_field",
                        )
                    ],
                )
            ],
        ),
    )


@intent("fulfillment")
def domestic_or_hold(rng):
    code, name = country(rng)
    return (
        f"The shop ships from {name} (country code {code}). For every new order: if the shipping "
        f"country is not {code}, put the order's fulfillment on hold (reason: other) with the note "
        f"'check customs paperwork'; if it is {code}, tag the order 'domestic'.",
        flow(
            "order_created",
            [
                If(
                    f"(order.shippingAddress.countryCodeV2 != '{code}')",
                    [act("hold_fulfillment_order", reason="OTHER", note="check customs paperwork")],
                    [act("add_order_tags", tags=["domestic"])],
                )
            ],
        ),
    )


@intent("risk")
def risk_three_way(rng):
    to = mailbox(rng)
    return (
        "When an order's fraud analysis finishes: if the risk is high, cancel the order for fraud "
        "with a refund and restocking; if the risk is medium, put its fulfillment on hold as a "
        f"suspected fraud and email {to} to look at it; if the risk is low, capture the payment.",
        flow(
            "order_risk_analyzed",
            [
                If(
                    "(order.riskLevel == 'HIGH')",
                    [act("cancel_order", reason="FRAUD", refund=True, restock=True)],
                    [
                        If(
                            "(order.riskLevel == 'MEDIUM')",
                            [
                                act("hold_fulfillment_order", reason="HIGH_RISK_OF_FRAUD"),
                                email(
                                    to,
                                    "Medium risk order {{order.name}}",
                                    "Please review {{order.name}}.",
                                ),
                            ],
                            [act("capture_payment")],
                        )
                    ],
                )
            ],
        ),
    )


@intent("customer")
def first_or_returning(rng):
    first, again = pick(
        rng, [("first-order", "returning"), ("new-buyer", "repeat-buyer"), ("debut", "regular")]
    )
    return (
        f"When an order is paid, tag the customer '{first}' if this is their first order "
        f"(they have exactly 1 order), and tag them '{again}' otherwise.",
        flow(
            "order_paid",
            [
                If(
                    "(order.customer.numberOfOrders == 1)",
                    [act("add_customer_tags", tags=[first])],
                    [act("add_customer_tags", tags=[again])],
                )
            ],
        ),
    )


@intent("customer")
def signup_consent_else(rng):
    tag = pick(rng, ["newsletter", "opted-in", "subscriber-new"])
    note = pick(
        rng,
        [
            "Did not opt in to emails at signup",
            "No marketing consent",
            "Ask about newsletter later",
        ],
    )
    return (
        f"When a customer account is created: if they subscribed to email marketing, tag them "
        f"'{tag}'; if not, set their customer note to '{note}'.",
        flow(
            "customer_created",
            [
                If(
                    "(customer.emailMarketingConsent.marketingState == 'SUBSCRIBED')",
                    [act("add_customer_tags", tags=[tag])],
                    [act("update_customer_note", note=note)],
                )
            ],
        ),
    )


@intent("product")
def trusted_vendor_publish_else_draft(rng):
    v = vendor(rng)
    return (
        f"When a product is created: if its vendor is {v}, publish it to the online store right "
        "away; any other vendor's new product should be set to draft status.",
        flow(
            "product_created",
            [
                If(
                    f"(product.vendor == '{v}')",
                    [act("publish_product")],
                    [act("update_product_status", status="DRAFT")],
                )
            ],
        ),
    )


@intent("inventory")
def stock_out_and_back(rng):
    return (
        "Whenever a variant's stock changes: if it just sold out (it had stock before and now has "
        "0 or fewer), hide the product from the online store; if it just came back (it had 0 or "
        "fewer before and now has more than 0), publish the product again.",
        flow(
            "product_variant_inventory_quantity_changed",
            [
                If(
                    "((productVariant.inventoryQuantity <= 0) && (inventoryQuantityPrior > 0))",
                    [act("unpublish_product")],
                    [
                        If(
                            "((productVariant.inventoryQuantity > 0) && (inventoryQuantityPrior <= 0))",
                            [act("publish_product")],
                        )
                    ],
                )
            ],
        ),
    )


@intent("fulfillment")
def fulfilled_archive_or_chase(rng):
    to = mailbox(rng)
    return (
        f"When an order is fulfilled: if it is fully paid, archive it; if it is not paid yet, "
        f"email {to} that the order shipped without payment.",
        flow(
            "order_fulfilled",
            [
                If(
                    "(order.displayFinancialStatus == 'PAID')",
                    [act("archive_order")],
                    [
                        email(
                            to,
                            "Shipped but unpaid: {{order.name}}",
                            "{{order.name}} was fulfilled before payment.",
                        )
                    ],
                )
            ],
        ),
    )


@intent("refund")
def refund_size(rng):
    x, to = amount(rng), mailbox(rng)
    return (
        f"When a refund is issued: if more than ${x} was refunded, email {to} with the order "
        "number and amount; smaller refunds just get the order tagged 'small-refund'.",
        flow(
            "refund_created",
            [
                If(
                    f"(refund.totalRefundedSet.shopMoney.amount > {x})",
                    [
                        email(
                            to,
                            "Large refund on {{order.name}}",
                            "Refunded {{refund.totalRefundedSet.shopMoney.amount}}.",
                        )
                    ],
                    [act("add_order_tags", tags=["small-refund"])],
                )
            ],
        ),
    )


@intent("draft")
def draft_quote_approval(rng):
    x = amount(rng) * 2
    return (
        f"When a draft order is created: if its total is ${x} or more, tag the draft "
        "'needs-approval'; otherwise tag it 'auto-approved'.",
        flow(
            "draft_order_created",
            [
                If(
                    f"(draftOrder.totalPriceSet.shopMoney.amount >= {x})",
                    [act("add_draft_order_tags", tags=["needs-approval"])],
                    [act("add_draft_order_tags", tags=["auto-approved"])],
                )
            ],
        ),
    )


@intent("customer")
def b2b_domain_else_retail(rng):
    domain = pick(rng, ["@acmecorp.com", "@buildright.biz", "@medsupply.org", "@cityschools.edu"])
    return (
        f"When a customer account is created: if their email address ends in {domain}, tag them "
        "'b2b'; everyone else gets tagged 'retail'.",
        flow(
            "customer_created",
            [
                If(
                    f"(customer.email end_with? '{domain}')",
                    [act("add_customer_tags", tags=["b2b"])],
                    [act("add_customer_tags", tags=["retail"])],
                )
            ],
        ),
    )


@intent("marketing")
def abandoned_big_or_small(rng):
    x, to = amount(rng), mailbox(rng)
    return (
        f"When a customer abandons a checkout: if the checkout was worth more than ${x}, email "
        f"{to} so sales can follow up; otherwise tag the customer 'abandoned-small'.",
        flow(
            "customer_abandonment",
            [
                If(
                    f"(abandonment.abandonedCheckoutPayload.totalPriceSet.shopMoney.amount > {x})",
                    [
                        email(
                            to,
                            "Abandoned checkout by {{customer.email}}",
                            "Worth {{abandonment.abandonedCheckoutPayload.totalPriceSet.shopMoney.amount}}.",
                        )
                    ],
                    [act("add_customer_tags", tags=["abandoned-small"])],
                )
            ],
        ),
    )


@intent("customer")
def segment_joined_vip_else_note(rng):
    seg = pick(rng, ["VIP", "Top spenders", "Inner circle"])
    return (
        f"When a customer joins a segment: if the segment is called '{seg}', tag them 'vip-perks'; "
        "for any other segment, set their customer note to 'Joined segment: ' followed by the segment's name.",
        flow(
            "customer_joined_segment",
            [
                If(
                    f"(segment.name == '{seg}')",
                    [act("add_customer_tags", tags=["vip-perks"])],
                    [act("update_customer_note", note="Joined segment: {{segment.name}}")],
                )
            ],
        ),
    )


@intent("order")
def promo_or_full_price(rng):
    promo, full = pick(
        rng, [("promo", "full-price"), ("discounted", "no-discount"), ("coupon-used", "paid-full")]
    )
    return (
        f"Tag every new order '{promo}' if a discount code was used on it, and '{full}' if no "
        "discount code was used.",
        flow(
            "order_created",
            [
                If(
                    "(order.discountCodes not_empty_and_not_nil?)",
                    [act("add_order_tags", tags=[promo])],
                    [act("add_order_tags", tags=[full])],
                )
            ],
        ),
    )


@intent("order")
def pos_archive_else_online(rng):
    return (
        "When an order is created: if it was rung up in the physical store (point of sale), tag "
        "it 'in-store' and archive it immediately; otherwise tag it 'online'.",
        flow(
            "order_created",
            [
                If(
                    "(order.sourceName == 'pos')",
                    [act("add_order_tags", tags=["in-store"]), act("archive_order")],
                    [act("add_order_tags", tags=["online"])],
                )
            ],
        ),
    )


@intent("segment")
def segment_lookup_else(rng):
    seg = pick(rng, ["VIP", "Wholesale buyers", "Loyalty members"])
    return (
        f"When an order is paid, check whether the customer belongs to the '{seg}' segment: if "
        "they do, tag the order 'member-order'; if not, tag it 'guest-order'.",
        flow(
            "order_paid",
            [
                act("lookup_customer_in_segment", segment=seg),
                If(
                    "(isMember == true)",
                    [act("add_order_tags", tags=["member-order"])],
                    [act("add_order_tags", tags=["guest-order"])],
                ),
            ],
        ),
    )


@intent("segment")
def segment_lookup_email(rng):
    seg, to = pick(rng, ["VIP", "Wholesale buyers", "Press"]), mailbox(rng)
    return (
        f"When a new order comes in, check whether the customer is in the '{seg}' segment and, "
        f"if they are, email {to} so someone can hand-pack it.",
        flow(
            "order_created",
            [
                act("lookup_customer_in_segment", segment=seg),
                If(
                    "(isMember == true)",
                    [
                        email(
                            to,
                            "Segment order {{order.name}}",
                            "{{order.name}} is from a segment member.",
                        )
                    ],
                ),
            ],
        ),
    )


# ----------------------------------------------------------------------------------- for-each
@intent("lists")
def bulk_line_item(rng):
    n, tag = pick(rng, [10, 12, 20, 24, 50]), pick(rng, ["bulk", "wholesale-qty", "case-order"])
    return (
        f"When an order is created, look at each line item: if any single line has a quantity of "
        f"{n} or more, tag the order '{tag}'.",
        flow(
            "order_created",
            [
                Each(
                    "order.lineItems",
                    "li",
                    [If(f"(li.quantity >= {n})", [act("add_order_tags", tags=[tag])])],
                )
            ],
        ),
    )


@intent("lists")
def fulfilled_remove_preorder(rng):
    tag = pick(rng, ["preorder", "pre-sale", "coming-soon"])
    return (
        f"When an order is fulfilled, go through its items and remove the tag '{tag}' from every "
        f"product in the order that carries that tag.",
        flow(
            "order_fulfilled",
            [
                Each(
                    "order.lineItems",
                    "li",
                    [
                        If(
                            tags_any("li.product.tags", tag),
                            [
                                act(
                                    "remove_product_tags",
                                    product_id="{{li.product.id}}",
                                    tags=[tag],
                                )
                            ],
                        )
                    ],
                )
            ],
        ),
    )


@intent("lists")
def last_sold_metafield(rng):
    ns = pick(rng, ["stats", "sales", "custom"])
    return (
        f"Every time an order is paid, record on each product in it when it last sold: set the "
        f"product metafield {ns}.last_sold (single line text) to the order's creation date.",
        flow(
            "order_paid",
            [
                Each(
                    "order.lineItems",
                    "li",
                    [
                        act(
                            "update_product_metafield",
                            product_id="{{li.product.id}}",
                            namespace=ns,
                            key="last_sold",
                            value="{{order.createdAt}}",
                            type="single_line_text_field",
                        )
                    ],
                )
            ],
        ),
    )


@intent("inventory")
def reorder_email_per_item(rng):
    n, to = pick(rng, [3, 5, 10, 15]), mailbox(rng)
    return (
        f"When an order is paid, check every item in it: for each one whose variant now has fewer "
        f"than {n} units in stock, email {to} asking to reorder that SKU.",
        flow(
            "order_paid",
            [
                Each(
                    "order.lineItems",
                    "li",
                    [
                        If(
                            f"(li.variant.inventoryQuantity < {n})",
                            [
                                email(
                                    to,
                                    "Reorder {{li.sku}}",
                                    "{{li.title}} has {{li.variant.inventoryQuantity}} left.",
                                )
                            ],
                        )
                    ],
                )
            ],
        ),
    )


@intent("lists")
def cancelled_clear_soldout(rng):
    tag = pick(rng, ["sold-out", "out-of-stock", "unavailable"])
    return (
        f"When an order is cancelled its items go back on the shelf, so remove the tag '{tag}' "
        "from every product in that order.",
        flow(
            "order_cancelled",
            [
                Each(
                    "order.lineItems",
                    "li",
                    [act("remove_product_tags", product_id="{{li.product.id}}", tags=[tag])],
                )
            ],
        ),
    )


@intent("order")
def gift_message_attribute(rng):
    key = pick(rng, ["gift_message", "Gift note", "card_text"])
    return (
        f"New orders can carry a cart attribute named '{key}'. When an order is created, if it has "
        f"that attribute, put its text into the order note, prefixed with 'Gift message: '.",
        flow(
            "order_created",
            [
                Each(
                    "order.customAttributes",
                    "attr",
                    [
                        If(
                            f"(attr.key == '{key}')",
                            [act("update_order_note", note="Gift message: {{attr.value}}")],
                        )
                    ],
                )
            ],
        ),
    )


@intent("order")
def units_sum_threshold(rng):
    n, tag = pick(rng, [20, 30, 50, 100]), pick(rng, ["volume-order", "pallet", "big-haul"])
    return (
        f"When an order is created, add up the quantities of all its line items; if the total "
        f"number of units is {n} or more, tag the order '{tag}'.",
        flow(
            "order_created",
            [
                act("sum", list="order.lineItems", field="quantity"),
                If(f"(sum >= {n})", [act("add_order_tags", tags=[tag])]),
            ],
        ),
    )


@intent("order")
def many_lines_count(rng):
    n = pick(rng, [5, 8, 10, 15])
    return (
        f"When an order is created, count how many different line items it has; if there are "
        f"more than {n}, tag the order 'pick-list-long' so the warehouse plans for it.",
        flow(
            "order_created",
            [
                act("count", list="order.lineItems"),
                If(f"(count > {n})", [act("add_order_tags", tags=["pick-list-long"])]),
            ],
        ),
    )


@intent("refund")
def refund_tag_products(rng):
    tag = pick(rng, ["returned", "had-return", "return-check"])
    return (
        f"When a refund is issued on an order, tag every product in that order '{tag}'.",
        flow(
            "refund_created",
            [
                Each(
                    "order.lineItems",
                    "li",
                    [act("add_product_tags", product_id="{{li.product.id}}", tags=[tag])],
                )
            ],
        ),
    )


@intent("lists")
def tag_products_then_order(rng):
    ptag, otag = pick(
        rng, [("ordered", "processed"), ("in-demand", "counted"), ("moving", "stats-done")]
    )
    return (
        f"When an order is paid, tag each product in it '{ptag}', and once that is done tag the "
        f"order itself '{otag}'.",
        flow(
            "order_paid",
            [
                Each(
                    "order.lineItems",
                    "li",
                    [act("add_product_tags", product_id="{{li.product.id}}", tags=[ptag])],
                ),
                act("add_order_tags", tags=[otag]),
            ],
        ),
    )


@intent("lists")
def vendor_items_email(rng):
    v, to = vendor(rng), mailbox(rng)
    return (
        f"{v} ships their products to customers directly. When an order is paid, for each item "
        f"in it made by {v}, email {to} with the item's title, SKU and quantity.",
        flow(
            "order_paid",
            [
                Each(
                    "order.lineItems",
                    "li",
                    [
                        If(
                            f"(li.vendor == '{v}')",
                            [
                                email(
                                    to,
                                    "Dropship {{order.name}}",
                                    "{{li.title}} / {{li.sku}} x {{li.quantity}}",
                                )
                            ],
                        )
                    ],
                )
            ],
        ),
    )


# ---------------------------------------------------------------------------------- scheduled
@intent("scheduled")
def pending_orders_digest(rng):
    rule, when = pick(rng, SCHEDULES[:5])
    to = mailbox(rng)
    return (
        f"{when.capitalize()}, find the orders whose payment is still pending, count them, and "
        f"email {to} how many there are.",
        flow(
            "scheduled_time",
            [
                act("get_order_data", query="financial_status:pending"),
                act("count", list="getOrderData"),
                email(to, "Pending payments", "{{count}} orders are waiting for payment."),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def cancel_stale_unpaid(rng):
    rule, when = pick(rng, SCHEDULES[:4])
    tag = pick(rng, ["awaiting-payment", "unpaid-invoice", "pay-later"])
    return (
        f"{when.capitalize()}, look up the orders tagged '{tag}' and cancel each of them (reason: "
        "other; no refund since nothing was paid; put the items back in stock).",
        flow(
            "scheduled_time",
            [
                act("get_order_data", query=f"tag:{tag}"),
                Each(
                    "getOrderData",
                    "o",
                    [
                        act(
                            "cancel_order",
                            order_id="{{o.id}}",
                            reason="OTHER",
                            refund=False,
                            restock=True,
                        )
                    ],
                ),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def winback_lapsed(rng):
    rule, when = pick(rng, SCHEDULES[2:5])
    src, dst = pick(
        rng, [("lapsed", "win-back"), ("dormant", "reactivate"), ("inactive-90", "winback-mail")]
    )
    return (
        f"{when.capitalize()}, find customers tagged '{src}' and add the tag '{dst}' to each of them.",
        flow(
            "scheduled_time",
            [
                act("get_customer_data", query=f"tag:{src}"),
                Each(
                    "getCustomerData",
                    "c",
                    [act("add_customer_tags", customer_id="{{c.id}}", tags=[dst])],
                ),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def drafts_waiting_alert(rng):
    rule, when = pick(rng, SCHEDULES[:3])
    to = mailbox(rng)
    return (
        f"{when.capitalize()}, count the products that are still drafts; if there is at least one, "
        f"email {to} with the number so they get reviewed.",
        flow(
            "scheduled_time",
            [
                act("get_product_data", query="status:draft"),
                act("count", list="getProductData"),
                If(
                    "(count > 0)",
                    [email(to, "Drafts waiting", "{{count}} draft products need review.")],
                ),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def archive_discontinued_weekly(rng):
    rule, when = pick(rng, SCHEDULES[2:5])
    tag = pick(rng, ["discontinued", "end-of-line", "retired"])
    return (
        f"{when.capitalize()}, find every product tagged '{tag}' and change its status to archived.",
        flow(
            "scheduled_time",
            [
                act("get_product_data", query=f"tag:{tag}"),
                Each(
                    "getProductData",
                    "p",
                    [act("update_product_status", product_id="{{p.id}}", status="ARCHIVED")],
                ),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def launch_day_publish(rng):
    rule, when = pick(rng, SCHEDULES[:2])
    tag = pick(rng, ["launch-today", "go-live", "drop-day"])
    return (
        f"{when.capitalize()}, find products tagged '{tag}'; publish each one to the online store "
        f"and remove the '{tag}' tag from it.",
        flow(
            "scheduled_time",
            [
                act("get_product_data", query=f"tag:{tag}"),
                Each(
                    "getProductData",
                    "p",
                    [
                        act("publish_product", product_id="{{p.id}}"),
                        act("remove_product_tags", product_id="{{p.id}}", tags=[tag]),
                    ],
                ),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def daily_sales_total(rng):
    rule, when = pick(rng, SCHEDULES[:2])
    to = mailbox(rng)
    return (
        f"{when.capitalize()}, take the orders tagged 'today' and email {to} the sum of their "
        "order totals.",
        flow(
            "scheduled_time",
            [
                act("get_order_data", query="tag:today"),
                act("sum", list="getOrderData", field="totalPriceSet.shopMoney.amount"),
                email(to, "Sales total", "Orders tagged today add up to {{sum}}."),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def vip_count_webhook(rng):
    rule, when = pick(rng, SCHEDULES[2:5])
    url = pick(
        rng,
        [
            "https://metrics.northbrew.co/vip",
            "https://hooks.tidalgear.com/stats",
            "https://api.kitecraft.io/kpi",
        ],
    )
    return (
        f"{when.capitalize()}, count the customers tagged 'VIP' and POST the number as JSON to {url}.",
        flow(
            "scheduled_time",
            [
                act("get_customer_data", query="tag:VIP"),
                act("count", list="getCustomerData"),
                hook("POST", url, '{"vip_count": "{{count}}"}'),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def never_bought_subscribers(rng):
    rule, when = pick(rng, SCHEDULES[4:5] + SCHEDULES[2:3])
    return (
        f"{when.capitalize()}, go through customers tagged 'subscriber' and tag each one who has "
        "never placed an order 'never-bought'.",
        flow(
            "scheduled_time",
            [
                act("get_customer_data", query="tag:subscriber"),
                Each(
                    "getCustomerData",
                    "c",
                    [
                        If(
                            "(c.numberOfOrders == 0)",
                            [
                                act(
                                    "add_customer_tags",
                                    customer_id="{{c.id}}",
                                    tags=["never-bought"],
                                )
                            ],
                        )
                    ],
                ),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def archive_fulfilled_weekly(rng):
    rule, when = pick(rng, SCHEDULES[2:4])
    return (
        f"{when.capitalize()}, archive every order that is fully fulfilled.",
        flow(
            "scheduled_time",
            [
                act("get_order_data", query="fulfillment_status:fulfilled"),
                Each("getOrderData", "o", [act("archive_order", order_id="{{o.id}}")]),
            ],
            recurrence=rule,
        ),
    )


@intent("scheduled")
def release_timed_holds(rng):
    tag = pick(rng, ["hold-24h", "cooling-off", "review-hold"])
    return (
        f"Every hour, find orders tagged '{tag}'; release the fulfillment hold on each and remove "
        f"the '{tag}' tag.",
        flow(
            "scheduled_time",
            [
                act("get_order_data", query=f"tag:{tag}"),
                Each(
                    "getOrderData",
                    "o",
                    [
                        act("release_fulfillment_order_hold", order_id="{{o.id}}"),
                        act("remove_order_tags", order_id="{{o.id}}", tags=[tag]),
                    ],
                ),
            ],
            recurrence="FREQ=HOURLY",
        ),
    )


@intent("scheduled")
def low_inventory_products_report(rng):
    rule, when = pick(rng, SCHEDULES[:3])
    to, n = mailbox(rng), pick(rng, [5, 10, 20])
    return (
        f"{when.capitalize()}, go through products tagged 'core-range' and, for each one with "
        f"fewer than {n} units in total inventory, email {to} its title and stock level.",
        flow(
            "scheduled_time",
            [
                act("get_product_data", query="tag:core-range"),
                Each(
                    "getProductData",
                    "p",
                    [
                        If(
                            f"(p.totalInventory < {n})",
                            [
                                email(
                                    to,
                                    "Low: {{p.title}}",
                                    "{{p.title}} has {{p.totalInventory}} left.",
                                )
                            ],
                        )
                    ],
                ),
            ],
            recurrence=rule,
        ),
    )


# ---------------------------------------------------------------------------------------- waits
@intent("marketing")
def review_request_after_delivery(rng):
    minutes, span = days(rng)
    tag = pick(rng, ["ask-review", "review-request", "feedback-due"])
    return (
        f"{span.capitalize()} after an order is fulfilled, tag the customer '{tag}' (our review "
        "app emails everyone with that tag).",
        flow("order_fulfilled", [Wait(minutes), act("add_customer_tags", tags=[tag])]),
    )


@intent("payments")
def unpaid_after_wait(rng):
    hours = pick(rng, [2, 6, 12, 24, 48])
    to = mailbox(rng)
    return (
        f"When an order is created, wait {hours} hours; if its payment is still pending after that, "
        f"email {to} to chase it.",
        flow(
            "order_created",
            [
                Wait(hours * 60),
                If(
                    "(order.displayFinancialStatus == 'PENDING')",
                    [
                        email(
                            to,
                            "Still unpaid: {{order.name}}",
                            "{{order.name}} is still pending payment.",
                        )
                    ],
                ),
            ],
        ),
    )


@intent("marketing")
def welcome_webhook_delay(rng):
    minutes, span = days(rng)
    url = pick(
        rng,
        [
            "https://mail.fernandfox.store/welcome",
            "https://crm.lumenhome.shop/hooks/new",
            "https://api.kitecraft.io/onboard",
        ],
    )
    return (
        f"{span.capitalize()} after a customer signs up, send a POST request to {url} with their "
        "email address as JSON so our mailing tool starts the welcome series.",
        flow(
            "customer_created",
            [Wait(minutes), hook("POST", url, '{"email": "{{customer.email}}"}')],
        ),
    )


@intent("marketing")
def abandoned_followup_subscribed(rng):
    hours = pick(rng, [1, 2, 3, 4])
    url = pick(rng, ["https://crm.lumenhome.shop/abandoned", "https://hooks.northbrew.co/cart"])
    return (
        f"When someone abandons a checkout, wait {hours} hour{'s' if hours > 1 else ''}; then, if "
        f"they are subscribed to email marketing, POST their email to {url}.",
        flow(
            "customer_abandonment",
            [
                Wait(hours * 60),
                If(
                    "(customer.emailMarketingConsent.marketingState == 'SUBSCRIBED')",
                    [hook("POST", url, '{"email": "{{customer.email}}"}')],
                ),
            ],
        ),
    )


@intent("risk")
def medium_risk_timed_hold(rng):
    minutes, span = days(rng)
    return (
        f"When fraud analysis rates an order medium risk, put its fulfillment on hold as suspected "
        f"fraud, wait {span}, then release the hold.",
        flow(
            "order_risk_analyzed",
            [
                If(
                    "(order.riskLevel == 'MEDIUM')",
                    [
                        act("hold_fulfillment_order", reason="HIGH_RISK_OF_FRAUD"),
                        Wait(minutes),
                        act("release_fulfillment_order_hold"),
                    ],
                )
            ],
        ),
    )


@intent("customer")
def trial_tag_expiry(rng):
    n = pick(rng, [7, 14, 30])
    tag = pick(rng, ["trial", "sample-club", "intro-offer"])
    return (
        f"When a customer gets the tag '{tag}', remove that tag again {n} days later.",
        flow(
            "customer_tags_added",
            [If(tags_any("tags", tag), [Wait(n * 1440), act("remove_customer_tags", tags=[tag])])],
        ),
    )


@intent("marketing")
def fulfilled_wait_review_webhook(rng):
    minutes, span = days(rng)
    url = pick(
        rng, ["https://reviews.northbrew.co/invite", "https://api.tidalgear.com/review-invite"]
    )
    return (
        f"{span.capitalize()} after an order is fulfilled, POST the order number and customer email "
        f"as JSON to {url} so the review platform sends an invite.",
        flow(
            "order_fulfilled",
            [
                Wait(minutes),
                hook("POST", url, '{"order": "{{order.name}}", "email": "{{order.email}}"}'),
            ],
        ),
    )


# -------------------------------------------------------------------------- several conditions
@intent("risk")
def high_risk_big_cancel_else_hold(rng):
    x = amount(rng)
    return (
        f"When an order's fraud analysis finishes with high risk: if the order is over ${x}, cancel "
        "it as fraud with a refund and restock; if it is high risk but not over that amount, put its "
        "fulfillment on hold as suspected fraud instead.",
        flow(
            "order_risk_analyzed",
            [
                If(
                    "(order.riskLevel == 'HIGH')",
                    [
                        If(
                            f"({AMT} > {x})",
                            [act("cancel_order", reason="FRAUD", refund=True, restock=True)],
                            [act("hold_fulfillment_order", reason="HIGH_RISK_OF_FRAUD")],
                        )
                    ],
                )
            ],
        ),
    )


@intent("loyalty")
def promote_to_vip_once(rng):
    n, to = pick(rng, [3, 5, 8, 10]), mailbox(rng)
    return (
        f"When an order is paid: if the customer now has at least {n} orders and is not already "
        f"tagged 'VIP', tag them 'VIP' and email {to} their email address.",
        flow(
            "order_paid",
            [
                If(
                    f"(order.customer.numberOfOrders >= {n})",
                    [
                        If(
                            "(order.customer.tags none? |t| (t == 'VIP'))",
                            [
                                act("add_customer_tags", tags=["VIP"]),
                                email(to, "New VIP", "{{order.customer.email}} just became VIP."),
                            ],
                        )
                    ],
                )
            ],
        ),
    )


@intent("order")
def gift_note_or_attribute(rng):
    word, key = pick(rng, ["gift", "present"]), pick(rng, ["gift_wrap", "is_gift"])
    return (
        f"Tag a new order 'gift' if its note mentions '{word}' or it has a cart attribute named '{key}'.",
        flow(
            "order_created",
            [
                If(
                    f"((order.note include? '{word}') || (order.customAttributes any? |a| (a.key == '{key}')))",
                    [act("add_order_tags", tags=["gift"])],
                )
            ],
        ),
    )


@intent("customer")
def verified_student(rng):
    suffix = pick(rng, [".edu", ".ac.uk", ".edu.au"])
    return (
        f"When a customer signs up with a verified email address ending in '{suffix}', tag them 'student'.",
        flow(
            "customer_created",
            [
                If(
                    f"((customer.verifiedEmail == true) && (customer.email end_with? '{suffix}'))",
                    [act("add_customer_tags", tags=["student"])],
                )
            ],
        ),
    )


@intent("product")
def new_type_not_vendor_review(rng):
    t, v = product_type(rng), vendor(rng)
    return (
        f"When a new product of type '{t}' is created by any vendor other than {v}, set it to "
        "draft and tag it 'needs-review'.",
        flow(
            "product_created",
            [
                If(
                    f"((product.productType == '{t}') && (product.vendor != '{v}'))",
                    [
                        act("update_product_status", status="DRAFT"),
                        act("add_product_tags", tags=["needs-review"]),
                    ],
                )
            ],
        ),
    )


@intent("customer")
def wholesale_not_tax_exempt(rng):
    to = mailbox(rng)
    return (
        f"When a customer is tagged 'wholesale' but is not marked tax exempt, email {to} to sort "
        "out their exemption certificate.",
        flow(
            "customer_tags_added",
            [
                If(
                    "((tags any? |t| (t == 'wholesale')) && (customer.taxExempt == false))",
                    [
                        email(
                            to,
                            "Tax exemption needed",
                            "{{customer.email}} is wholesale but not tax exempt.",
                        )
                    ],
                )
            ],
        ),
    )


@intent("order-tags")
def priority_releases_hold(rng):
    tag = pick(rng, ["priority", "rush", "expedite"])
    return (
        f"When staff add the tag '{tag}' to an order whose fulfillment is on hold, release the hold.",
        flow(
            "order_tags_added",
            [
                If(
                    f"((tags any? |t| (t == '{tag}')) && (order.displayFulfillmentStatus == 'ON_HOLD'))",
                    [act("release_fulfillment_order_hold")],
                )
            ],
        ),
    )


@intent("draft")
def wholesale_customer_draft(rng):
    tag = pick(rng, ["wholesale", "trade", "b2b"])
    return (
        f"When a draft order is created for a customer tagged '{tag}', tag the draft order 'trade-quote'.",
        flow(
            "draft_order_created",
            [
                If(
                    tags_any("draftOrder.customer.tags", tag),
                    [act("add_draft_order_tags", tags=["trade-quote"])],
                )
            ],
        ),
    )


@intent("payments")
def digital_only_capture(rng):
    tag = pick(rng, ["digital", "download", "e-book"])
    return (
        f"When an order is created and every product in it is tagged '{tag}', capture the payment "
        "right away and archive the order (nothing ships).",
        flow(
            "order_created",
            [
                If(
                    f"(order.lineItems all? |li| (li.product.tags any? |t| (t == '{tag}')))",
                    [act("capture_payment"), act("archive_order")],
                )
            ],
        ),
    )


@intent("fulfillment")
def remote_states_us(rng):
    codes = pick(rng, [("HI", "AK", "Hawaii", "Alaska"), ("PR", "GU", "Puerto Rico", "Guam")])
    to = mailbox(rng)
    return (
        f"For new orders shipping to the United States where the state is {codes[2]} or "
        f"{codes[3]}, tag the order 'remote-shipping' and email {to} to book the freight.",
        flow(
            "order_created",
            [
                If(
                    f"((order.shippingAddress.countryCodeV2 == 'US') && ((order.shippingAddress.provinceCode == '{codes[0]}') || (order.shippingAddress.provinceCode == '{codes[1]}')))",
                    [
                        act("add_order_tags", tags=["remote-shipping"]),
                        email(
                            to, "Remote shipment {{order.name}}", "Book freight for {{order.name}}."
                        ),
                    ],
                )
            ],
        ),
    )


@intent("order")
def deep_discount_alert(rng):
    x, to = pick(rng, [30, 50, 75, 100]), mailbox(rng)
    return (
        f"If a new order got more than ${x} in discounts, tag it 'deep-discount' and email {to} "
        "the order number.",
        flow(
            "order_created",
            [
                If(
                    f"(order.totalDiscountsSet.shopMoney.amount > {x})",
                    [
                        act("add_order_tags", tags=["deep-discount"]),
                        email(
                            to,
                            "Big discount {{order.name}}",
                            "{{order.name}} had {{order.totalDiscountsSet.shopMoney.amount}} off.",
                        ),
                    ],
                )
            ],
        ),
    )


@intent("payments")
def capture_low_risk(rng):
    return (
        "When a new order can still be captured and its fraud risk is low, capture the payment.",
        flow(
            "order_created",
            [
                If(
                    "((order.capturable == true) && (order.riskLevel == 'LOW'))",
                    [act("capture_payment")],
                )
            ],
        ),
    )


@intent("loyalty")
def vip_removed_downgrade(rng):
    to = mailbox(rng)
    return (
        f"When the tag 'VIP' is removed from a customer, set their loyalty.tier metafield (single "
        f"line text) to 'standard' and email {to} about it.",
        flow(
            "customer_tags_removed",
            [
                If(
                    tags_any("tags", "VIP"),
                    [
                        act(
                            "update_customer_metafield",
                            namespace="loyalty",
                            key="tier",
                            value="standard",
                            type="single_line_text_field",
                        ),
                        email(to, "VIP removed", "{{customer.email}} is no longer VIP."),
                    ],
                )
            ],
        ),
    )


@intent("segment")
def left_segment_untag(rng):
    seg = pick(rng, ["VIP", "Wholesale", "Subscribers"])
    tag = seg.lower()
    return (
        f"When a customer leaves the '{seg}' segment, remove the tag '{tag}' from them.",
        flow(
            "customer_left_segment",
            [If(f"(segment.name == '{seg}')", [act("remove_customer_tags", tags=[tag])])],
        ),
    )


# ---------------------------------------------------------------- every action, several actions
@intent("risk")
def fraud_cancel_notify_tag(rng):
    to = mailbox(rng)
    return (
        "When fraud analysis rates an order high risk, cancel it as fraud with a refund and "
        f"restock, and let the customer know by email; also tag the customer 'fraud-suspect' and "
        f"email {to} the order number.",
        flow(
            "order_risk_analyzed",
            [
                If(
                    "(order.riskLevel == 'HIGH')",
                    [
                        act(
                            "cancel_order",
                            reason="FRAUD",
                            refund=True,
                            restock=True,
                            notify_customer=True,
                        ),
                        act("add_customer_tags", tags=["fraud-suspect"]),
                        email(
                            to,
                            "Fraud cancel {{order.name}}",
                            "{{order.name}} was cancelled as fraud.",
                        ),
                    ],
                )
            ],
        ),
    )


@intent("payments")
def bank_transfer_mark_paid(rng):
    tag = pick(rng, ["paid-by-transfer", "bank-received", "wire-ok"])
    return (
        f"When staff tag an order '{tag}', mark the order as paid and remove the tag "
        "'awaiting-transfer' from it.",
        flow(
            "order_tags_added",
            [
                If(
                    tags_any("tags", tag),
                    [
                        act("mark_order_as_paid"),
                        act("remove_order_tags", tags=["awaiting-transfer"]),
                    ],
                )
            ],
        ),
    )


@intent("refund")
def refund_reopen(rng):
    return (
        "When a refund is issued, re-open (unarchive) the order and tag it 'refunded'.",
        flow("refund_created", [act("unarchive_order"), act("add_order_tags", tags=["refunded"])]),
    )


@intent("integrations")
def deleted_order_webhook(rng):
    host = pick(rng, ["erp.northbrew.co", "books.tidalgear.com", "sync.kitecraft.io"])
    return (
        f"When an order is deleted, send a DELETE request to https://{host}/orders/ followed by "
        "the order's id, so our ERP drops it too.",
        flow("order_deleted", [hook("DELETE", f"https://{host}/orders/{{{{order.id}}}}")]),
    )


@intent("integrations")
def deleted_customer_privacy_email(rng):
    to = mailbox(rng)
    return (
        f"When a customer is deleted, email {to} with the customer's email address so we can "
        "remove them from our other tools.",
        flow(
            "customer_deleted",
            [email(to, "Customer deleted", "Remove {{customer.email}} everywhere.")],
        ),
    )


@intent("integrations")
def deleted_product_sync(rng):
    url = pick(rng, ["https://pim.lumenhome.shop/removed", "https://feed.fernandfox.store/delete"])
    return (
        f"When a product is deleted, POST its id and title as JSON to {url}.",
        flow(
            "product_deleted",
            [hook("POST", url, '{"id": "{{product.id}}", "title": "{{product.title}}"}')],
        ),
    )


@intent("collection")
def sale_collection_alert(rng):
    word, to = pick(rng, ["Sale", "Clearance", "Outlet"]), mailbox(rng)
    return (
        f"When a collection whose title contains '{word}' is created, email {to} so marketing can "
        "promote it.",
        flow(
            "collection_created",
            [
                If(
                    f"(collection.title include? '{word}')",
                    [email(to, "New collection", "{{collection.title}} is live.")],
                )
            ],
        ),
    )


@intent("integrations")
def wholesale_tax_exempt_api(rng):
    tag = pick(rng, ["tax-exempt", "reseller", "exempt-approved"])
    return (
        f"When a customer is tagged '{tag}', make them tax exempt. There is no ready-made action "
        "for this, so it has to run the Admin API mutation customerUpdate with taxExempt set to true "
        "for that customer.",
        flow(
            "customer_tags_added",
            [
                If(
                    tags_any("tags", tag),
                    [
                        act(
                            "send_admin_api_request",
                            mutation="mutation($id: ID!) { customerUpdate(input: {id: $id, taxExempt: true}) { customer { id } } }",
                            variables='{"id": "{{customer.id}}"}',
                        )
                    ],
                )
            ],
        ),
    )


@intent("marketing")
def free_gift_line_item(rng):
    x = amount(rng)
    variant = pick(
        rng,
        [
            "gid://shopify/ProductVariant/40011",
            "gid://shopify/ProductVariant/52877",
            "gid://shopify/ProductVariant/61234",
        ],
    )
    return (
        f"For new orders of ${x} or more, add one free gift to the order (the gift is variant "
        f"{variant}, quantity 1) and tag the order 'free-gift'.",
        flow(
            "order_created",
            [
                If(
                    f"({AMT} >= {x})",
                    [
                        act("add_order_line_item", variant_id=variant, quantity=1),
                        act("add_order_tags", tags=["free-gift"]),
                    ],
                )
            ],
        ),
    )


@intent("marketing")
def unsubscribe_on_tag(rng):
    tag = pick(rng, ["unsubscribe", "no-marketing", "do-not-email"])
    return (
        f"When a customer is tagged '{tag}', unsubscribe them from email marketing.",
        flow(
            "customer_tags_added",
            [
                If(
                    tags_any("tags", tag),
                    [act("update_customer_marketing_consent", state="UNSUBSCRIBED")],
                )
            ],
        ),
    )


@intent("marketing")
def subscribe_on_tag(rng):
    tag = pick(rng, ["newsletter-yes", "opt-in-pos", "signed-form"])
    return (
        f"Customers who agree to marketing at the counter are tagged '{tag}' by staff; when that "
        "tag is added, subscribe the customer to email marketing.",
        flow(
            "customer_tags_added",
            [
                If(
                    tags_any("tags", tag),
                    [act("update_customer_marketing_consent", state="SUBSCRIBED")],
                )
            ],
        ),
    )


@intent("order")
def shipping_zone_metafield(rng):
    codes = pick(rng, ["FR,DE,NL,BE", "IT,ES,PT", "SE,DK,FI,NO"])
    zone = pick(rng, ["EU-1", "zone-b", "nordics"])
    return (
        f"For new orders shipping to any of these countries: {codes.replace(',', ', ')}, set the "
        f"order metafield shipping.zone (single line text) to '{zone}'.",
        flow(
            "order_created",
            [
                If(
                    f"(order.shippingAddress.countryCodeV2 in? '{codes}')",
                    [
                        act(
                            "update_order_metafield",
                            namespace="shipping",
                            key="zone",
                            value=zone,
                            type="single_line_text_field",
                        )
                    ],
                )
            ],
        ),
    )


@intent("product")
def type_care_metafield(rng):
    t = product_type(rng)
    text = pick(rng, ["Hand wash only", "Store in a cool dry place", "Keep away from sunlight"])
    return (
        f"When a product of type '{t}' is created, set its product metafield care.instructions "
        f"(single line text) to '{text}'.",
        flow(
            "product_created",
            [
                If(
                    f"(product.productType == '{t}')",
                    [
                        act(
                            "update_product_metafield",
                            namespace="care",
                            key="instructions",
                            value=text,
                            type="single_line_text_field",
                        )
                    ],
                )
            ],
        ),
    )


@intent("fulfillment")
def fulfilled_clear_tags(rng):
    tags = pick(
        rng, [["unfulfilled", "awaiting-stock"], ["backorder"], ["packing", "label-printed"]]
    )
    return (
        f"When an order is fulfilled, remove these order tags: {', '.join(repr(t) for t in tags)}.",
        flow("order_fulfilled", [act("remove_order_tags", tags=tags)]),
    )


@intent("marketing")
def paid_clears_abandoned(rng):
    tag = pick(rng, ["abandoned-cart", "cart-left", "checkout-dropped"])
    return (
        f"When a customer pays for an order, remove the '{tag}' tag from the customer.",
        flow("order_paid", [act("remove_customer_tags", tags=[tag])]),
    )


@intent("product")
def draft_to_active_launch(rng):
    to = mailbox(rng)
    return (
        f"When a product goes from draft to active, publish it to the online store and email {to} "
        "its title.",
        flow(
            "product_status_updated",
            [
                If(
                    "((oldStatus == 'DRAFT') && (product.status == 'ACTIVE'))",
                    [
                        act("publish_product"),
                        email(to, "Launched", "{{product.title}} is now active."),
                    ],
                )
            ],
        ),
    )


@intent("product")
def archived_unfeature(rng):
    tag = pick(rng, ["featured", "homepage", "bestseller"])
    return (
        f"When a product is archived, remove its '{tag}' tag and hide it from the online store.",
        flow(
            "product_status_updated",
            [
                If(
                    "(product.status == 'ARCHIVED')",
                    [act("remove_product_tags", tags=[tag]), act("unpublish_product")],
                )
            ],
        ),
    )


@intent("order-tags")
def hold_tag_removed_release(rng):
    tag = pick(rng, ["hold", "on-hold", "review"])
    return (
        f"When the tag '{tag}' is removed from an order, release its fulfillment hold.",
        flow(
            "order_tags_removed",
            [If(tags_any("tags", tag), [act("release_fulfillment_order_hold")])],
        ),
    )


@intent("fulfillment")
def missing_tracking_alert(rng):
    to = mailbox(rng)
    return (
        f"When a fulfillment is created without a tracking company, email {to} with the order "
        "number so someone adds tracking.",
        flow(
            "fulfillment_created",
            [
                If(
                    "(fulfillment.trackingCompany empty_or_nil?)",
                    [email(to, "No tracking on {{order.name}}", "Add tracking to {{order.name}}.")],
                )
            ],
        ),
    )


@intent("fulfillment")
def fulfillment_error_escalate(rng):
    to = mailbox(rng)
    return (
        f"When a fulfillment is created with status error or failure, tag the order "
        f"'shipping-problem' and email {to}.",
        flow(
            "fulfillment_created",
            [
                If(
                    "(fulfillment.status in? 'ERROR,FAILURE')",
                    [
                        act("add_order_tags", tags=["shipping-problem"]),
                        email(to, "Fulfillment failed", "Check {{order.name}}."),
                    ],
                )
            ],
        ),
    )


@intent("customer")
def abroad_signup_note(rng):
    code, name = country(rng)
    return (
        f"When a new customer's default address is outside {name} (country code {code}), tag them "
        "'international' and set their customer note to 'Quote international shipping'.",
        flow(
            "customer_created",
            [
                If(
                    f"(customer.defaultAddress.countryCodeV2 != '{code}')",
                    [
                        act("add_customer_tags", tags=["international"]),
                        act("update_customer_note", note="Quote international shipping"),
                    ],
                )
            ],
        ),
    )


@intent("marketing")
def big_cart_abandon_webhook(rng):
    n = pick(rng, [3, 5, 10])
    url = pick(rng, ["https://hooks.northbrew.co/bigcart", "https://crm.lumenhome.shop/cart-alert"])
    return (
        f"When a checkout with {n} or more items is abandoned, POST the customer's email as JSON to {url}.",
        flow(
            "customer_abandonment",
            [
                If(
                    f"(abandonment.abandonedCheckoutPayload.lineItemsQuantity >= {n})",
                    [hook("POST", url, '{"email": "{{customer.email}}"}')],
                )
            ],
        ),
    )


@intent("customer")
def lost_first_order(rng):
    return (
        "When an order is cancelled and it was the customer's only order, tag the customer "
        "'lost-first-order'.",
        flow(
            "order_cancelled",
            [
                If(
                    "(order.customer.numberOfOrders <= 1)",
                    [act("add_customer_tags", tags=["lost-first-order"])],
                )
            ],
        ),
    )


@intent("inventory")
def low_stock_tag_supplier(rng):
    n = pick(rng, [5, 10, 25])
    url = pick(rng, ["https://supplier.example.net/restock", "https://po.tidalgear.com/new"])
    return (
        f"When a variant's stock falls below {n} (it was at {n} or more before), tag the product "
        f"'low-stock' and POST the variant's SKU as JSON to {url}.",
        flow(
            "product_variant_inventory_quantity_changed",
            [
                If(
                    f"((productVariant.inventoryQuantity < {n}) && (inventoryQuantityPrior >= {n}))",
                    [
                        act("add_product_tags", tags=["low-stock"]),
                        hook("POST", url, '{"sku": "{{productVariant.sku}}"}'),
                    ],
                )
            ],
        ),
    )


@intent("inventory")
def back_in_stock_relist(rng):
    tag = pick(rng, ["sold-out", "out-of-stock"])
    return (
        f"When a variant comes back in stock (it had 0 or fewer and now has more than 0), publish "
        f"the product and remove its '{tag}' tag.",
        flow(
            "product_variant_inventory_quantity_changed",
            [
                If(
                    "((productVariant.inventoryQuantity > 0) && (inventoryQuantityPrior <= 0))",
                    [act("publish_product"), act("remove_product_tags", tags=[tag])],
                )
            ],
        ),
    )


@intent("order")
def gift_card_note(rng):
    return (
        "When an order is paid and any item in it is a gift card (product type 'Gift Card'), set "
        "the order note to 'Contains gift card - no shipping label'.",
        flow(
            "order_paid",
            [
                If(
                    "(order.lineItems any? |li| (li.product.productType == 'Gift Card'))",
                    [act("update_order_note", note="Contains gift card - no shipping label")],
                )
            ],
        ),
    )


@intent("risk")
def blocked_customer_cancel(rng):
    tag, to = pick(rng, ["blocked", "banned", "chargeback"]), mailbox(rng)
    return (
        f"When a new order comes from a customer tagged '{tag}', cancel it (reason: other, with a "
        f"refund and restock) and email {to}.",
        flow(
            "order_created",
            [
                If(
                    tags_any("order.customer.tags", tag),
                    [
                        act("cancel_order", reason="OTHER", refund=True, restock=True),
                        email(
                            to,
                            "Blocked customer order",
                            "{{order.name}} from {{order.email}} was cancelled.",
                        ),
                    ],
                )
            ],
        ),
    )


@intent("fulfillment")
def zip_prefix_tag(rng):
    prefix, tag = pick(
        rng, [("9", "west-coast"), ("10", "nyc-area"), ("SW", "london-sw"), ("M5", "toronto-core")]
    )
    return (
        f"Tag new orders whose shipping postcode starts with '{prefix}' as '{tag}'.",
        flow(
            "order_created",
            [
                If(
                    f"(order.shippingAddress.zip start_with? '{prefix}')",
                    [act("add_order_tags", tags=[tag])],
                )
            ],
        ),
    )


@intent("fulfillment")
def local_delivery_city(rng):
    city = pick(rng, ["Portland", "Leeds", "Melbourne", "Utrecht", "Halifax"])
    return (
        f"For new orders shipping to the city of {city}, tag the order 'local-delivery' and set its "
        "note to 'Deliver by bike courier'.",
        flow(
            "order_created",
            [
                If(
                    f"(order.shippingAddress.city == '{city}')",
                    [
                        act("add_order_tags", tags=["local-delivery"]),
                        act("update_order_note", note="Deliver by bike courier"),
                    ],
                )
            ],
        ),
    )


@intent("customer")
def missing_first_name_note(rng):
    return (
        "When a customer account is created without a first name, set the customer note to "
        "'Missing first name - ask at next order'.",
        flow(
            "customer_created",
            [
                If(
                    "(customer.firstName empty_or_nil?)",
                    [act("update_customer_note", note="Missing first name - ask at next order")],
                )
            ],
        ),
    )


@intent("product")
def zero_stock_new_unpublish(rng):
    return (
        "When a product is created with a total inventory of 0, hide it from the online store.",
        flow("product_created", [If("(product.totalInventory == 0)", [act("unpublish_product")])]),
    )


@intent("product")
def sample_title_archive(rng):
    word = pick(rng, ["Sample", "TEST", "Do not sell"])
    return (
        f"When a product is created with '{word}' in its title, tag it 'internal' and set its "
        "status to archived.",
        flow(
            "product_created",
            [
                If(
                    f"(product.title include? '{word}')",
                    [
                        act("add_product_tags", tags=["internal"]),
                        act("update_product_status", status="ARCHIVED"),
                    ],
                )
            ],
        ),
    )


@intent("draft")
def draft_domain_notify(rng):
    domain, to = pick(rng, ["@acmecorp.com", "@hotelgroup.com", "@cityschools.edu"]), mailbox(rng)
    return (
        f"When a draft order is created for an email address ending in '{domain}', tag the draft "
        f"'key-account' and email {to} with the draft's name.",
        flow(
            "draft_order_created",
            [
                If(
                    f"(draftOrder.email end_with? '{domain}')",
                    [
                        act("add_draft_order_tags", tags=["key-account"]),
                        email(to, "Key account draft", "{{draftOrder.name}} was created."),
                    ],
                )
            ],
        ),
    )


@intent("refund")
def damaged_refund(rng):
    word, to = pick(rng, ["damaged", "broken", "defect"]), mailbox(rng)
    return (
        f"When a refund is issued with a note mentioning '{word}', tag the order 'damaged-goods' "
        f"and email {to} (quality team) the order number.",
        flow(
            "refund_created",
            [
                If(
                    f"(refund.note include? '{word}')",
                    [
                        act("add_order_tags", tags=["damaged-goods"]),
                        email(
                            to, "Damaged goods refund", "{{order.name}} was refunded for damage."
                        ),
                    ],
                )
            ],
        ),
    )


@intent("loyalty")
def wholesale_removed_retail_tier(rng):
    return (
        "When the tag 'wholesale' is removed from a customer, set their customer metafield "
        "pricing.tier (single line text) to 'retail'.",
        flow(
            "customer_tags_removed",
            [
                If(
                    tags_any("tags", "wholesale"),
                    [
                        act(
                            "update_customer_metafield",
                            namespace="pricing",
                            key="tier",
                            value="retail",
                            type="single_line_text_field",
                        )
                    ],
                )
            ],
        ),
    )


@intent("integrations")
def paid_order_erp_put(rng):
    host = pick(rng, ["erp.northbrew.co", "books.tidalgear.com"])
    return (
        f"When an order is paid, send a PUT request to https://{host}/orders/ followed by the order "
        "number, with the order total as JSON.",
        flow(
            "order_paid",
            [
                hook(
                    "PUT",
                    f"https://{host}/orders/{{{{order.name}}}}",
                    '{"total": "{{order.totalPriceSet.shopMoney.amount}}"}',
                )
            ],
        ),
    )


@intent("order")
def loyal_no_discount_points(rng):
    n = pick(rng, [2, 3, 5])
    return (
        f"When an order is paid with no discount at all (discounts of 0) by a customer with more "
        f"than {n} orders, set the order metafield loyalty.points_bonus (integer) to 2.",
        flow(
            "order_paid",
            [
                If(
                    f"((order.totalDiscountsSet.shopMoney.amount == 0) && (order.customer.numberOfOrders > {n}))",
                    [
                        act(
                            "update_order_metafield",
                            namespace="loyalty",
                            key="points_bonus",
                            value="2",
                            type="number_integer",
                        )
                    ],
                )
            ],
        ),
    )


@intent("customer")
def joined_segment_subscribe_webhook(rng):
    seg = pick(rng, ["Newsletter leads", "Event attendees"])
    url = pick(rng, ["https://crm.lumenhome.shop/segments", "https://hooks.fernandfox.store/seg"])
    return (
        f"When a customer joins the '{seg}' segment, tag them 'lead' and POST their email as JSON to {url}.",
        flow(
            "customer_joined_segment",
            [
                If(
                    f"(segment.name == '{seg}')",
                    [
                        act("add_customer_tags", tags=["lead"]),
                        hook("POST", url, '{"email": "{{customer.email}}"}'),
                    ],
                )
            ],
        ),
    )


@intent("order")
def currency_not_shop(rng):
    cur = pick(rng, [("EUR", "euros"), ("GBP", "pounds"), ("CAD", "Canadian dollars")])
    return (
        f"Tag new orders paid in {cur[1]} (presentment currency {cur[0]}) as 'fx-{cur[0].lower()}'.",
        flow(
            "order_created",
            [
                If(
                    f"(order.totalPriceSet.presentmentMoney.currencyCode == '{cur[0]}')",
                    [act("add_order_tags", tags=[f"fx-{cur[0].lower()}"])],
                )
            ],
        ),
    )


@intent("order-tags")
def order_tag_to_customer_tag(rng):
    tag = pick(rng, ["influencer", "press", "partner"])
    return (
        f"When an order is tagged '{tag}', tag its customer '{tag}' too.",
        flow(
            "order_tags_added", [If(tags_any("tags", tag), [act("add_customer_tags", tags=[tag])])]
        ),
    )


@intent("customer")
def tags_added_vip_note_metafield(rng):
    return (
        "When a customer is tagged 'VIP', set their customer note to 'VIP since tagging' and set "
        "the customer metafield loyalty.vip (true/false) to true.",
        flow(
            "customer_tags_added",
            [
                If(
                    tags_any("tags", "VIP"),
                    [
                        act("update_customer_note", note="VIP since tagging"),
                        act(
                            "update_customer_metafield",
                            namespace="loyalty",
                            key="vip",
                            value="true",
                            type="boolean",
                        ),
                    ],
                )
            ],
        ),
    )


@intent("customer")
def disabled_account_note(rng):
    return (
        "When a customer account is created in the disabled state (no login yet), tag the "
        "customer 'needs-invite'.",
        flow(
            "customer_created",
            [
                If(
                    "(customer.state == 'DISABLED')",
                    [act("add_customer_tags", tags=["needs-invite"])],
                )
            ],
        ),
    )

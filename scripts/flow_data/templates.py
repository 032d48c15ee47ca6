"""Today's template recipes: 38 intents with engineer-written phrasings and random parameters,
plus for-each and scheduled documents and hand-written clarify/refuse requests.

These make the benchmark's ``source:template`` items (honest as training material: they are
templates, and the test split never holds their skeletons). The code and its random stream are
unchanged from the first builder, so the items (and the frozen golden candidates drawn from them)
come out byte-identical.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from evalwheel_flow.agent.compact import to_workflow
from evalwheel_flow.catalog import load_catalog
from evalwheel_flow.validator import validate
from evalwheel_flow.workflow import Workflow

CATALOG = load_catalog()
AMOUNT = "order.totalPriceSet.shopMoney.amount"

Recipe = Callable[[random.Random], tuple[list[str], dict, list[str]]]
RECIPES: list[tuple[str, Recipe]] = []


def recipe(family: str):
    def register(fn: Recipe) -> Recipe:
        RECIPES.append((family, fn))
        return fn

    return register


def tag_word(rng):
    return rng.choice(
        [
            "VIP",
            "big-spender",
            "wholesale",
            "priority",
            "review",
            "loyal",
            "high-value",
            "gold",
            "hold",
            "fraud-check",
        ]
    )


def money(rng):
    return rng.choice([25, 50, 75, 100, 150, 200, 250, 300, 500, 750, 1000, 2000])


def email(rng):
    return rng.choice(
        ["ops@", "team@", "alerts@", "owner@", "fulfillment@", "support@"]
    ) + rng.choice(["example.com", "myshop.test", "store.example"])


def answer(trigger, conditions, actions, **extra):
    return {
        "outcome": "workflow",
        "trigger": trigger,
        "conditions": conditions,
        "actions": actions,
        **extra,
    }


@recipe("order")
def order_over(rng):
    amount, tag = money(rng), tag_word(rng)
    op, word = rng.choice([(">", "over"), (">=", "at least"), ("<", "under"), ("<=", "at most")])
    target = rng.choice(["order", "customer"])
    action = "add_order_tags" if target == "order" else "add_customer_tags"
    texts = [
        f"When an order is {word} ${amount}, tag the {target} {tag}.",
        f"Tag the {target} '{tag}' for orders {word} ${amount}",
        f"I want every order {word} {amount} dollars to get the {tag} tag on the {target}.",
        f"{target} tag {tag} if order total {op} {amount}",
    ]
    return (
        texts,
        answer("order_created", [f"({AMOUNT} {op} {amount})"], [{"action": action, "tags": [tag]}]),
        ["op:" + op],
    )


@recipe("order")
def order_not_equal_source(rng):
    source = rng.choice(["pos", "web", "shopify_draft_order"])
    tag = rng.choice(["online", "not-pos", "remote"])
    texts = [
        f"Tag every order that did not come from {source} as {tag}.",
        f"If the order source isn't {source}, add tag {tag}",
    ]
    return (
        texts,
        answer(
            "order_created",
            [f"(order.sourceName != '{source}')"],
            [{"action": "add_order_tags", "tags": [tag]}],
        ),
        ["op:!="],
    )


@recipe("order")
def order_country(rng):
    country, name = rng.choice(
        [
            ("CA", "Canada"),
            ("GB", "the UK"),
            ("DE", "Germany"),
            ("AU", "Australia"),
            ("FR", "France"),
        ]
    )
    tag = rng.choice(["international", "export", "intl"])
    texts = [
        f"Tag orders shipping to {name} with {tag}.",
        f"Orders going to {name} should get the tag {tag}",
    ]
    return (
        texts,
        answer(
            "order_created",
            [f"(order.shippingAddress.countryCodeV2 == '{country}')"],
            [{"action": "add_order_tags", "tags": [tag]}],
        ),
        ["op:=="],
    )


@recipe("order")
def order_countries_in(rng):
    countries = rng.sample(["GB", "FR", "DE", "ES", "IT", "NL"], 3)
    negate = rng.random() < 0.4
    tag = "outside-eu-core" if negate else "eu"
    op = "not_in?" if negate else "in?"
    texts = [f"Tag orders {'not ' if negate else ''}shipping to {', '.join(countries)} as {tag}."]
    return (
        texts,
        answer(
            "order_created",
            [f"(order.shippingAddress.countryCodeV2 {op} '{','.join(countries)}')"],
            [{"action": "add_order_tags", "tags": [tag]}],
        ),
        ["op:" + op],
    )


@recipe("order")
def order_note_keyword(rng):
    word = rng.choice(["gift", "express", "urgent", "fragile", "rush"])
    negate = rng.random() < 0.3
    op = "not_include?" if negate else "include?"
    tag = f"no-{word}" if negate else word
    texts = [
        f"If the order note {'does not mention' if negate else 'mentions'} '{word}', tag the order {tag}.",
        f"Add the tag {tag} when the note {'lacks' if negate else 'contains'} the word {word}",
    ]
    return (
        texts,
        answer(
            "order_created",
            [f"(order.note {op} '{word}')"],
            [{"action": "add_order_tags", "tags": [tag]}],
        ),
        ["op:" + op],
    )


@recipe("order")
def order_email_domain(rng):
    domain = rng.choice([".edu", "@gmail.com", ".gov", "@company.example"])
    negate = rng.random() < 0.3
    op = "not_end_with?" if negate else "end_with?"
    tag = "non-" + domain.strip(".@").split(".")[0] if negate else domain.strip(".@").split(".")[0]
    texts = [
        f"Tag orders whose email {'does not end' if negate else 'ends'} with {domain} as {tag}."
    ]
    return (
        texts,
        answer(
            "order_created",
            [f"(order.email {op} '{domain}')"],
            [{"action": "add_order_tags", "tags": [tag]}],
        ),
        ["op:" + op],
    )


@recipe("order")
def order_name_prefix(rng):
    prefix = rng.choice(["#W", "#B2B", "#EU", "#TEST"])
    negate = rng.random() < 0.3
    op = "not_start_with?" if negate else "start_with?"
    tag = rng.choice(["channel-a", "b2b", "regional", "test"])
    texts = [
        f"When an order number {'does not start' if negate else 'starts'} with {prefix}, tag it {tag}."
    ]
    return (
        texts,
        answer(
            "order_created",
            [f"(order.name {op} '{prefix}')"],
            [{"action": "add_order_tags", "tags": [tag]}],
        ),
        ["op:" + op],
    )


@recipe("order")
def order_discount_codes(rng):
    used = rng.random() < 0.5
    op = "not_empty_and_not_nil?" if used else "empty_or_nil?"
    tag = "discounted" if used else "full-price"
    texts = [
        f"Tag orders that {'used' if used else 'used no'} discount code as {tag}.",
        f"{tag} tag for orders {'with' if used else 'without'} a discount code",
    ]
    return (
        texts,
        answer(
            "order_created",
            [f"(order.discountCodes {op})"],
            [{"action": "add_order_tags", "tags": [tag]}],
        ),
        ["op:" + op],
    )


@recipe("order")
def order_no_shipping(rng):
    missing = rng.random() < 0.5
    op = "nil?" if missing else "not_nil?"
    tag = "no-shipping" if missing else "ships"
    texts = [f"Tag orders {'without' if missing else 'with'} a shipping address as {tag}."]
    return (
        texts,
        answer(
            "order_created",
            [f"(order.shippingAddress {op})"],
            [{"action": "add_order_tags", "tags": [tag]}],
        ),
        ["op:" + op],
    )


@recipe("lists")
def order_product_tag_any(rng):
    tag = rng.choice(["presale", "preorder", "fragile", "clearance"])
    texts = [
        f"Tag the order {tag} if any product in it is tagged {tag}.",
        f"Orders containing a {tag} product should be tagged {tag}",
    ]
    cond = f"(order.lineItems any? |li| (li.product.tags any? |t| (t == '{tag}')))"
    return (
        texts,
        answer("order_created", [cond], [{"action": "add_order_tags", "tags": [tag]}]),
        ["op:any?", "lists"],
    )


@recipe("lists")
def order_all_items_type(rng):
    kind = rng.choice(["Gift Card", "Digital", "Subscription"])
    tag = kind.lower().replace(" ", "-")
    texts = [f"If every item in the order is a {kind} product, tag the order {tag}-only."]
    cond = f"(order.lineItems all? |li| (li.product.productType == '{kind}'))"
    return (
        texts,
        answer("order_created", [cond], [{"action": "add_order_tags", "tags": [f"{tag}-only"]}]),
        ["op:all?", "lists"],
    )


@recipe("lists")
def order_no_item_vendor(rng):
    vendor = rng.choice(["Acme", "Globex", "Initech"])
    texts = [f"Tag orders with no {vendor} items as no-{vendor.lower()}."]
    cond = f"(order.lineItems none? |li| (li.vendor == '{vendor}'))"
    return (
        texts,
        answer(
            "order_created",
            [cond],
            [{"action": "add_order_tags", "tags": [f"no-{vendor.lower()}"]}],
        ),
        ["op:none?", "lists"],
    )


@recipe("risk")
def risk_action(rng):
    level = rng.choice(["HIGH", "MEDIUM"])
    choice = rng.randrange(3)
    if choice == 0:
        actions = [{"action": "hold_fulfillment_order", "reason": "HIGH_RISK_OF_FRAUD"}]
        verb = "hold fulfillment for"
    elif choice == 1:
        actions = [{"action": "cancel_order", "reason": "FRAUD", "refund": True, "restock": True}]
        verb = "cancel, refund and restock"
    else:
        to = email(rng)
        actions = [
            {
                "action": "send_internal_email",
                "to": to,
                "subject": "Risky order {{order.name}}",
                "body": "Please review {{order.name}}.",
            }
        ]
        verb = f"email {to} about"
    texts = [
        f"{verb.capitalize()} orders with {level.lower()} fraud risk.",
        f"When risk analysis says {level.lower()}, {verb} the order",
    ]
    return (
        texts,
        answer("order_risk_analyzed", [f"(order.riskLevel == '{level}')"], actions),
        ["risk"],
    )


@recipe("payments")
def capture_authorized(rng):
    texts = [
        "Capture payment automatically for authorized orders.",
        "Auto-capture when the payment is authorized",
    ]
    return (
        texts,
        answer(
            "order_created",
            ["(order.displayFinancialStatus == 'AUTHORIZED')"],
            [{"action": "capture_payment"}],
        ),
        ["payments"],
    )


@recipe("payments")
def paid_metafield(rng):
    amount, tier = money(rng), rng.choice(["gold", "silver", "platinum"])
    texts = [
        f"When an order over ${amount} is paid, set the customer's loyalty.tier metafield to {tier}."
    ]
    actions = [
        {
            "action": "update_customer_metafield",
            "namespace": "loyalty",
            "key": "tier",
            "value": tier,
            "type": "single_line_text_field",
        }
    ]
    return texts, answer("order_paid", [f"({AMOUNT} > {amount})"], actions), ["metafield", "op:>"]


@recipe("customer")
def customer_spent(rng):
    amount, tag = money(rng) * 2, tag_word(rng)
    texts = [
        f"Tag customers {tag} once they have spent ${amount} or more.",
        f"Customers with lifetime spend of at least {amount} get the tag {tag}",
    ]
    return (
        texts,
        answer(
            "order_paid",
            [f"(order.customer.amountSpent.amount >= {amount})"],
            [{"action": "add_customer_tags", "tags": [tag]}],
        ),
        ["op:>="],
    )


@recipe("customer")
def customer_orders_count(rng):
    n = rng.choice([2, 3, 5, 10])
    texts = [
        f"Tag customers with more than {n} orders as repeat.",
        f"Repeat buyer tag when order count > {n}",
    ]
    return (
        texts,
        answer(
            "order_paid",
            [f"(order.customer.numberOfOrders > {n})"],
            [{"action": "add_customer_tags", "tags": ["repeat"]}],
        ),
        ["op:>"],
    )


@recipe("customer")
def new_customer(rng):
    tag = rng.choice(["new", "welcome", "first-timer"])
    texts = [f"Tag every new customer {tag}.", f"Add {tag} to customers when they sign up"]
    return (
        texts,
        answer("customer_created", [], [{"action": "add_customer_tags", "tags": [tag]}]),
        ["no-condition"],
    )


@recipe("customer")
def customer_subscribed(rng):
    texts = [
        "Tag new customers who accept email marketing as subscriber.",
        "If a new customer subscribes to emails, tag them subscriber",
    ]
    return (
        texts,
        answer(
            "customer_created",
            ["(customer.emailMarketingConsent.marketingState == 'SUBSCRIBED')"],
            [{"action": "add_customer_tags", "tags": ["subscriber"]}],
        ),
        ["op:=="],
    )


@recipe("customer")
def tagged_vip_email(rng):
    to = email(rng)
    texts = [
        f"When a customer is tagged VIP, email {to}.",
        f"Notify {to} whenever someone gets the VIP tag",
    ]
    actions = [
        {
            "action": "send_internal_email",
            "to": to,
            "subject": "New VIP",
            "body": "{{customer.email}} is now VIP.",
        }
    ]
    return (
        texts,
        answer("customer_tags_added", ["(tags any? |t| (t == 'VIP'))"], actions),
        ["op:any?", "email"],
    )


@recipe("customer")
def joined_segment_note(rng):
    segment = rng.choice(["Wholesale", "Lapsed", "High value"])
    texts = [
        f"When a customer joins the {segment} segment, set their note to 'Segment: {segment}'."
    ]
    return (
        texts,
        answer(
            "customer_joined_segment",
            [f"(segment.name == '{segment}')"],
            [{"action": "update_customer_note", "note": f"Segment: {segment}"}],
        ),
        ["op:=="],
    )


@recipe("customer")
def abandoned_checkout(rng):
    amount = money(rng)
    texts = [f"Tag customers who abandon a checkout worth more than ${amount} as abandoned-cart."]
    cond = f"(abandonment.abandonedCheckoutPayload.totalPriceSet.shopMoney.amount > {amount})"
    return (
        texts,
        answer(
            "customer_abandonment",
            [cond],
            [{"action": "add_customer_tags", "tags": ["abandoned-cart"]}],
        ),
        ["op:>"],
    )


@recipe("product")
def product_archived(rng):
    texts = [
        "When a product is archived, tag it discontinued.",
        "Archived products should get the discontinued tag",
    ]
    return (
        texts,
        answer(
            "product_status_updated",
            ["(product.status == 'ARCHIVED')"],
            [{"action": "add_product_tags", "tags": ["discontinued"]}],
        ),
        ["op:=="],
    )


@recipe("product")
def product_vendor(rng):
    vendor = rng.choice(["Acme", "Globex", "Umbrella"])
    texts = [
        f"Tag new products from {vendor} with {vendor.lower()}.",
        f"New {vendor} products get tag {vendor.lower()}",
    ]
    return (
        texts,
        answer(
            "product_created",
            [f"(product.vendor == '{vendor}')"],
            [{"action": "add_product_tags", "tags": [vendor.lower()]}],
        ),
        ["op:=="],
    )


@recipe("product")
def product_draft_on_create(rng):
    texts = [
        "Set every new product to draft until we review it.",
        "New products should start as drafts",
    ]
    return (
        texts,
        answer("product_created", [], [{"action": "update_product_status", "status": "DRAFT"}]),
        ["no-condition"],
    )


@recipe("inventory")
def low_stock(rng):
    n, to = rng.choice([3, 5, 10, 20]), email(rng)
    texts = [
        f"Email {to} when a variant's inventory drops below {n}.",
        f"Low stock alert to {to} under {n} units",
    ]
    cond = f"((productVariant.inventoryQuantity < {n}) && (inventoryQuantityPrior >= {n}))"
    actions = [
        {
            "action": "send_internal_email",
            "to": to,
            "subject": "Low stock: {{product.title}}",
            "body": "{{productVariant.sku}} is below " + str(n) + ".",
        }
    ]
    return (
        texts,
        answer("product_variant_inventory_quantity_changed", [cond], actions),
        ["inventory", "multi-condition", "op:&&"],
    )


@recipe("inventory")
def out_of_stock_unpublish(rng):
    texts = [
        "Unpublish a product when its variant sells out.",
        "Hide products from the store once stock hits zero",
    ]
    cond = "((productVariant.inventoryQuantity <= 0) && (inventoryQuantityPrior > 0))"
    return (
        texts,
        answer(
            "product_variant_inventory_quantity_changed", [cond], [{"action": "unpublish_product"}]
        ),
        ["inventory", "multi-condition", "op:<="],
    )


@recipe("order")
def either_or(rng):
    amount, word = money(rng) * 2, rng.choice(["express", "rush"])
    texts = [f"Tag an order priority if it is over ${amount} or its note mentions {word}."]
    cond = f"(({AMOUNT} > {amount}) || (order.note include? '{word}'))"
    return (
        texts,
        answer("order_created", [cond], [{"action": "add_order_tags", "tags": ["priority"]}]),
        ["multi-condition", "op:||"],
    )


@recipe("order")
def province_and_amount(rng):
    province, amount = (
        rng.choice([("CA", "California"), ("NY", "New York"), ("ON", "Ontario")]),
        money(rng),
    )
    texts = [f"Tag orders from {province[1]} over ${amount} as regional-high-value."]
    cond = f"((order.shippingAddress.provinceCode == '{province[0]}') && ({AMOUNT} > {amount}))"
    return (
        texts,
        answer(
            "order_created", [cond], [{"action": "add_order_tags", "tags": ["regional-high-value"]}]
        ),
        ["multi-condition", "op:&&"],
    )


@recipe("order")
def multi_action_big(rng):
    amount, to = money(rng) * 4, email(rng)
    texts = [
        f"For orders over ${amount}: tag the order review, tag the customer big-spender and email {to}."
    ]
    actions = [
        {"action": "add_order_tags", "tags": ["review"]},
        {"action": "add_customer_tags", "tags": ["big-spender"]},
        {
            "action": "send_internal_email",
            "to": to,
            "subject": "Big order {{order.name}}",
            "body": "Total {{order.totalPriceSet.shopMoney.amount}}",
        },
    ]
    return (
        texts,
        answer("order_created", [f"({AMOUNT} > {amount})"], actions),
        ["multi-action", "op:>"],
    )


@recipe("order")
def webhook(rng):
    amount = money(rng) * 10
    texts = [
        f"Send a POST to https://hooks.example.com/orders with the order name for orders over ${amount}."
    ]
    actions = [
        {
            "action": "send_http_request",
            "method": "POST",
            "url": "https://hooks.example.com/orders",
            "headers": '[{"key": "Content-Type", "value": "application/json"}]',
            "body": '{"order": "{{order.name}}"}',
        }
    ]
    return texts, answer("order_created", [f"({AMOUNT} > {amount})"], actions), ["http"]


@recipe("fulfillment")
def fulfilled_archive(rng):
    texts = [
        "Archive orders once they are fulfilled and paid.",
        "Close paid orders after fulfillment",
    ]
    return (
        texts,
        answer(
            "order_fulfilled",
            ["(order.displayFinancialStatus == 'PAID')"],
            [{"action": "archive_order"}],
        ),
        ["op:=="],
    )


@recipe("fulfillment")
def fulfillment_created_note(rng):
    carrier = rng.choice(["UPS", "DHL", "FedEx"])
    texts = [
        f"When a fulfillment ships with {carrier}, add the order note 'Shipped with {carrier}'."
    ]
    return (
        texts,
        answer(
            "fulfillment_created",
            [f"(fulfillment.trackingCompany == '{carrier}')"],
            [{"action": "update_order_note", "note": f"Shipped with {carrier}"}],
        ),
        ["op:=="],
    )


@recipe("refund")
def refund_tag(rng):
    texts = [
        "When a refund is issued, tag the customer had-refund.",
        "Tag customers who got a refund",
    ]
    return (
        texts,
        answer("refund_created", [], [{"action": "add_customer_tags", "tags": ["had-refund"]}]),
        ["no-condition"],
    )


@recipe("order")
def cancelled_note(rng):
    texts = [
        "When an order is cancelled, tag the customer had-cancellation.",
        "Customers who cancel get tag had-cancellation",
    ]
    return (
        texts,
        answer(
            "order_cancelled", [], [{"action": "add_customer_tags", "tags": ["had-cancellation"]}]
        ),
        ["no-condition"],
    )


@recipe("draft")
def draft_tag(rng):
    texts = ["Tag every new draft order quote.", "Draft orders should be tagged quote when created"]
    return (
        texts,
        answer("draft_order_created", [], [{"action": "add_draft_order_tags", "tags": ["quote"]}]),
        ["no-condition"],
    )


@recipe("collection")
def collection_email(rng):
    to = email(rng)
    texts = [f"Email {to} whenever a collection is created."]
    actions = [
        {
            "action": "send_internal_email",
            "to": to,
            "subject": "New collection",
            "body": "{{collection.title}} was created.",
        }
    ]
    return texts, answer("collection_created", [], actions), ["no-condition", "email"]


@recipe("order-tags")
def order_tag_added_hold(rng):
    texts = [
        "When an order gets the tag hold, put its fulfillment on hold.",
        "Hold fulfillment if someone tags an order hold",
    ]
    actions = [{"action": "hold_fulfillment_order", "reason": "OTHER"}]
    return (
        texts,
        answer("order_tags_added", ["(tags any? |t| (t == 'hold'))"], actions),
        ["op:any?"],
    )


def build_special(kind: str, rng: random.Random) -> tuple[list[str], dict, list[str]]:
    """For-each and scheduled workflows, written as full documents (the template recipes predate
    the compact form's loops and schedules; kept as they are so the old items stay identical)."""
    if kind == "foreach":
        tag = rng.choice(["sold", "popular", "in-demand", "bestseller", "moving", "reorder"])
        data = {
            "__metadata": {"version": 0.1},
            "root": {
                "workflow_name": "",
                "patched_fields": [],
                "steps": [
                    {
                        "step_id": "trigger",
                        "task_id": "shopify::admin::order_paid",
                        "task_version": "0.1",
                        "task_type": "TRIGGER",
                        "config_field_values": [],
                    },
                    {
                        "step_id": "loop",
                        "task_id": "shopify::flow::foreach",
                        "task_version": "0.1",
                        "task_type": "FOREACH",
                        "config_field_values": [
                            {"config_field_id": "list", "value": "order.lineItems"},
                            {"config_field_id": "item", "value": "li"},
                        ],
                    },
                    {
                        "step_id": "tag",
                        "task_id": "shopify::admin::add_product_tags",
                        "task_version": "0.1",
                        "task_type": "ACTION",
                        "config_field_values": [
                            {"config_field_id": "product_id", "value": "{{li.product.id}}"},
                            {"config_field_id": "tags", "value": json.dumps([tag])},
                        ],
                    },
                ],
                "links": [
                    {
                        "from_step_id": "trigger",
                        "from_port_id": "output",
                        "to_step_id": "loop",
                        "to_port_id": "input",
                    },
                    {
                        "from_step_id": "loop",
                        "from_port_id": "loop_body",
                        "to_step_id": "tag",
                        "to_port_id": "input",
                    },
                ],
            },
        }
        return (
            [
                f"When an order is paid, tag every product in it {tag}.",
                f"Tag each product of a paid order as {tag}",
            ],
            data,
            ["foreach", "lists"],
        )
    to, (rule, when) = (
        email(rng),
        rng.choice(
            [
                ("FREQ=WEEKLY;BYDAY=MO", "Every Monday"),
                ("FREQ=DAILY", "Every day"),
                ("FREQ=MONTHLY;BYMONTHDAY=1", "On the first of each month"),
            ]
        ),
    )
    tag = rng.choice(["low-stock", "clearance", "review"])
    data = {
        "__metadata": {"version": 0.1},
        "root": {
            "workflow_name": "",
            "patched_fields": [],
            "steps": [
                {
                    "step_id": "trigger",
                    "task_id": "shopify::admin::scheduled_time",
                    "task_version": "0.1",
                    "task_type": "TRIGGER",
                    "config_field_values": [{"config_field_id": "recurrence", "value": rule}],
                },
                {
                    "step_id": "fetch",
                    "task_id": "shopify::admin::get_product_data",
                    "task_version": "0.1",
                    "task_type": "ACTION",
                    "config_field_values": [{"config_field_id": "query", "value": f"tag:{tag}"}],
                },
                {
                    "step_id": "count",
                    "task_id": "shopify::admin::count",
                    "task_version": "0.1",
                    "task_type": "ACTION",
                    "config_field_values": [{"config_field_id": "list", "value": "getProductData"}],
                },
                {
                    "step_id": "mail",
                    "task_id": "shopify::admin::send_internal_email",
                    "task_version": "0.1",
                    "task_type": "ACTION",
                    "config_field_values": [
                        {"config_field_id": "to", "value": to},
                        {"config_field_id": "subject", "value": f"{tag} report"},
                        {
                            "config_field_id": "body",
                            "value": "{{count}} products are tagged " + tag + ".",
                        },
                    ],
                },
            ],
            "links": [
                {
                    "from_step_id": "trigger",
                    "from_port_id": "output",
                    "to_step_id": "fetch",
                    "to_port_id": "input",
                },
                {
                    "from_step_id": "fetch",
                    "from_port_id": "output",
                    "to_step_id": "count",
                    "to_port_id": "input",
                },
                {
                    "from_step_id": "count",
                    "from_port_id": "output",
                    "to_step_id": "mail",
                    "to_port_id": "input",
                },
            ],
        },
    }
    return [f"{when}, email {to} how many products are tagged {tag}."], data, ["scheduled", "email"]


CLARIFY = [
    "Tag my best customers.",
    "Do something when big orders come in.",
    "Let me know about risky stuff.",
    "Automate my inventory.",
    "Make VIPs feel special.",
    "Handle refunds better.",
    "Notify me about orders.",
    "Tag products that sell well.",
    "Clean up old orders.",
    "Flag suspicious customers.",
    "Send an alert when stock is low.",
    "Tag orders from abroad.",
    "Email the team about large orders.",
    "Reward loyal customers.",
    "Watch out for fraud.",
    "Mark important orders.",
    "Tag customers after a while.",
    "Do the usual thing for wholesale orders.",
    "Set up the automation we talked about.",
    "Tag orders over the limit.",
]
REFUSE = [
    "Change my theme colour to pink.",
    "Reply to every product review automatically with a thank-you.",
    "Lower my prices whenever a competitor's site is cheaper.",
    "Post every new product to Instagram.",
    "Text customers by SMS when their order ships.",
    "Call the customer when an order is cancelled.",
    "Translate my whole store into Japanese.",
    "Design a new logo when we hit 1000 orders.",
    "Write blog posts about new products.",
    "Print packing slips on my office printer.",
    "Give me a weekly chart of sales in Google Sheets with forecasts.",
    "Delete all customers who never ordered.",
    "Refund every order automatically, no questions.",
    "Move my store to another platform.",
    "Read my email inbox and create orders.",
]
STYLES = ["conditional", "imperative", "goal", "terse"]


def complexity(data: dict) -> str:
    steps = data["root"]["steps"]
    conds = sum(s["task_type"] == "CONDITION" for s in steps)
    multi = any(
        "&&" in c["value"] or "||" in c["value"] or "any?" in c["value"]
        for s in steps
        for c in s["config_field_values"]
        if s["task_type"] == "CONDITION"
    )
    if (
        any(s["task_type"] in ("FOREACH",) for s in steps)
        or sum(s["task_type"] == "ACTION" for s in steps) > 2
    ):
        return "complex"
    return "medium" if conds and multi else ("simple" if conds <= 1 else "medium")


def template_benchmark(rng: random.Random) -> list[dict]:
    rows, seen = [], set()
    i = 0
    while len(rows) < 270:
        family, fn = RECIPES[i % len(RECIPES)]
        i += 1
        texts, ans, tags = fn(rng)
        style_index = rng.randrange(len(texts))
        text = texts[style_index]
        if text in seen:
            continue
        seen.add(text)
        workflow = to_workflow(ans, CATALOG, name=text[:60]).to_data()
        report = validate(to_workflow(ans, CATALOG), CATALOG)
        assert report.ok, (text, report.errors())
        rows.append(
            {
                "request": text,
                "expect": "workflow",
                "reference": workflow,
                "tags": sorted(
                    {
                        f"family:{family}",
                        f"trigger:{ans['trigger']}",
                        f"style:{STYLES[style_index % 4]}",
                        f"complexity:{complexity(workflow)}",
                        *tags,
                    }
                ),
            }
        )
    for kind, n in (("foreach", 8), ("scheduled", 8)):
        made = 0
        while made < n:
            texts, data, tags = build_special(kind, rng)
            text = rng.choice(texts)
            if text in seen:
                continue
            seen.add(text)

            assert validate(Workflow.from_data(data), CATALOG).ok, (
                text,
                validate(Workflow.from_data(data), CATALOG).errors(),
            )
            trigger = data["root"]["steps"][0]["task_id"].split("::")[-1]
            rows.append(
                {
                    "request": text,
                    "expect": "workflow",
                    "reference": data,
                    "tags": sorted(
                        {f"family:{kind}", f"trigger:{trigger}", "complexity:complex", *tags}
                    ),
                }
            )
            made += 1
    rows += [
        {
            "request": t,
            "expect": "clarify",
            "reference": None,
            "tags": ["family:ambiguous", "expect:clarify"],
        }
        for t in CLARIFY
    ]
    rows += [
        {
            "request": t,
            "expect": "refuse",
            "reference": None,
            "tags": ["family:out-of-scope", "expect:refuse"],
        }
        for t in REFUSE
    ]
    for n, row in enumerate(rows, start=1):
        row["id"] = f"bench-{n:04d}"
    return rows

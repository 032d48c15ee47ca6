"""Regenerate the Flow app's shipped example datasets (benchmark and golden) from compact specs.

The requests are written for this project; the workflows use the Flow export format described in
docs/flow.md. Golden items pair a request with a produced workflow: the reference itself (good) or a
deliberate mutation of it (an error a merchant would suffer), labelled by construction.

    python scripts/build_flow_examples.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "evalwheel_flow" / "data"

T = "shopify::admin::"

# id, request, tags, trigger, condition (or None), [(action, {field: value})]
SPECS = [
    (
        "vip-200",
        "When an order is over $200, tag the customer VIP.",
        ["tagging", "order"],
        "order_created",
        "(order.totalPriceSet.shopMoney.amount > 200)",
        [("add_customer_tags", {"tags": ["VIP"]})],
    ),
    (
        "vip-500-spent",
        "Tag customers with VIP once they have spent $500 or more in total.",
        ["tagging", "customer"],
        "order_paid",
        "(order.customer.amountSpent.amount >= 500)",
        [("add_customer_tags", {"tags": ["VIP"]})],
    ),
    (
        "edu-discount",
        "If a customer's email ends with .edu, tag them student.",
        ["tagging", "customer"],
        "customer_created",
        "(customer.email end_with? '.edu')",
        [("add_customer_tags", {"tags": ["student"]})],
    ),
    (
        "high-risk-hold",
        "Hold fulfillment for orders with high fraud risk.",
        ["risk", "order"],
        "order_risk_analyzed",
        "(order.riskLevel == 'HIGH')",
        [("hold_fulfillment_order", {"reason": "HIGH_RISK_OF_FRAUD"})],
    ),
    (
        "high-risk-cancel",
        "Cancel orders that are high risk and notify me at ops@example.com.",
        ["risk", "email", "order"],
        "order_risk_analyzed",
        "(order.riskLevel == 'HIGH')",
        [
            ("cancel_order", {"reason": "FRAUD", "refund": "true", "restock": "true"}),
            (
                "send_internal_email",
                {
                    "to": "ops@example.com",
                    "subject": "Cancelled {{order.name}}",
                    "body": "Order {{order.name}} was cancelled as high risk.",
                },
            ),
        ],
    ),
    (
        "medium-risk-email",
        "Email fraud@example.com when an order's risk is medium or high.",
        ["risk", "email"],
        "order_risk_analyzed",
        "(order.riskLevel in? 'MEDIUM,HIGH')",
        [
            (
                "send_internal_email",
                {
                    "to": "fraud@example.com",
                    "subject": "Risky order {{order.name}}",
                    "body": "Review {{order.name}}.",
                },
            )
        ],
    ),
    (
        "wholesale-note",
        "Add the note 'Wholesale order' to orders over 50 items.",
        ["notes", "order"],
        "order_created",
        "(order.subtotalLineItemsQuantity > 50)",
        [("update_order_note", {"note": "Wholesale order"})],
    ),
    (
        "canada-tag",
        "Tag orders shipping to Canada with international.",
        ["tagging", "order", "address"],
        "order_created",
        "(order.shippingAddress.countryCodeV2 == 'CA')",
        [("add_order_tags", {"tags": ["international"]})],
    ),
    (
        "presale-tag",
        "Tag an order presale if any product in it is tagged presale.",
        ["tagging", "lists"],
        "order_created",
        "(order.lineItems any? |li| (li.product.tags any? |t| (t == 'presale')))",
        [("add_order_tags", {"tags": ["presale"]})],
    ),
    (
        "all-digital",
        "If every item in the order is a gift card, tag the order digital.",
        ["tagging", "lists"],
        "order_created",
        "(order.lineItems all? |li| (li.product.productType == 'Gift Card'))",
        [("add_order_tags", {"tags": ["digital"]})],
    ),
    (
        "no-discount",
        "Tag orders that used no discount code full-price.",
        ["tagging", "lists"],
        "order_created",
        "(order.discountCodes empty_or_nil?)",
        [("add_order_tags", {"tags": ["full-price"]})],
    ),
    (
        "paid-capture",
        "Capture payment automatically when an order is created and the payment is authorized.",
        ["payments", "order"],
        "order_created",
        "(order.displayFinancialStatus == 'AUTHORIZED')",
        [("capture_payment", {})],
    ),
    (
        "refund-tag",
        "When an order is refunded or partially refunded, tag it refund.",
        ["tagging", "order"],
        "order_paid",
        "(order.displayFinancialStatus in? 'REFUNDED,PARTIALLY_REFUNDED')",
        [("add_order_tags", {"tags": ["refund"]})],
    ),
    (
        "cancel-note",
        "When an order is cancelled, tag the customer had-cancellation.",
        ["tagging", "no-condition"],
        "order_cancelled",
        None,
        [("add_customer_tags", {"tags": ["had-cancellation"]})],
    ),
    (
        "fulfilled-email",
        "Email shipping@example.com every time an order is fulfilled.",
        ["email", "no-condition"],
        "order_fulfilled",
        None,
        [
            (
                "send_internal_email",
                {
                    "to": "shipping@example.com",
                    "subject": "{{order.name}} fulfilled",
                    "body": "{{order.name}} has shipped.",
                },
            )
        ],
    ),
    (
        "new-customer-welcome-tag",
        "Tag every new customer new.",
        ["tagging", "no-condition", "customer"],
        "customer_created",
        None,
        [("add_customer_tags", {"tags": ["new"]})],
    ),
    (
        "marketing-consent",
        "Tag new customers who accept email marketing as subscriber.",
        ["tagging", "customer"],
        "customer_created",
        "(customer.emailMarketingConsent.marketingState == 'SUBSCRIBED')",
        [("add_customer_tags", {"tags": ["subscriber"]})],
    ),
    (
        "repeat-buyer",
        "Tag customers with more than 3 orders as repeat.",
        ["tagging", "customer"],
        "order_paid",
        "(order.customer.numberOfOrders > 3)",
        [("add_customer_tags", {"tags": ["repeat"]})],
    ),
    (
        "draft-product-tag",
        "When a product is archived, tag it discontinued.",
        ["tagging", "product"],
        "product_status_updated",
        "(product.status == 'ARCHIVED')",
        [("add_product_tags", {"tags": ["discontinued"]})],
    ),
    (
        "vendor-tag",
        "Tag new products from vendor Acme with acme.",
        ["tagging", "product"],
        "product_created",
        "(product.vendor == 'Acme')",
        [("add_product_tags", {"tags": ["acme"]})],
    ),
    (
        "low-stock-email",
        "Email me at stock@example.com when a variant's inventory drops below 5.",
        ["inventory", "email"],
        "product_variant_inventory_quantity_changed",
        "((productVariant.inventoryQuantity < 5) && (inventoryQuantityPrior >= 5))",
        [
            (
                "send_internal_email",
                {
                    "to": "stock@example.com",
                    "subject": "Low stock: {{product.title}}",
                    "body": "{{productVariant.sku}} is below 5.",
                },
            )
        ],
    ),
    (
        "out-of-stock-tag",
        "Tag a product out-of-stock when its variant inventory reaches zero.",
        ["inventory", "tagging"],
        "product_variant_inventory_quantity_changed",
        "((productVariant.inventoryQuantity <= 0) && (inventoryQuantityPrior > 0))",
        [("add_product_tags", {"tags": ["out-of-stock"]})],
    ),
    (
        "big-or-express",
        "Tag an order priority if it is over $1000 or its note mentions express.",
        ["tagging", "multi-condition"],
        "order_created",
        "((order.totalPriceSet.shopMoney.amount > 1000) || (order.note include? 'express'))",
        [("add_order_tags", {"tags": ["priority"]})],
    ),
    (
        "ca-big",
        "Tag orders from California over $300 as ca-high-value.",
        ["tagging", "multi-condition", "address"],
        "order_created",
        "((order.shippingAddress.provinceCode == 'CA') && (order.totalPriceSet.shopMoney.amount > 300))",
        [("add_order_tags", {"tags": ["ca-high-value"]})],
    ),
    (
        "pos-tag",
        "Tag orders that come from the point of sale with pos.",
        ["tagging", "order"],
        "order_created",
        "(order.sourceName == 'pos')",
        [("add_order_tags", {"tags": ["pos"]})],
    ),
    (
        "gift-note",
        "If an order has a gift message attribute, add the note 'Gift order'.",
        ["notes", "lists"],
        "order_created",
        "(order.customAttributes any? |a| (a.key == 'gift_message'))",
        [("update_order_note", {"note": "Gift order"})],
    ),
    (
        "tax-exempt-tag",
        "Tag tax exempt customers wholesale when they are created.",
        ["tagging", "customer"],
        "customer_created",
        "(customer.taxExempt == true)",
        [("add_customer_tags", {"tags": ["wholesale"]})],
    ),
    (
        "vip-segment-email",
        "When a customer is tagged VIP, email vip@example.com with their email.",
        ["email", "customer"],
        "customer_tags_added",
        "(tags any? |t| (t == 'VIP'))",
        [
            (
                "send_internal_email",
                {
                    "to": "vip@example.com",
                    "subject": "New VIP",
                    "body": "{{customer.email}} is now VIP.",
                },
            )
        ],
    ),
    (
        "metafield-loyalty",
        "When an order over $100 is paid, set the customer's loyalty.tier metafield to gold.",
        ["metafield", "order"],
        "order_paid",
        "(order.totalPriceSet.shopMoney.amount > 100)",
        [
            (
                "update_customer_metafield",
                {
                    "namespace": "loyalty",
                    "key": "tier",
                    "value": "gold",
                    "type": "single_line_text_field",
                },
            )
        ],
    ),
    (
        "webhook-big",
        "Send a POST to https://hooks.example.com/big with the order name for orders over $5000.",
        ["http", "order"],
        "order_created",
        "(order.totalPriceSet.shopMoney.amount > 5000)",
        [
            (
                "send_http_request",
                {
                    "method": "POST",
                    "url": "https://hooks.example.com/big",
                    "headers": [{"key": "Content-Type", "value": "application/json"}],
                    "body": '{"order": "{{order.name}}"}',
                },
            )
        ],
    ),
    (
        "remove-new-tag",
        "When a customer places an order, remove the tag new.",
        ["tagging", "no-condition"],
        "order_created",
        None,
        [("remove_customer_tags", {"tags": ["new"]})],
    ),
    (
        "archive-fulfilled",
        "Archive orders once they are fulfilled and paid.",
        ["order", "payments"],
        "order_fulfilled",
        "(order.displayFinancialStatus == 'PAID')",
        [("archive_order", {})],
    ),
    (
        "mark-paid-pos",
        "Mark point-of-sale orders as paid when they are created.",
        ["payments", "order"],
        "order_created",
        "(order.sourceName == 'pos')",
        [("mark_order_as_paid", {})],
    ),
    (
        "uk-eu-tag",
        "Tag orders shipping to Great Britain, France or Germany with europe.",
        ["tagging", "address"],
        "order_created",
        "(order.shippingAddress.countryCodeV2 in? 'GB,FR,DE')",
        [("add_order_tags", {"tags": ["europe"]})],
    ),
    (
        "small-order-note",
        "Add the note 'Small order' when an order's subtotal is under $20.",
        ["notes", "order"],
        "order_created",
        "(order.subtotalPriceSet.shopMoney.amount < 20)",
        [("update_order_note", {"note": "Small order"})],
    ),
    (
        "no-email-tag",
        "Tag customers created without an email no-email.",
        ["tagging", "customer"],
        "customer_created",
        "(customer.email empty_or_nil?)",
        [("add_customer_tags", {"tags": ["no-email"]})],
    ),
]

CONTEXT = {
    "add_customer_tags": "customer_id",
    "remove_customer_tags": "customer_id",
    "update_customer_metafield": "customer_id",
    "add_order_tags": "order_id",
    "update_order_note": "order_id",
    "cancel_order": "order_id",
    "capture_payment": "order_id",
    "mark_order_as_paid": "order_id",
    "archive_order": "order_id",
    "hold_fulfillment_order": "order_id",
    "add_product_tags": "product_id",
}
CONTEXT_VALUE = {
    ("customer_id", "order"): "{{order.customer.id}}",
    ("customer_id", "customer"): "{{customer.id}}",
    ("order_id", "order"): "{{order.id}}",
    ("product_id", "product"): "{{product.id}}",
}
TRIGGER_SCOPE = {
    "order_created": "order",
    "order_paid": "order",
    "order_fulfilled": "order",
    "order_cancelled": "order",
    "order_risk_analyzed": "order",
    "customer_created": "customer",
    "customer_tags_added": "customer",
    "product_created": "product",
    "product_status_updated": "product",
    "product_variant_inventory_quantity_changed": "product",
}


def config_values(fields: dict) -> list[dict]:
    values = []
    for key, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value)
        values.append({"config_field_id": key, "value": text})
    return values


def workflow(name: str, trigger: str, condition: str | None, actions: list) -> dict:
    steps = [
        {
            "step_id": "trigger",
            "task_id": T + trigger,
            "task_version": "0.1",
            "task_type": "TRIGGER",
            "config_field_values": [],
        }
    ]
    links = []
    source, port = "trigger", "output"
    if condition is not None:
        steps.append(
            {
                "step_id": "condition",
                "task_id": "shopify::flow::condition",
                "task_version": "0.1",
                "task_type": "CONDITION",
                "config_field_values": [{"config_field_id": "condition", "value": condition}],
            }
        )
        links.append(
            {
                "from_step_id": "trigger",
                "from_port_id": "output",
                "to_step_id": "condition",
                "to_port_id": "input",
            }
        )
        source, port = "condition", "true"
    for i, (task, fields) in enumerate(actions, start=1):
        fields = dict(fields)
        ctx = CONTEXT.get(task)
        if ctx:
            fields = {ctx: CONTEXT_VALUE[(ctx, TRIGGER_SCOPE[trigger])], **fields}
        step_id = f"action{i}"
        steps.append(
            {
                "step_id": step_id,
                "task_id": T + task,
                "task_version": "0.1",
                "task_type": "ACTION",
                "config_field_values": config_values(fields),
            }
        )
        links.append(
            {
                "from_step_id": source,
                "from_port_id": port,
                "to_step_id": step_id,
                "to_port_id": "input",
            }
        )
        source, port = step_id, "output"
    return {
        "__metadata": {"version": 0.1},
        "root": {"workflow_name": name, "steps": steps, "links": links, "patched_fields": []},
    }


# Golden mutations: (spec id, label, what was changed, function of the spec → mutated spec)
def _swap(cond: str, a: str, b: str) -> str:
    assert a in cond, (cond, a)
    return cond.replace(a, b, 1)


MUTATIONS = [
    ("vip-200", "bad", "operator > became >=", lambda s: (s[3], _swap(s[4], " > ", " >= "), s[5])),
    (
        "vip-500-spent",
        "bad",
        "threshold 500 became 50",
        lambda s: (s[3], _swap(s[4], "500", "50"), s[5]),
    ),
    (
        "edu-discount",
        "bad",
        "end_with? became include?",
        lambda s: (s[3], _swap(s[4], "end_with?", "include?"), s[5]),
    ),
    (
        "high-risk-hold",
        "bad",
        "trigger order_risk_analyzed became order_created",
        lambda s: ("order_created", s[4], s[5]),
    ),
    (
        "canada-tag",
        "bad",
        "tag international became intl",
        lambda s: (s[3], s[4], [("add_order_tags", {"tags": ["intl"]})]),
    ),
    ("ca-big", "bad", "&& became ||", lambda s: (s[3], _swap(s[4], "&&", "||"), s[5])),
    (
        "low-stock-email",
        "needs_improvement",
        "prior-quantity check dropped (fires repeatedly)",
        lambda s: (s[3], "(productVariant.inventoryQuantity < 5)", s[5]),
    ),
    (
        "out-of-stock-tag",
        "needs_improvement",
        "prior-quantity check dropped (fires repeatedly)",
        lambda s: (s[3], "(productVariant.inventoryQuantity <= 0)", s[5]),
    ),
    (
        "high-risk-cancel",
        "needs_improvement",
        "notification email missing",
        lambda s: (s[3], s[4], s[5][:1]),
    ),
    (
        "presale-tag",
        "bad",
        "include? used for list membership",
        lambda s: (s[3], "(order.lineItems any? |li| (li.product.tags include? 'presale'))", s[5]),
    ),
    (
        "refund-tag",
        "bad",
        "customer tagged instead of order",
        lambda s: (s[3], s[4], [("add_customer_tags", {"tags": ["refund"]})]),
    ),
    (
        "wholesale-note",
        "needs_improvement",
        "an unrequested tag was added as well",
        lambda s: (s[3], s[4], [*s[5], ("add_order_tags", {"tags": ["wholesale"]})]),
    ),
]
GOOD = [
    "vip-200",
    "edu-discount",
    "canada-tag",
    "ca-big",
    "no-discount",
    "pos-tag",
    "fulfilled-email",
    "repeat-buyer",
    "metafield-loyalty",
    "uk-eu-tag",
    "tax-exempt-tag",
    "gift-note",
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    by_id = {s[0]: s for s in SPECS}
    with open(OUT / "benchmark.jsonl", "w", encoding="utf-8") as f:
        for sid, request, tags, trigger, condition, actions in SPECS:
            row = {
                "id": sid,
                "input": request,
                "tags": tags,
                "reference": workflow(request, trigger, condition, actions),
            }
            f.write(json.dumps(row, sort_keys=True) + "\n")
    with open(OUT / "golden.jsonl", "w", encoding="utf-8") as f:
        for sid in GOOD:
            s = by_id[sid]
            row = {
                "id": f"{sid}-good",
                "input": s[1],
                "tags": s[2],
                "label": "good",
                "output": workflow(s[1], s[3], s[4], s[5]),
                "reference": workflow(s[1], s[3], s[4], s[5]),
                "rationale": "matches the request exactly",
                "construction": "reference",
            }
            f.write(json.dumps(row, sort_keys=True) + "\n")
        for sid, label, change, mutate in MUTATIONS:
            s = by_id[sid]
            trigger, condition, actions = mutate(s)
            row = {
                "id": f"{sid}-mut",
                "input": s[1],
                "tags": s[2],
                "label": label,
                "output": workflow(s[1], trigger, condition, actions),
                "reference": workflow(s[1], s[3], s[4], s[5]),
                "rationale": change,
                "construction": f"mutation: {change}",
            }
            f.write(json.dumps(row, sort_keys=True) + "\n")
    print(f"wrote {len(SPECS)} benchmark and {len(GOOD) + len(MUTATIONS)} golden items to {OUT}")


if __name__ == "__main__":
    main()

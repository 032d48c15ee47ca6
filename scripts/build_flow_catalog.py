"""Regenerate src/evalwheel_flow/catalog/catalog.json from the compact spec below.

Task handles, field names and enum values follow Shopify Flow's public reference and the Admin
GraphQL schema (facts); the structure and wording are this project's.

    python scripts/build_flow_catalog.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "evalwheel_flow" / "catalog" / "catalog.json"
VERSION = "2026-11-2"

CURRENCIES = ["USD", "EUR", "GBP", "CAD", "AUD", "JPY"]
# A field's type ends in "?" (an enum has "nullable": true) when the Admin API may return null for
# it; every other field, every list and every trigger payload root is never null.
TYPES = {
    "Money": {"amount": "Decimal", "currencyCode": {"enum": CURRENCIES}},
    "MoneyBag": {"shopMoney": "Money", "presentmentMoney": "Money"},
    "Address": {
        "countryCodeV2": "String?",
        "provinceCode": "String?",
        "city": "String?",
        "zip": "String?",
    },
    "Attribute": {"key": "String", "value": "String?"},
    "Customer": {
        "id": "ID",
        "email": "String?",
        "firstName": "String?",
        "lastName": "String?",
        "tags": "[String]",
        "numberOfOrders": "Integer",
        "amountSpent": "Money",
        "note": "String?",
        "taxExempt": "Boolean",
        "verifiedEmail": "Boolean",
        "createdAt": "Date",
        "defaultAddress": "Address?",
        "state": {"enum": ["ENABLED", "DISABLED", "INVITED", "DECLINED"]},
        "emailMarketingConsent": "MarketingConsent?",
    },
    "MarketingConsent": {
        "marketingState": {"enum": ["SUBSCRIBED", "NOT_SUBSCRIBED", "UNSUBSCRIBED", "PENDING"]}
    },
    "Product": {
        "id": "ID",
        "title": "String",
        "handle": "String",
        "tags": "[String]",
        "productType": "String",
        "vendor": "String",
        "totalInventory": "Integer",
        "createdAt": "Date",
        "status": {"enum": ["ACTIVE", "ARCHIVED", "DRAFT", "UNLISTED"]},
    },
    "ProductVariant": {
        "id": "ID",
        "sku": "String?",
        "title": "String",
        "price": "Decimal",
        "inventoryQuantity": "Integer?",
    },
    "LineItem": {
        "title": "String",
        "quantity": "Integer",
        "sku": "String?",
        "vendor": "String?",
        "originalUnitPriceSet": "MoneyBag",
        "product": "Product?",
        "variant": "ProductVariant?",
    },
    "Order": {
        "id": "ID",
        "name": "String",
        "email": "String?",
        "createdAt": "Date",
        "note": "String?",
        "tags": "[String]",
        "discountCodes": "[String]",
        "sourceName": "String?",
        "capturable": "Boolean",
        "totalPriceSet": "MoneyBag",
        "currentTotalPriceSet": "MoneyBag",
        "subtotalPriceSet": "MoneyBag?",
        "totalDiscountsSet": "MoneyBag?",
        "subtotalLineItemsQuantity": "Integer",
        "displayFinancialStatus": {
            "enum": [
                "PENDING",
                "AUTHORIZED",
                "PARTIALLY_PAID",
                "PAID",
                "PARTIALLY_REFUNDED",
                "REFUNDED",
                "VOIDED",
                "EXPIRED",
            ],
            "nullable": True,
        },
        "displayFulfillmentStatus": {
            "enum": [
                "UNFULFILLED",
                "PARTIALLY_FULFILLED",
                "FULFILLED",
                "ON_HOLD",
                "SCHEDULED",
                "IN_PROGRESS",
            ]
        },
        "riskLevel": {"enum": ["LOW", "MEDIUM", "HIGH"]},
        "customAttributes": "[Attribute]",
        "shippingAddress": "Address?",
        "customer": "Customer?",
        "lineItems": "[LineItem]",
    },
    "Refund": {
        "id": "ID",
        "note": "String?",
        "totalRefundedSet": "MoneyBag",
        "createdAt": "Date?",
    },
    "Fulfillment": {
        "id": "ID",
        "trackingCompany": "String?",
        "status": {"enum": ["SUCCESS", "CANCELLED", "ERROR", "FAILURE", "OPEN", "PENDING"]},
    },
    "DraftOrder": {
        "id": "ID",
        "name": "String",
        "email": "String?",
        "tags": "[String]",
        "totalPriceSet": "MoneyBag",
        "customer": "Customer?",
    },
    "Collection": {"id": "ID", "title": "String", "handle": "String"},
    "Segment": {"id": "ID", "name": "String"},
    "Abandonment": {"id": "ID", "abandonedCheckoutPayload": "AbandonedCheckout?"},
    "AbandonedCheckout": {"totalPriceSet": "MoneyBag", "lineItemsQuantity": "Integer"},
    "Shop": {"name": "String", "email": "String", "currencyCode": {"enum": CURRENCIES}},
}

# handle: (name, description, payload roots)
TRIGGERS = {
    "order_created": ("Order created", "A new order is placed.", {"order": "Order"}),
    "order_paid": ("Order paid", "An order's payment is completed.", {"order": "Order"}),
    "order_fulfilled": (
        "Order fulfilled",
        "All items of an order are fulfilled.",
        {"order": "Order"},
    ),
    "order_cancelled": ("Order cancelled", "An order is cancelled.", {"order": "Order"}),
    "order_risk_analyzed": (
        "Order risk analyzed",
        "Fraud analysis of an order finished.",
        {"order": "Order"},
    ),
    "order_deleted": ("Order deleted", "An order is deleted.", {"order": "Order"}),
    "order_tags_added": (
        "Order tags added",
        "Tags are added to an order.",
        {"order": "Order", "tags": "[String]"},
    ),
    "order_tags_removed": (
        "Order tags removed",
        "Tags are removed from an order.",
        {"order": "Order", "tags": "[String]"},
    ),
    "refund_created": (
        "Refund created",
        "A refund is issued on an order.",
        {"order": "Order", "refund": "Refund"},
    ),
    "fulfillment_created": (
        "Fulfillment created",
        "A fulfillment is created for an order.",
        {"order": "Order", "fulfillment": "Fulfillment"},
    ),
    "draft_order_created": (
        "Draft order created",
        "A draft order is created.",
        {"draftOrder": "DraftOrder"},
    ),
    "customer_created": (
        "Customer created",
        "A customer account is created.",
        {"customer": "Customer"},
    ),
    "customer_deleted": ("Customer deleted", "A customer is deleted.", {"customer": "Customer"}),
    "customer_tags_added": (
        "Customer tags added",
        "Tags are added to a customer.",
        {"customer": "Customer", "tags": "[String]"},
    ),
    "customer_tags_removed": (
        "Customer tags removed",
        "Tags are removed from a customer.",
        {"customer": "Customer", "tags": "[String]"},
    ),
    "customer_joined_segment": (
        "Customer joined segment",
        "A customer enters a segment.",
        {"customer": "Customer", "segment": "Segment"},
    ),
    "customer_left_segment": (
        "Customer left segment",
        "A customer leaves a segment.",
        {"customer": "Customer", "segment": "Segment"},
    ),
    "customer_abandonment": (
        "Customer abandons checkout",
        "A customer leaves a checkout without buying.",
        {"customer": "Customer", "abandonment": "Abandonment"},
    ),
    "product_created": ("Product created", "A product is added.", {"product": "Product"}),
    "product_status_updated": (
        "Product status updated",
        "A product's status changes.",
        {"product": "Product", "oldStatus": {"enum": ["ACTIVE", "ARCHIVED", "DRAFT", "UNLISTED"]}},
    ),
    "product_deleted": ("Product deleted", "A product is deleted.", {"product": "Product"}),
    "product_variant_inventory_quantity_changed": (
        "Inventory quantity changed",
        "A variant's available quantity changes.",
        {
            "product": "Product",
            "productVariant": "ProductVariant",
            "inventoryQuantityPrior": "Integer",
        },
    ),
    "collection_created": (
        "Collection created",
        "A collection is created.",
        {"collection": "Collection"},
    ),
    "scheduled_time": (
        "Scheduled time",
        "Runs on a recurrence (RRULE, at most every 10 minutes).",
        {"scheduledAt": "Date"},
    ),
}

ID = {"type": "ID", "required": True, "hidden": True}


def f(type_: str, required: bool = True, liquid: bool = False, **extra) -> dict:
    """A config field; ``free=True`` marks wording the merchant's request leaves to the agent
    (compared by presence, its content is for the judge), ``default`` the value Flow uses when an
    optional field is left out."""
    return {"type": type_, "required": required, "liquid": liquid, **extra}


# handle: (name, description, required context, config fields)
ACTIONS = {
    "add_customer_tags": (
        "Add customer tags",
        "Adds tags to the customer.",
        "customer",
        {"customer_id": ID, "tags": f("StringList", liquid=True)},
    ),
    "remove_customer_tags": (
        "Remove customer tags",
        "Removes tags from the customer.",
        "customer",
        {"customer_id": ID, "tags": f("StringList", liquid=True)},
    ),
    "add_order_tags": (
        "Add order tags",
        "Adds tags to the order.",
        "order",
        {"order_id": ID, "tags": f("StringList", liquid=True)},
    ),
    "remove_order_tags": (
        "Remove order tags",
        "Removes tags from the order.",
        "order",
        {"order_id": ID, "tags": f("StringList", liquid=True)},
    ),
    "add_product_tags": (
        "Add product tags",
        "Adds tags to the product.",
        "product",
        {"product_id": ID, "tags": f("StringList", liquid=True)},
    ),
    "remove_product_tags": (
        "Remove product tags",
        "Removes tags from the product.",
        "product",
        {"product_id": ID, "tags": f("StringList", liquid=True)},
    ),
    "add_draft_order_tags": (
        "Add draft order tags",
        "Adds tags to the draft order.",
        "draftOrder",
        {"draft_order_id": ID, "tags": f("StringList", liquid=True)},
    ),
    "update_customer_note": (
        "Update customer note",
        "Sets the customer's note.",
        "customer",
        {"customer_id": ID, "note": f("String", liquid=True, free=True)},
    ),
    "update_order_note": (
        "Update order note",
        "Sets the order's note.",
        "order",
        {"order_id": ID, "note": f("String", liquid=True, free=True)},
    ),
    "update_customer_metafield": (
        "Update customer metafield",
        "Sets a metafield on the customer.",
        "customer",
        {
            "customer_id": ID,
            "namespace": f("String"),
            "key": f("String"),
            "value": f("String", liquid=True),
            "type": f(
                "Enum",
                enum=[
                    "single_line_text_field",
                    "number_integer",
                    "number_decimal",
                    "boolean",
                    "json",
                ],
            ),
        },
    ),
    "update_order_metafield": (
        "Update order metafield",
        "Sets a metafield on the order.",
        "order",
        {
            "order_id": ID,
            "namespace": f("String"),
            "key": f("String"),
            "value": f("String", liquid=True),
            "type": f(
                "Enum",
                enum=[
                    "single_line_text_field",
                    "number_integer",
                    "number_decimal",
                    "boolean",
                    "json",
                ],
            ),
        },
    ),
    "update_product_metafield": (
        "Update product metafield",
        "Sets a metafield on the product.",
        "product",
        {
            "product_id": ID,
            "namespace": f("String"),
            "key": f("String"),
            "value": f("String", liquid=True),
            "type": f(
                "Enum",
                enum=[
                    "single_line_text_field",
                    "number_integer",
                    "number_decimal",
                    "boolean",
                    "json",
                ],
            ),
        },
    ),
    "cancel_order": (
        "Cancel order",
        "Cancels the order.",
        "order",
        {
            "order_id": ID,
            "reason": f("Enum", enum=["CUSTOMER", "FRAUD", "INVENTORY", "DECLINED", "OTHER"]),
            "refund": f("Boolean"),
            "restock": f("Boolean"),
            "notify_customer": f("Boolean", required=False, default="false"),
        },
    ),
    "capture_payment": (
        "Capture payment",
        "Captures an authorized payment.",
        "order",
        {"order_id": ID},
    ),
    "mark_order_as_paid": (
        "Mark order as paid",
        "Marks a manual-payment order as paid.",
        "order",
        {"order_id": ID},
    ),
    "hold_fulfillment_order": (
        "Hold fulfillment",
        "Puts the order's fulfillment on hold.",
        "order",
        {
            "order_id": ID,
            "reason": f(
                "Enum",
                enum=[
                    "AWAITING_PAYMENT",
                    "HIGH_RISK_OF_FRAUD",
                    "INCORRECT_ADDRESS",
                    "INVENTORY_OUT_OF_STOCK",
                    "OTHER",
                ],
            ),
            "note": f("String", required=False, liquid=True, free=True),
        },
    ),
    "release_fulfillment_order_hold": (
        "Release fulfillment hold",
        "Releases a fulfillment hold.",
        "order",
        {"order_id": ID},
    ),
    "archive_order": ("Archive order", "Archives (closes) the order.", "order", {"order_id": ID}),
    "unarchive_order": (
        "Unarchive order",
        "Re-opens an archived order.",
        "order",
        {"order_id": ID},
    ),
    "send_internal_email": (
        "Send internal email",
        "Emails staff (not customers).",
        None,
        {
            "to": f("Email", liquid=True),
            "subject": f("String", liquid=True, free=True),
            "body": f("String", liquid=True, free=True),
        },
    ),
    "send_http_request": (
        "Send HTTP request",
        "Sends an HTTP request.",
        None,
        {
            "method": f("Enum", enum=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            "url": f("URL", liquid=True),
            "headers": f("Headers", required=False),
            "body": f("String", required=False, liquid=True),
        },
    ),
    "send_admin_api_request": (
        "Send Admin API request",
        "Runs an Admin API mutation.",
        None,
        {"mutation": f("String"), "variables": f("String", liquid=True)},
    ),
    "update_product_status": (
        "Update product status",
        "Sets the product's status.",
        "product",
        {"product_id": ID, "status": f("Enum", enum=["ACTIVE", "ARCHIVED", "DRAFT"])},
    ),
    "publish_product": (
        "Publish product",
        "Publishes the product to the online store.",
        "product",
        {"product_id": ID},
    ),
    "unpublish_product": (
        "Unpublish product",
        "Hides the product from the online store.",
        "product",
        {"product_id": ID},
    ),
    "update_customer_marketing_consent": (
        "Update email marketing consent",
        "Subscribes or unsubscribes the customer.",
        "customer",
        {"customer_id": ID, "state": f("Enum", enum=["SUBSCRIBED", "UNSUBSCRIBED"])},
    ),
    "add_order_line_item": (
        "Add order line item",
        "Adds a variant to the order.",
        "order",
        {"order_id": ID, "variant_id": f("ID"), "quantity": f("Integer")},
    ),
    "lookup_customer_in_segment": (
        "Check if customer is in segment",
        "Outputs isMember for a segment.",
        "customer",
        {"customer_id": ID, "segment": f("String")},
    ),
    "get_order_data": (
        "Get order data",
        "Fetches up to 100 orders matching a query.",
        None,
        {"query": f("String", liquid=True)},
    ),
    "get_customer_data": (
        "Get customer data",
        "Fetches up to 100 customers matching a query.",
        None,
        {"query": f("String", liquid=True)},
    ),
    "get_product_data": (
        "Get product data",
        "Fetches up to 100 products matching a query.",
        None,
        {"query": f("String", liquid=True)},
    ),
    "count": ("Count", "Counts the items of a list.", None, {"list": f("Path")}),
    "sum": (
        "Sum",
        "Sums a numeric field over a list.",
        None,
        {"list": f("Path"), "field": f("String")},
    ),
}

CONTROL = {
    "condition": (
        "CONDITION",
        "Condition",
        "Branches on a condition expression.",
        {"condition": f("Condition")},
    ),
    "foreach": (
        "FOREACH",
        "For each",
        "Runs the loop body once per item of a list (at most 100).",
        {"list": f("Path"), "item": f("String")},
    ),
    "wait": ("WAIT", "Wait", "Pauses the workflow.", {"duration_minutes": f("Integer")}),
}

OUTPUTS = {
    "get_order_data": {"getOrderData": "[Order]"},
    "get_customer_data": {"getCustomerData": "[Customer]"},
    "get_product_data": {"getProductData": "[Product]"},
    "count": {"count": "Integer"},
    "sum": {"sum": "Decimal"},
    "lookup_customer_in_segment": {"isMember": "Boolean"},
}


def main() -> None:
    tasks = []
    trigger_config = {
        "scheduled_time": {"recurrence": f("String")}
    }  # an RRULE, e.g. FREQ=WEEKLY;BYDAY=MO
    for handle, (name, description, payload) in TRIGGERS.items():
        tasks.append(
            {
                "task_id": f"shopify::admin::{handle}",
                "handle": handle,
                "task_type": "TRIGGER",
                "name": name,
                "description": description,
                "payload": payload,
                "config_fields": trigger_config.get(handle, {}),
            }
        )
    for handle, (name, description, context, fields) in ACTIONS.items():
        tasks.append(
            {
                "task_id": f"shopify::admin::{handle}",
                "handle": handle,
                "task_type": "ACTION",
                "name": name,
                "description": description,
                "requires": context,
                "config_fields": fields,
                "outputs": OUTPUTS.get(handle, {}),
            }
        )
    for handle, (task_type, name, description, fields) in CONTROL.items():
        tasks.append(
            {
                "task_id": f"shopify::flow::{handle}",
                "handle": handle,
                "task_type": task_type,
                "name": name,
                "description": description,
                "config_fields": fields,
            }
        )
    OUT.write_text(
        json.dumps(
            {
                "version": VERSION,
                "types": TYPES,
                "always_in_scope": {"shop": "Shop"},
                "tasks": tasks,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    print(
        f"wrote {len(TRIGGERS)} triggers, {len(ACTIONS)} actions, {len(CONTROL)} control steps to {OUT}"
    )


if __name__ == "__main__":
    main()

"""Requests that should not become a workflow: clarify (automatable, but something essential is
missing) and refuse (Flow cannot do it). Each topic is what the merchant is about; items of one
topic always share a split, so near-copies never straddle train and test."""

from __future__ import annotations

# (topic, description): the merchant's situation; a writer turns it into a request.
CLARIFY = [
    (
        "discount-abuse",
        "The merchant wants to stop people abusing a discount code, but does not say which code, what counts as abuse, or what should happen to such orders.",
    ),
    (
        "preorder-hold",
        "The merchant wants fulfillment held for pre-order items, but never says how pre-order products can be recognised (no tag, type or name is given).",
    ),
    (
        "other-warehouse",
        "The merchant wants some orders sent to 'the other warehouse' by tagging them, but does not say which orders (no region, product or rule) nor the tag.",
    ),
    (
        "slow-movers",
        "The merchant wants products that are not selling to be dealt with automatically, but gives no time frame, no sales threshold and no action to take.",
    ),
    (
        "sample-limit",
        "The merchant wants to stop customers ordering too many free samples, but does not say how many is too many or how samples are identified.",
    ),
    (
        "old-tags-cleanup",
        "The merchant wants 'the old tags' removed from customers automatically, without saying which tags or when.",
    ),
    (
        "supplier-restock",
        "The merchant wants the supplier told when stock runs low, but gives neither the stock level that counts as low nor how to reach the supplier (no email, no URL).",
    ),
    (
        "quote-approval",
        "The merchant wants big wholesale draft orders to go through approval, but does not say what amount counts as big or who approves (no email, no tag).",
    ),
    (
        "vip-downgrade",
        "The merchant wants VIP customers who stop buying to lose their VIP status, but does not say after how long without an order.",
    ),
    (
        "packer-note",
        "The merchant wants a note added to certain orders for the packing team, but does not say which orders or what the note should say.",
    ),
    (
        "order-sync",
        "The merchant wants every new order sent to 'our system', but gives no address (URL) or description of the system's endpoint.",
    ),
    (
        "weekly-report",
        "The merchant wants a weekly report emailed automatically, but does not say what it should count or list, nor who should receive it.",
    ),
    (
        "cancel-unpaid-later",
        "The merchant wants unpaid orders cancelled 'after a while', without saying how long to wait.",
    ),
    (
        "risky-countries",
        "The merchant wants orders from 'risky countries' held, without naming any country.",
    ),
    (
        "gift-wrap",
        "The merchant wants gift-wrapped orders flagged for the packers, but does not say how gift wrap shows up on an order (note, attribute, product, tag).",
    ),
    (
        "tag-alert",
        "The merchant wants to be told when an order gets 'that tag', without saying which tag or who should be told.",
    ),
    (
        "frequent-returns",
        "The merchant wants customers who return a lot to be marked, but gives no number of returns or refunds that counts as a lot.",
    ),
    (
        "segment-thing",
        "The merchant wants 'the usual' to happen when someone joins one of their segments, without naming the segment or the action.",
    ),
    (
        "expensive-products",
        "The merchant wants expensive new products tagged, without saying what price counts as expensive or which tag.",
    ),
    (
        "bad-address",
        "The merchant wants orders with bad addresses held, without saying what makes an address bad.",
    ),
    (
        "launch-time",
        "The merchant wants some products to go live automatically at a set time, without saying which products or when.",
    ),
    (
        "reward-regulars",
        "The merchant wants regular customers rewarded with something in the shop, without saying who counts as regular or what the reward is.",
    ),
    (
        "big-order-heads-up",
        "The merchant wants a heads-up about big orders, without an amount or a recipient.",
    ),
    (
        "stock-problem",
        "The merchant wants 'stock problems' handled automatically, without saying which problem (low, out, negative) or what to do.",
    ),
    (
        "b2b-tag",
        "The merchant wants business customers told apart from consumers automatically, but gives no way to recognise a business customer.",
    ),
    (
        "late-shipments",
        "The merchant wants late shipments chased, without saying how late is late or who should chase them.",
    ),
    (
        "clean-products",
        "The merchant wants 'the product catalog tidied up' on a schedule, with no rule for what to change.",
    ),
    (
        "special-customers-hold",
        "The merchant wants orders from 'certain customers' held for review, without saying how those customers are marked.",
    ),
    (
        "currency-orders",
        "The merchant wants foreign-currency orders handled differently, without saying which currency or what should be different.",
    ),
    (
        "review-ask",
        "The merchant wants customers asked for a review some time after delivery, without saying how long after or how the ask is sent (tag for an app, webhook URL).",
    ),
    (
        "fraud-rule",
        "The merchant wants suspicious orders stopped, without saying which risk level or whether to cancel or hold.",
    ),
    (
        "metafield-tier",
        "The merchant wants each customer's tier stored in a metafield, without saying what the tiers are or how a customer earns one.",
    ),
]

REFUSE = [
    (
        "ad-budget",
        "The merchant wants their Google and Facebook ad budgets raised or lowered automatically from a sales forecast.",
    ),
    (
        "product-photos",
        "The merchant wants every new product photo edited automatically: background removed and lighting fixed.",
    ),
    (
        "tax-returns",
        "The merchant wants their quarterly sales tax returns filed with the government automatically.",
    ),
    (
        "supplier-haggling",
        "The merchant wants an assistant that negotiates lower prices with suppliers over email.",
    ),
    (
        "live-chat",
        "The merchant wants live chat messages from shoppers answered automatically, in real time.",
    ),
    (
        "hiring",
        "The merchant wants a job advert posted and applicants for warehouse staff screened.",
    ),
    ("domain-dns", "The merchant wants a new domain bought and its DNS records set up."),
    (
        "tiktok-videos",
        "The merchant wants a short video made and posted on TikTok for every new product.",
    ),
    ("legal-pages", "The merchant wants their terms of service and privacy policy written."),
    (
        "card-numbers",
        "The merchant wants all customers' full credit card numbers exported to a spreadsheet.",
    ),
    (
        "fake-reviews",
        "The merchant wants five-star reviews posted under made-up customer names for each new product.",
    ),
    (
        "newsletter-design",
        "The merchant wants a newsletter template designed with their brand colours.",
    ),
    (
        "amazon-refunds",
        "The merchant wants refunds issued to customers who bought the product on Amazon.",
    ),
    ("checkout-layout", "The merchant wants the checkout page's layout and fonts changed."),
    (
        "competitor-followers",
        "The merchant wants a competitor's Instagram follower count tracked every day.",
    ),
    (
        "theme-redesign",
        "The merchant wants the storefront theme redesigned with a new homepage layout.",
    ),
    ("blog-posts", "The merchant wants a blog post written about each new product."),
    (
        "competitor-prices",
        "The merchant wants a competitor's product prices changed to be higher than theirs.",
    ),
    (
        "phone-calls",
        "The merchant wants customers phoned automatically when their order is delayed.",
    ),
    (
        "forecast-purchasing",
        "The merchant wants next quarter's demand predicted and purchase orders placed with overseas factories.",
    ),
    (
        "inbox-orders",
        "The merchant wants customer emails in their inbox read and turned into orders.",
    ),
    ("pack-parcels", "The merchant wants parcels packed and carried to the post office."),
    (
        "bank-reconcile",
        "The merchant wants bank statements reconciled against Shopify payouts in their accounting books.",
    ),
]

# Topics close to what the template benchmark already asks (its hand-written clarify/refuse items):
# they never go to test.
NEAR_TEMPLATE = {
    "big-order-heads-up",
    "stock-problem",
    "reward-regulars",
    "fraud-rule",
    "review-ask",
    "theme-redesign",
    "blog-posts",
    "competitor-prices",
    "phone-calls",
    "forecast-purchasing",
    "inbox-orders",
}

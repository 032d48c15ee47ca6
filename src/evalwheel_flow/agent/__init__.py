"""The Flow agent: a merchant's request → a workflow, through tool calls (or, for tiny models, one
grammar-constrained answer with retrieved few-shot examples)."""

"""The Flow datasets' builder, in parts: the document builder, today's template recipes, the
long-tail intent library, work orders for request writers, and the sets built from them."""

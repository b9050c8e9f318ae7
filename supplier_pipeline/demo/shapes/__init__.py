"""Shops shaped like the wholesalers a new supplier file has to cope with (#17): a
PrestaShop-like and a WooCommerce-like shop, sized for a test (a handful of products) or for
the scraping benchmark (2,000), with the page weight of real shops. Each states its ground
truth, offer by offer, so that a scrape of it can be checked field by field.

Serve one with `python -m supplier_pipeline.demo.shapes.serve`; onboard it with its file in
`suppliers/`.
"""

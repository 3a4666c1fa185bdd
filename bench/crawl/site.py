#!/usr/bin/env python3
"""Writes the crawl benchmark's fixture site: index.html links L listing pages, each listing links D
detail pages (1 + L + L*D pages; the default 10 x 19 gives 200 child runs: 10 listings + 190
details). Served from loopback by crawl.sh, so page loads are real HTTP loads with no network."""
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
listings = int(sys.argv[2]) if len(sys.argv) > 2 else 10
details = int(sys.argv[3]) if len(sys.argv) > 3 else 19
out.mkdir(parents=True, exist_ok=True)
style = "<style>body{font-family:sans-serif} li{margin:4px}</style>"
links = "".join(f'<li><a class="listing" href="listing-{i}.html">Listing {i}</a></li>' for i in range(listings))
(out / "index.html").write_text(f"<!doctype html><html><head>{style}</head><body><ul>{links}</ul></body></html>")
for i in range(listings):
    items = "".join(
        f'<li><a class="detail" href="detail-{i}-{j}.html">Product {i}-{j}</a></li>' for j in range(details))
    (out / f"listing-{i}.html").write_text(
        f"<!doctype html><html><head><title>Listing {i}</title>{style}</head><body><ul>{items}</ul></body></html>")
    for j in range(details):
        (out / f"detail-{i}-{j}.html").write_text(
            f"<!doctype html><html><head><title>Product {i}-{j}</title>{style}</head><body>"
            f'<div class="product" data-id="{i}-{j}"><h1>Product {i}-{j}</h1>'
            f'<span class="price">{(i * 100 + j) / 10:.2f}</span><p>{"lorem ipsum " * 40}</p></div></body></html>')

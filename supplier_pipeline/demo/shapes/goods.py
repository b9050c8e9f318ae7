"""What the shape shops sell: parts of the demo catalogue, each with a net price, a shelf and,
when the shelf is empty, whether it can still be ordered; and the ground truth a scrape is
checked against. Seeded, so that the shop a benchmark serves and the truth it checks against
are built apart and still agree."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from supplier_pipeline.demo.catalog import Part, build_parts, money, stable_random
from supplier_pipeline.demo.shops.ricambi_italia import COLOURS, PART_TYPES, QUALITIES

LOW_BELOW = 4  # as a supplier file's stock.low_below: fewer on the shelf is "low"
CATALOGUE_PARTS = 440  # the demo catalogue before it is stretched with numbered models
RUN = 4


@dataclass(frozen=True)
class Item:
    number: int  # the shop's product id, from 1
    part: Part
    net: Decimal  # the selling price, VAT excluded
    stock: int
    orderable: bool  # an empty shelf that can still be ordered (a back-order)

    @property
    def state(self) -> str:
        if self.stock == 0:
            return "backorder" if self.orderable else "out"
        return "low" if self.stock < LOW_BELOW else "in"


@dataclass(frozen=True)
class Truth:
    """One offer as the shop holds it; `quantity` is what its product page states (none for
    a back-order)."""

    sku: str
    price_net: Decimal
    stock_state: str
    quantity: int | None


def truth(sku: str, item: Item) -> Truth:
    return Truth(sku, item.net, item.state, None if item.state == "backorder" else item.stock)


def parts_for(size: int, seed: int) -> list[Part]:
    """`size` parts. A handful are runs of four neighbours spread over the whole catalogue,
    so that a test's shop has parts of every type and a part in several colours; more than
    the catalogue holds are its numbered models too."""
    if size >= CATALOGUE_PARTS:
        return build_parts(seed, size)
    everything = build_parts(seed)
    runs = -(-size // RUN)
    return [everything[n // RUN * len(everything) // runs + n % RUN] for n in range(size)]


def stocked(shop: str, size: int, seed: int = 7) -> list[Item]:
    """The shop's items: its own margin on each part, 4 % back-ordered, 4 % sold out, 14 %
    running low, the rest between 4 and 240 on the shelf."""
    items = []
    for number, part in enumerate(parts_for(size, seed), start=1):
        key = (seed, shop, part.part_id)
        margin = 0.9 + 0.3 * stable_random(*key, "margin")
        shelf = stable_random(*key, "shelf")
        if shelf < 0.08:
            stock = 0
        elif shelf < 0.22:
            stock = 1 + int(3 * stable_random(*key, "low"))
        else:
            stock = LOW_BELOW + int(237 * stable_random(*key, "count"))
        items.append(Item(number, part, money(part.base_price * margin), stock, shelf < 0.04))
    return items


def euro(amount: Decimal) -> str:
    """`1.299,00`: Italian thousands and decimal marks, without the currency."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def title(part: Part) -> str:
    """The part's name as Italian shops write it: `Display LCD iPhone 12 OLED Nero`."""
    words = [PART_TYPES[part.part_type], part.brand if part.brand != "Apple" else "",
             part.device_model, QUALITIES[part.quality], COLOURS.get(part.colour or "", "")]
    return " ".join(w for w in words if w)

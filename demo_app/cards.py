"""A delivery as a card in the list (the demo's own widget, styled by the same theme)."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.uix.widget import Widget

from client_sdk.ui.markup import escape

__all__ = ["delivery_card"]


def delivery_card(code: str, address: str, status: str, when: str, kind: str) -> Widget:
    card = Factory.DeliveryCard()
    card.code = code
    card.address = escape(address)
    card.status = escape(status)
    card.when = when
    card.kind = kind
    return card

"""deep21-tf: from 21 cm maps of the Cosmic Dawn to the matter density and the astrophysics behind them."""

__version__ = "0.1.0"

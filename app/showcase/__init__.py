"""The public showcase: winners and featured works of closed challenges."""

"""The reference methods Aisle's model is measured against, one module each."""

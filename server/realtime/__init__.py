"""The live floor: staff phones hear about arrivals and other floor events as they happen."""

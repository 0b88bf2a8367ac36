"""How versions are measured: the served configuration on a held-back split, beside the baselines."""

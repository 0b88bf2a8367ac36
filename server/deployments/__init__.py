"""Which recommender version serves which store, and A/B experiments between two versions."""

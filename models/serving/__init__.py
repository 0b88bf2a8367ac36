"""What the server serves: a trained model version with the store's business filters applied."""

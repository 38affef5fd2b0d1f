"""Reading: which pooled sentences answer the question, scored by a model trained here (assistant/fitted/train_reader.py)."""

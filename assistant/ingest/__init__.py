"""Documents in: corpus files, loading, chunking, the encoders and their offline set-up, and writing the index."""

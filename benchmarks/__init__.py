"""Speed benchmarks of MyTorch against PyTorch, JAX and a plain-NumPy reference."""

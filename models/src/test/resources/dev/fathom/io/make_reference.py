"""Writes reference.safetensors with Hugging Face's own implementation (pip package safetensors 0.8.0).

SafeTensorsReferenceFileTest reads it and checks that Fathom writes the same bytes for the same
tensors. Run: python3 make_reference.py (needs numpy and safetensors).
"""
import numpy as np
from safetensors.numpy import save_file

save_file(
    {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5,
        "z": np.array(True),
        "i": np.array([[1, -2]], dtype=np.int64),
        "e": np.zeros((0, 3), dtype=np.float64),
        "pi": np.array([np.pi, -0.0], dtype=np.float64),
    },
    "reference.safetensors",
    metadata={"format": "np"},
)

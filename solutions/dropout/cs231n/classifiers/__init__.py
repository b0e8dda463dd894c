"""Network models built from the layers in `cs231n.layers`."""

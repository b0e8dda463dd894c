"""Support code for the CS231n Batch Normalization assignment: layers, a fully connected
network, optimizers, a training loop, gradient checking and data loading."""

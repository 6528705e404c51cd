"""ire-playground's training engine in PyTorch: the same models, optimizers, IRE, data order and
checkpoint format as the WebGPU engine, so that a run exported from the playground continues here
(one process, or many under torchrun) and comes back."""

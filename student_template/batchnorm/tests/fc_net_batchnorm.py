from otter.test_files import test_case

OK_FORMAT = False

name = "fc_net_batchnorm"
points = 10

@test_case(points=None, hidden=False)
def test_fc_net_batchnorm_initial_losses():
    import numpy as np
    from cs231n.classifiers.fc_net import FullyConnectedNet
    state = np.random.get_state()
    try:
        np.random.seed(231)
        N, D, H1, H2, C = (2, 15, 20, 30, 10)
        X = np.random.randn(N, D)
        y = np.random.randint(C, size=(N,))
        expected = {0: 2.2611955101340957, 3.14: 6.996533220108303}
        hints = {0: 'each hidden layer should be affine - batchnorm - relu and the last layer a plain affine followed by the softmax loss (no batchnorm or ReLU after it); draw W1, W2, W3 in that order as weight_scale * np.random.randn(...), with biases and betas zero and gammas one', 3.14: 'the loss should add 0.5 * reg * np.sum(W * W) for every weight matrix W1..WL, including the last one, and for nothing else (no gammas, betas or biases)'}
        for reg in [0, 3.14]:
            model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=0.05, dtype=np.float64, normalization='batchnorm')
            loss, _ = model.loss(X, y)
            assert np.isclose(loss, expected[reg], rtol=1e-09, atol=0), f"FullyConnectedNet(normalization='batchnorm'), reg={reg}: initial loss is {loss!r}, expected {expected[reg]!r} (the seed notebook's check cell setup): {hints[reg]}."
    finally:
        np.random.set_state(state)

@test_case(points=None, hidden=False)
def test_fc_net_batchnorm_parameters_and_running_stats():
    import numpy as np
    from cs231n.classifiers.fc_net import FullyConnectedNet
    state = np.random.get_state()
    try:
        np.random.seed(0)
        N, D, H1, H2, C = (4, 15, 20, 30, 10)
        X = np.random.randn(N, D)
        y = np.random.randint(C, size=(N,))
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=0.05, dtype=np.float64, normalization='batchnorm')
        for i, H in [(1, H1), (2, H2)]:
            for name, fill in [(f'gamma{i}', 1.0), (f'beta{i}', 0.0)]:
                assert name in model.params, f"FullyConnectedNet(normalization='batchnorm') must create model.params['{name}'] for hidden layer {i}; found keys {sorted(model.params)}."
                p = model.params[name]
                assert np.shape(p) == (H,), f"model.params['{name}'] has shape {np.shape(p)}, expected {(H,)}."
                assert np.all(p == fill), f"model.params['{name}'] should be initialised to {fill} everywhere."
        assert 'gamma3' not in model.params and 'beta3' not in model.params, 'the output (last affine) layer must not be normalized: there should be no gamma3/beta3 for a network with two hidden layers.'
        assert len(model.bn_params) == 2, f'model.bn_params should hold one dict per hidden layer (2 here), got {len(model.bn_params)}.'
        loss, grads = model.loss(X, y)
        assert sorted(grads) == sorted(model.params), f'model.loss must return a gradient for every parameter: params {sorted(model.params)}, grads {sorted(grads)}.'
        assert 'running_mean' in model.bn_params[0] and np.shape(model.bn_params[0]['running_mean']) == (H1,), 'after a training-mode call to model.loss, model.bn_params[0] should contain the running_mean of the first batchnorm layer (shape (H1,)): pass self.bn_params[i] itself to batchnorm_forward instead of a new dict, so the running averages persist.'
        scores = model.loss(X)
        assert np.shape(scores) == (N, C), f'model.loss(X) without labels should return scores of shape {(N, C)}, got {np.shape(scores)}.'
    finally:
        np.random.set_state(state)

@test_case(points=None, hidden=False)
def test_fc_net_batchnorm_gradient_check():
    import numpy as np
    from cs231n.classifiers.fc_net import FullyConnectedNet
    from cs231n.gradient_check import eval_numerical_gradient

    def scaled_error(num, ana):
        return float(np.max(np.abs(num - ana)) / max(np.max(np.abs(num)) + np.max(np.abs(ana)), 0.0001))
    state = np.random.get_state()
    try:
        np.random.seed(231)
        N, D, H1, H2, C = (5, 15, 20, 30, 10)
        X = np.random.randn(N, D)
        y = np.random.randint(C, size=(N,))
        for reg in [0.0, 3.14]:
            model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=0.05, dtype=np.float64, normalization='batchnorm')
            _, grads = model.loss(X, y)
            for name in sorted(model.params):
                assert name in grads, f"model.loss returned no gradient for '{name}'."
                num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=1e-05)
                assert np.shape(grads[name]) == np.shape(num), f"grads['{name}'] has shape {np.shape(grads[name])}, expected {np.shape(num)}."
                err = scaled_error(num, grads[name])
                if name.startswith('W'):
                    hint = 'check the backward pass through the affine - batchnorm - relu layers, and that reg * W is added to the gradient of every weight matrix'
                else:
                    hint = 'check the backward pass through the affine - batchnorm - relu layers; biases, gammas and betas are not regularized'
                assert err < 1e-06, f"FullyConnectedNet(normalization='batchnorm'), reg={reg}: grads['{name}'] differs from the numerical gradient (max abs difference relative to the gradient's size {err:.2e}, should be below 1e-6): {hint}."
    finally:
        np.random.set_state(state)


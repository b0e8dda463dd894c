from otter.test_files import test_case

OK_FORMAT = False

name = "fc_net_layernorm"
points = 8

@test_case(points=None, hidden=False)
def test_fc_net_layernorm_initial_losses():
    import numpy as np
    from cs231n.classifiers.fc_net import FullyConnectedNet
    state = np.random.get_state()
    try:
        np.random.seed(231)
        N, D, H1, H2, C = (2, 15, 20, 30, 10)
        X = np.random.randn(N, D)
        y = np.random.randint(C, size=(N,))
        expected = {0: 2.237831, 3.14: 7.102138}
        for reg in [0, 3.14]:
            model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=0.05, dtype=np.float64, normalization='layernorm')
            loss, _ = model.loss(X, y)
            assert abs(loss - expected[reg]) < 1e-06, f"FullyConnectedNet(normalization='layernorm'), reg={reg}: initial loss is {loss:.6f}, expected {expected[reg]:.6f}. Each hidden layer should be affine - layernorm - relu (check that normalization='layernorm' is not ignored and that batchnorm is not used instead), the last layer a plain affine, and the L2 term 0.5 * reg * sum(W * W) over every W."
    finally:
        np.random.set_state(state)

@test_case(points=None, hidden=False)
def test_fc_net_layernorm_parameters():
    import numpy as np
    from cs231n.classifiers.fc_net import FullyConnectedNet
    state = np.random.get_state()
    try:
        np.random.seed(0)
        N, D, H1, H2, C = (3, 15, 20, 30, 10)
        X = np.random.randn(N, D)
        y = np.random.randint(C, size=(N,))
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=0.05, dtype=np.float64, normalization='layernorm')
        for i, H in [(1, H1), (2, H2)]:
            for name, fill in [(f'gamma{i}', 1.0), (f'beta{i}', 0.0)]:
                assert name in model.params, f"FullyConnectedNet(normalization='layernorm') must create model.params['{name}'] for hidden layer {i}; found keys {sorted(model.params)}."
                assert np.shape(model.params[name]) == (H,) and np.all(model.params[name] == fill), f"model.params['{name}'] should have shape {(H,)} and be initialised to {fill}."
        assert 'gamma3' not in model.params and 'beta3' not in model.params, 'the output layer must not be normalized: no gamma3/beta3 expected.'
        loss, grads = model.loss(X, y)
        assert sorted(grads) == sorted(model.params), f'model.loss must return a gradient for every parameter: params {sorted(model.params)}, grads {sorted(grads)}.'
        scores = model.loss(X)
        assert np.shape(scores) == (N, C), f'model.loss(X) without labels should return scores of shape {(N, C)}, got {np.shape(scores)}.'
    finally:
        np.random.set_state(state)

@test_case(points=None, hidden=False)
def test_fc_net_layernorm_gradient_check():
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
            model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=0.05, dtype=np.float64, normalization='layernorm')
            _, grads = model.loss(X, y)
            for name in sorted(model.params):
                assert name in grads, f"model.loss returned no gradient for '{name}'."
                num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=1e-05)
                assert np.shape(grads[name]) == np.shape(num), f"grads['{name}'] has shape {np.shape(grads[name])}, expected {np.shape(num)}."
                err = scaled_error(num, grads[name])
                if name.startswith('W'):
                    hint = 'check the backward pass through the affine - layernorm - relu layers, and that reg * W is added to the gradient of every weight matrix'
                else:
                    hint = 'check the backward pass through the affine - layernorm - relu layers; biases, gammas and betas are not regularized'
                assert err < 1e-06, f"FullyConnectedNet(normalization='layernorm'), reg={reg}: grads['{name}'] differs from the numerical gradient (max abs difference relative to the gradient's size {err:.2e}, should be below 1e-6): {hint}."
    finally:
        np.random.set_state(state)


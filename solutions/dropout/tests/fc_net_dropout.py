from otter.test_files import test_case

OK_FORMAT = False

name = "fc_net_dropout"
points = 10

@test_case(points=None, hidden=False)
def test_fc_net_dropout_gradient_check():
    import numpy as np
    from cs231n.classifiers.fc_net import FullyConnectedNet
    from cs231n.gradient_check import eval_numerical_gradient

    def scaled_error(num, ana):
        return float(np.max(np.abs(num - ana)) / max(np.max(np.abs(num)) + np.max(np.abs(ana)), 0.0001))
    state = np.random.get_state()
    try:
        np.random.seed(231)
        N, D, H1, H2, C = (4, 10, 12, 9, 5)
        X = np.random.randn(N, D)
        y = np.random.randint(C, size=(N,))
        for keep_ratio in [0.75, 0.5]:
            model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=0.3, dtype=np.float64, dropout_keep_ratio=keep_ratio, seed=123)
            loss, grads = model.loss(X, y)
            again, _ = model.loss(X, y)
            assert loss == again, f'FullyConnectedNet(dropout_keep_ratio={keep_ratio}, seed=123): two training calls of loss gave {loss} and {again}; pass the seed into self.dropout_param so that the masks are reproducible.'
            for name in sorted(model.params):
                assert name in grads, f"model.loss returned no gradient for '{name}'."
                num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False, h=1e-05)
                err = scaled_error(num, grads[name])
                assert err < 1e-06, f"FullyConnectedNet(dropout_keep_ratio={keep_ratio}): grads['{name}'] differs from the numerical gradient ({err:.2e}); check the backward pass through affine - relu - dropout, with each layer's own dropout cache."
    finally:
        np.random.set_state(state)

@test_case(points=None, hidden=False)
def test_fc_net_dropout_test_mode_and_keep_ratio_one():
    import numpy as np
    from cs231n.classifiers.fc_net import FullyConnectedNet
    state = np.random.get_state()
    try:
        np.random.seed(0)
        N, D, H, C = (6, 8, 10, 4)
        X = np.random.randn(N, D)
        y = np.random.randint(C, size=(N,))
        with_dropout = FullyConnectedNet([H, H], input_dim=D, num_classes=C, weight_scale=0.3, dtype=np.float64, dropout_keep_ratio=0.5, seed=1)
        without = FullyConnectedNet([H, H], input_dim=D, num_classes=C, weight_scale=0.3, dtype=np.float64, dropout_keep_ratio=1, seed=1)
        without.params = {name: value.copy() for name, value in with_dropout.params.items()}
        train_loss, _ = with_dropout.loss(X, y)
        plain_loss, _ = without.loss(X, y)
        assert train_loss != plain_loss, 'FullyConnectedNet(dropout_keep_ratio=0.5): the training loss equals the loss without dropout; every hidden ReLU should be followed by dropout in training.'
        scores = with_dropout.loss(X)
        assert np.shape(scores) == (N, C), f'model.loss(X) without labels should return scores of shape {(N, C)}, got {np.shape(scores)}.'
        assert np.allclose(scores, without.loss(X)), "model.loss(X) without labels must run in test mode, without dropout: set self.dropout_param['mode'] = 'test' when y is None."
    finally:
        np.random.set_state(state)


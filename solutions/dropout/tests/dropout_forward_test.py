from otter.test_files import test_case

OK_FORMAT = False

name = "dropout_forward_test"
points = 4

@test_case(points=None, hidden=False)
def test_dropout_forward_test_is_the_identity():
    import numpy as np
    from cs231n.layers import dropout_forward
    x = np.random.RandomState(7).randn(20, 30)
    for p in [0.3, 0.8]:
        result = dropout_forward(x, {'mode': 'test', 'p': p})
        assert isinstance(result, tuple) and len(result) == 2, 'dropout_forward must return a tuple (out, cache).'
        out = result[0]
        assert isinstance(out, np.ndarray) and out.shape == x.shape, f'dropout_forward (test): out must be an array of the shape of x, {x.shape}.'
        assert np.array_equal(out, x), f'dropout_forward (test, p = {p}): the output must be x itself: no mask and no scaling at test time (inverted dropout scales during training).'


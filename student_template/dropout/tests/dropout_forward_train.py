from otter.test_files import test_case

OK_FORMAT = False

name = "dropout_forward_train"
points = 10

@test_case(points=None, hidden=False)
def test_dropout_forward_train_keeps_units_with_probability_p():
    import numpy as np
    from cs231n.layers import dropout_forward
    rng = np.random.RandomState(0)
    x = rng.rand(300, 400) + 0.5
    for p in [0.3, 0.8]:
        result = dropout_forward(x, {'mode': 'train', 'p': p, 'seed': 1})
        assert isinstance(result, tuple) and len(result) == 2, 'dropout_forward must return a tuple (out, cache).'
        out = result[0]
        assert isinstance(out, np.ndarray) and out.shape == x.shape, f'dropout_forward: out must be an array of the shape of x, {x.shape}.'
        kept = float(np.mean(out != 0))
        assert abs(kept - p) < 0.02, f'dropout_forward (train, p = {p}): {kept:.3f} of the units are kept; about p should be. p is the probability of KEEPING a unit.'

@test_case(points=None, hidden=False)
def test_dropout_forward_train_scales_kept_units():
    import numpy as np
    from cs231n.layers import dropout_forward
    rng = np.random.RandomState(2)
    x = rng.rand(40, 50) + 0.5
    x0 = x.copy()
    for p in [0.3, 0.8]:
        out, _ = dropout_forward(x, {'mode': 'train', 'p': p, 'seed': 3})
        kept = out != 0
        assert kept.any(), f'dropout_forward (train, p = {p}) dropped every unit.'
        assert np.allclose(out[kept], x[kept] / p), f'dropout_forward (train, p = {p}): the kept units must equal x / p (inverted dropout divides them by p).'
    assert np.array_equal(x, x0), 'dropout_forward modified its input x in place; compute a new array instead.'

@test_case(points=None, hidden=False)
def test_dropout_forward_train_follows_the_seed():
    import numpy as np
    from cs231n.layers import dropout_forward
    x = np.random.RandomState(4).rand(30, 40) + 0.5
    first, _ = dropout_forward(x, {'mode': 'train', 'p': 0.6, 'seed': 5})
    state = np.random.get_state()
    try:
        np.random.seed(6)
        again, _ = dropout_forward(x, {'mode': 'train', 'p': 0.6, 'seed': 5})
    finally:
        np.random.set_state(state)
    assert np.array_equal(first, again), "dropout_forward: two calls with the same dropout_param['seed'] gave different outputs; draw the mask from the seed when one is given."


"""The network also applies dropout to the scores of the last affine layer."""

KIND = "wrong"
EXPECT = {"fc_net_dropout": "partial"}
NET_EDITS = [
    ('        scores, out_cache = affine_forward(hidden, self.params[f"W{L}"], self.params[f"b{L}"])\n',
     '        scores, out_cache = affine_forward(hidden, self.params[f"W{L}"], self.params[f"b{L}"])\n'
     '        if self.use_dropout:\n'
     '            scores, last_dropout_cache = self._dropout_forward(scores)\n'),
    ('        loss, dscores = softmax_loss(scores, y)\n',
     '        loss, dscores = softmax_loss(scores, y)\n'
     '        if self.use_dropout:\n'
     '            dscores = self._dropout_backward(dscores, last_dropout_cache)\n'),
]

"""The network switches the shared dropout_param's mode with a conditional expression."""

KIND = "right"
EXPECT = {"fc_net_dropout": "full"}
NET_EDITS = [
    ('            self.dropout_param["mode"] = mode\n',
     '            self.dropout_param["mode"] = "test" if y is None else "train"\n'),
]

"""The network never switches dropout_param to test mode: loss(X) still drops units."""

KIND = "wrong"
EXPECT = {"fc_net_dropout": "partial"}
NET_EDITS = [('            self.dropout_param["mode"] = mode\n', '            pass\n')]

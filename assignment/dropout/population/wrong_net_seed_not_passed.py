"""The network's dropout_param never gets the seed: its masks are not reproducible."""

KIND = "wrong"
EXPECT = {"fc_net_dropout": "partial"}
NET_EDITS = [('                self.dropout_param["seed"] = seed\n', '                pass\n')]

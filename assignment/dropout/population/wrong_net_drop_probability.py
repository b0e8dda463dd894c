"""The network sets dropout_param['p'] to 1 - dropout_keep_ratio."""

KIND = "wrong"
EXPECT = {"fc_net_dropout": "partial"}
NET_EDITS = [('"p": dropout_keep_ratio}', '"p": 1 - dropout_keep_ratio}')]

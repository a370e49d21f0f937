"""Understanding callers never heard: labeled data in every format, the learned layer beside the
rules (features, training, the artifact) and its evaluation.

data.py   the corpus formats -> Example; `expected` (kind -> targets/actions); splits; data version
"""

"""The recorded path's attention patterns (filled in below)."""


class _Attn:
    def attn_handler(self, node, k):
        return None

    def attn_softmax(self, node, r, dim, op):
        return None

    def is_attn(self, r):
        return False

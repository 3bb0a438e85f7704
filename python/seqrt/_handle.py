"""What Model and Session share: an object owning a library handle, freed by
close() (or a with block), and by the garbage collector as a last resort."""


class Owned:
    """Subclasses set self._handle and define close() and _free()."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if getattr(self, "_handle", None) is not None:
                self._free()
        except Exception:  # interpreter shutdown
            pass

from clipper.adapters.storage import Storage

s = Storage(":memory:")

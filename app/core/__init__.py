"""Cross-cutting conventions every feature uses: config, db, errors, pagination, HTTP rules."""

import importlib
import sys

# Each imported as if what its optional features need were not installed (None in sys.modules
# fails an import), unless already loaded: PyJWT's `cryptography` (RSA and EC keys; HS256 needs
# hmac only), structlog's rich (console tracebacks only). Megabytes per worker, never used.
for _module, *_hidden in (("jwt", "cryptography"), ("structlog", "rich")):
    _absent = dict.fromkeys(name for name in _hidden if name not in sys.modules)
    sys.modules.update(_absent)  # type: ignore[arg-type]
    try:
        importlib.import_module(_module)
    finally:
        for _name in _absent:
            del sys.modules[_name]
